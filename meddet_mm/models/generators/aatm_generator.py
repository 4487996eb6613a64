"""AATM generator G of MedDet: maps the aligned student feature toward the
fused teacher feature (two 3x3 convs with an activation in between)."""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule
from mmrazor.registry import MODELS


@MODELS.register_module()
class AATMGenerator(BaseModule):
    """G(x) = Conv3x3(act(Conv3x3(x))).

    Args:
        in_channels (int): Channels of the aligned student feature.
        out_channels (int, optional): Channels of the teacher feature.
            Defaults to ``in_channels``.
        mid_channels (int, optional): Hidden channels. Defaults to
            ``out_channels``.
        act_cfg (dict): Activation config. Defaults to ReLU.
        residual (bool): Return ``x + G(x)`` (needs equal channel counts), so
            G starts close to the identity. Defaults to False (paper form).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 mid_channels: Optional[int] = None,
                 act_cfg: dict = dict(type='ReLU'),
                 residual: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        out_channels = out_channels or in_channels
        mid_channels = mid_channels or out_channels
        if residual and in_channels != out_channels:
            raise ValueError('AATMGenerator: residual=True needs in_channels '
                             f'== out_channels, got {in_channels} and '
                             f'{out_channels}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.residual = residual
        self.conv1 = nn.Conv2d(in_channels, mid_channels, 3, padding=1)
        self.act = build_activation_layer(act_cfg)
        self.conv2 = nn.Conv2d(mid_channels, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Generate a teacher-like feature from ``x`` (N, C_in, H, W)."""
        out = self.conv2(self.act(self.conv1(x)))
        return x + out if self.residual else out
