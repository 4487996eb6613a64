"""Teacher fusion by concatenation and a 1x1 conv (MedDet Table V, 'concat').

LWFF without the learned channel weights.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmrazor.registry import MODELS

from .base_fuser import BaseTeacherFuser


@MODELS.register_module()
class ConcatFuser(BaseTeacherFuser):
    """Concatenate teacher maps along channels, then a 1x1 conv.

    Args:
        num_inputs (int): Number of teachers.
        in_channels (int): Channels of each teacher map.
        out_channels (int, optional): Output channels. Defaults to
            ``in_channels``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 num_inputs: int,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(num_inputs, in_channels, out_channels, init_cfg)
        self.fuse_conv = nn.Conv2d(num_inputs * in_channels,
                                   self.out_channels, 1)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Concatenate and project a list of ``num_inputs`` maps."""
        return self.fuse_conv(torch.cat(self.check_inputs(feats), dim=1))
