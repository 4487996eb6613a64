"""Common base of the teacher-feature fusers (LWFF, sum, concat).

Checks that the number and shapes of teacher maps match the configuration.
"""
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseModule


class BaseTeacherFuser(BaseModule):
    """Fuses ``num_inputs`` same-shaped feature maps into one.

    Args:
        num_inputs (int): Number of teacher maps per call (>= 1).
        in_channels (int): Channels of every input map.
        out_channels (int, optional): Channels of the fused map. Defaults to
            ``in_channels``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 num_inputs: int,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_inputs < 1:
            raise ValueError(f'{type(self).__name__}: num_inputs must be >= 1,'
                             f' got {num_inputs}')
        self.num_inputs = num_inputs
        self.in_channels = in_channels
        self.out_channels = out_channels or in_channels

    def check_inputs(self,
                     feats: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Validate the list of teacher maps and return it as a list."""
        feats = list(feats)
        if len(feats) != self.num_inputs:
            raise ValueError(
                f'{type(self).__name__} was configured for {self.num_inputs} '
                f'teacher feature maps but received {len(feats)}; set '
                f'num_inputs to the number of teachers')
        shape = feats[0].shape
        for i, f in enumerate(feats):
            if f.dim() != 4 or f.shape[1] != self.in_channels \
                    or f.shape != shape:
                raise ValueError(
                    f'{type(self).__name__}: input {i} has shape '
                    f'{tuple(f.shape)}; all inputs must be '
                    f'(N, {self.in_channels}, H, W) with the same shape '
                    f'{tuple(shape)}')
        return feats
