"""Backbone wrapper that applies nmODE2 (MedDet Eqs. (4)-(5)) to selected
outputs of any backbone, for the "nmODE2 in backbone" row of Table IV."""
from typing import Optional, Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig

from ..layers.nmode import NmODELevels


@MODELS.register_module()
class NmODEBackbone(BaseModule):
    """Build a backbone from ``backbone`` and pass outputs through nmODE.

    The wrapped backbone is ``self.backbone`` (its ``train()`` overrides,
    e.g. frozen stages and ``norm_eval``, still apply) and the blocks
    ``self.nmode`` (:class:`NmODELevels`). A ``Pretrained`` init_cfg of the
    inner backbone loads as usual; checkpoint keys gain a ``backbone.``
    prefix.

    Args:
        backbone (dict): Config of the wrapped backbone.
        feat_channels (Sequence[int]): Channels of every backbone output, in
            order, e.g. ``(24, 32, 96, 320)`` for MobileNetV2 with
            ``out_indices=(1, 2, 4, 6)``.
        indices (Sequence[int], optional): Positions in the output tuple that
            get a block. Defaults to None (all outputs).
        shared (bool): One block shared by the selected outputs (equal
            channels needed). Defaults to False.
        nmode_cfg (dict): Block config. Defaults to
            ``dict(type='NmODE2', output='residual')`` (identity at init).
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 backbone: ConfigType,
                 feat_channels: Sequence[int],
                 indices: Optional[Sequence[int]] = None,
                 shared: bool = False,
                 nmode_cfg: ConfigType = dict(
                     type='NmODE2', output='residual'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.nmode = NmODELevels(
            feat_channels, levels=indices, shared=shared, nmode_cfg=nmode_cfg)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the backbone, then the nmODE blocks on the selected outputs."""
        return self.nmode(self.backbone(x))
