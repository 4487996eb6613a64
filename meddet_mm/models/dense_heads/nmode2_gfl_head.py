"""GFL head with an nmODE2 block (MedDet Sec. III-C, Eqs. (4)-(5), Fig. 2) in
its classification and/or regression branch, after the stacked convs."""
import copy
from typing import Optional, Sequence, Tuple, Union

from mmcv.cnn import Scale
from torch import Tensor, nn

from mmdet.models.dense_heads import GFLHead
from mmdet.registry import MODELS
from mmdet.utils import OptConfigType

from ..layers.nmode import build_nmode_block

NMODE_BRANCHES = ('cls', 'reg')


@MODELS.register_module()
class NmODE2GFLHead(GFLHead):
    """:class:`GFLHead` whose cls/reg towers end in an nmODE2 block.

    Per level: ``x -> stacked convs -> nmODE block -> gfl_cls / gfl_reg``.
    The blocks are ``cls_nmode`` and ``reg_nmode`` (None where off). With
    ``nmode_cfg=None`` or no branches the head is the stock GFLHead: same
    parameters, same state-dict keys, same outputs.

    Args:
        num_classes (int): Number of categories excluding the background.
        in_channels (int): Channels of the input feature maps.
        nmode_cfg (dict, optional): Config of the block, built by
            :func:`build_nmode_block` with ``in_channels=feat_channels``; it
            must keep ``feat_channels`` channels. Defaults to
            ``dict(type='NmODE2')`` (output ``y(t_end)``, see
            :class:`NmODE2`). None turns the block off.
        nmode_branches (Sequence[str]): Branches that get a block, any of
            ``'cls'`` and ``'reg'``. Defaults to ``('cls', 'reg')``.
        **kwargs: Remaining :class:`GFLHead` arguments.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 nmode_cfg: OptConfigType = dict(type='NmODE2'),
                 nmode_branches: Union[str, Sequence[str]] = ('cls', 'reg'),
                 **kwargs) -> None:
        if isinstance(nmode_branches, str):
            nmode_branches = (nmode_branches, )
        unknown = [b for b in nmode_branches if b not in NMODE_BRANCHES]
        if unknown:
            raise ValueError(f'Unknown nmode_branches {unknown}, expected a '
                             f'subset of {NMODE_BRANCHES}.')
        # set before super().__init__, which calls _init_layers
        self.nmode_cfg = copy.deepcopy(nmode_cfg)
        self.nmode_branches = tuple(dict.fromkeys(nmode_branches))
        super().__init__(num_classes, in_channels, **kwargs)

    def _build_nmode(self, branch: str) -> Optional[nn.Module]:
        """Build the block of ``branch``, or return None if it is off."""
        if self.nmode_cfg is None or branch not in self.nmode_branches:
            return None
        return build_nmode_block(self.nmode_cfg, self.feat_channels,
                                 f'{branch} nmODE block')

    def _init_layers(self) -> None:
        """Build the GFL towers, then the nmODE blocks."""
        super()._init_layers()
        self.cls_nmode = self._build_nmode('cls')
        self.reg_nmode = self._build_nmode('reg')

    def forward_single(self, x: Tensor, scale: Scale) -> Tuple[Tensor]:
        """Forward one level; as :meth:`GFLHead.forward_single` plus blocks.

        Args:
            x (Tensor): Features of one level, (N, in_channels, H, W).
            scale (:obj:`mmcv.cnn.Scale`): Learnable scale of the box logits.

        Returns:
            tuple[Tensor]: ``cls_score`` (N, num_classes, H, W) and
            ``bbox_pred`` (N, 4 * (reg_max + 1), H, W).
        """
        cls_feat = x
        reg_feat = x
        for cls_conv in self.cls_convs:
            cls_feat = cls_conv(cls_feat)
        for reg_conv in self.reg_convs:
            reg_feat = reg_conv(reg_feat)
        if self.cls_nmode is not None:
            cls_feat = self.cls_nmode(cls_feat)
        if self.reg_nmode is not None:
            reg_feat = self.reg_nmode(reg_feat)
        cls_score = self.gfl_cls(cls_feat)
        bbox_pred = scale(self.gfl_reg(reg_feat)).float()
        return cls_score, bbox_pred
