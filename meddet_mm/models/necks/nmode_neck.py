"""Neck wrapper that applies nmODE2 (MedDet Eqs. (4)-(5)) to the outputs of
any neck, for the "nmODE2 in FPN" row of the paper's Table IV."""
from typing import Optional, Sequence, Tuple, Union

from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig

from ..layers.nmode import NmODELevels


@MODELS.register_module()
class NmODENeck(BaseModule):
    """Build a neck from ``neck`` and pass its outputs through nmODE blocks.

    The wrapped neck is ``self.neck`` and the blocks ``self.nmode``
    (:class:`NmODELevels`), so checkpoint keys gain a ``neck.`` prefix.

    Args:
        neck (dict): Config of the wrapped neck, e.g. an FPN.
        feat_channels (int | Sequence[int], optional): Channels of each neck
            output (an int for all levels). Defaults to None, i.e. the neck
            config's ``out_channels``.
        num_outs (int, optional): Number of neck outputs when
            ``feat_channels`` is an int. Defaults to None, i.e. the neck
            config's ``num_outs``.
        levels (Sequence[int], optional): Output levels that get a block.
            Defaults to None (all).
        shared (bool): One block shared by all selected levels. Defaults to
            False (one block per level).
        nmode_cfg (dict): Block config. Defaults to
            ``dict(type='NmODE2', output='residual')`` (identity at init).
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 neck: ConfigType,
                 feat_channels: Union[int, Sequence[int], None] = None,
                 num_outs: Optional[int] = None,
                 levels: Optional[Sequence[int]] = None,
                 shared: bool = False,
                 nmode_cfg: ConfigType = dict(
                     type='NmODE2', output='residual'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if feat_channels is None:
            feat_channels = neck.get('out_channels')
        if isinstance(feat_channels, int):
            num_outs = neck.get('num_outs') if num_outs is None else num_outs
            if num_outs is None:
                raise ValueError('NmODENeck needs num_outs (or num_outs in '
                                 'the neck config) when feat_channels is an '
                                 'int.')
            feat_channels = [feat_channels] * num_outs
        if feat_channels is None:
            raise ValueError('NmODENeck needs feat_channels (or out_channels '
                             'in the neck config).')
        if num_outs is not None and len(feat_channels) != num_outs:
            raise ValueError(f'feat_channels has {len(feat_channels)} '
                             f'entries but num_outs={num_outs}.')
        self.neck = MODELS.build(neck)
        self.nmode = NmODELevels(
            feat_channels, levels=levels, shared=shared, nmode_cfg=nmode_cfg)

    def forward(self, inputs: Tuple[Tensor, ...]) -> Tuple[Tensor, ...]:
        """Run the neck, then the nmODE blocks on the selected levels."""
        return self.nmode(self.neck(inputs))
