"""The paper's nmODE2 block (state output ``y(t_end)``, Eqs. (4)-(5)) for any
feature width, so the Table IV placements (backbone / FPN / head) insert the
same block form with comparable parameter counts (docs/nmode.md)."""
import copy

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, MultiConfig

from .nmode import DEFAULT_INIT_CFG

# the head's block (configs/_base_/models/gfl_r50_fpn_nmode2.py)
HEAD_NMODE_CFG = dict(type='NmODE2', solver='rk4', num_steps=3, t_end=1.0)


@MODELS.register_module()
class NmODEBottleneck(BaseModule):
    """nmODE block with a state of at most ``channels`` channels.

    ``x (C) -> gamma conv C->c -> ODE -> y(t_end) (c) [-> Conv1x1 c->C]``
    with ``c = min(C, channels)``. The gamma conv of Eq. (5) is the
    bottleneck's reduction; the 1x1 expansion exists only when ``c < C``.
    There is no residual path: as in the head, the layer after the block
    reads the state (there ``gfl_cls`` / ``gfl_reg``, here the expansion or
    the next network layer, which are all learned convs). With ``C <=
    channels`` the module computes exactly ``nmode_cfg``'s block with
    ``output='state'``, the head's form.

    Args:
        in_channels (int): Channels of the input (and output) map.
        channels (int): Widest state. Defaults to 256, the FPN and head
            width, so every placement has a 256-channel state at most.
        nmode_cfg (dict): The block (its ``in_channels``, ``channels`` and
            ``output`` are set here). Defaults to the head's block, RK4
            with 3 steps to ``t_end=1``.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to Kaiming (fan_in, linear gain) on the convs, as the
            block's own convs.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int = 256,
                 nmode_cfg: ConfigType = HEAD_NMODE_CFG,
                 init_cfg: MultiConfig = DEFAULT_INIT_CFG) -> None:
        super().__init__(init_cfg=copy.deepcopy(init_cfg))
        if in_channels < 1 or channels < 1:
            raise ValueError(
                f'NmODEBottleneck: in_channels and channels must be >= 1, '
                f'got {in_channels} and {channels}')
        cfg = copy.deepcopy(dict(nmode_cfg))
        if cfg.get('output', 'state') != 'state':
            raise ValueError(
                "NmODEBottleneck keeps the paper's block form (output="
                f"'state'); got nmode_cfg output={cfg['output']!r}. Use the "
                'block directly for the residual or projected forms.')
        for key in ('in_channels', 'channels', 'out_channels'):
            if key in cfg:
                raise ValueError(
                    f'NmODEBottleneck sets {key} of nmode_cfg itself; '
                    f"remove it (got {key}={cfg[key]})")
        self.in_channels = in_channels
        self.state_channels = min(in_channels, channels)
        cfg.update(in_channels=in_channels, channels=self.state_channels,
                   output='state')
        self.block = MODELS.build(cfg)
        self.expand = None
        if self.state_channels != in_channels:
            self.expand = nn.Conv2d(self.state_channels, in_channels, 1)
        self.out_channels = in_channels  # what build_nmode_block checks

    def forward(self, x: Tensor) -> Tensor:
        """``y(t_end)`` of ``x``, expanded back to ``in_channels``."""
        y = self.block(x)
        return y if self.expand is None else self.expand(y)

    def extra_repr(self) -> str:
        return (f'in_channels={self.in_channels}, '
                f'state_channels={self.state_channels}')
