"""Parameter-free teacher fusion by sum or mean (MedDet Table V, 'sum').

Also the fusion of the plain multi-teacher KD baseline (Table III, 'KD').
"""
from typing import Optional, Sequence

import torch
from mmrazor.registry import MODELS

from .base_fuser import BaseTeacherFuser


@MODELS.register_module()
class SumFuser(BaseTeacherFuser):
    """Element-wise sum (or mean) of the teacher maps.

    Args:
        num_inputs (int): Number of teachers.
        in_channels (int): Channels of each teacher map (kept at output).
        average (bool): Divide by the number of teachers. Defaults to True,
            so the fused map keeps the teachers' feature scale.
        out_channels (int, optional): Must equal ``in_channels`` if given.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 num_inputs: int,
                 in_channels: int,
                 average: bool = True,
                 out_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if out_channels not in (None, in_channels):
            raise ValueError('SumFuser cannot change the channel count '
                             f'({in_channels} -> {out_channels}); use '
                             'ConcatFuser or LWFFFuser')
        super().__init__(num_inputs, in_channels, in_channels, init_cfg)
        self.average = average

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Sum (or average) a list of ``num_inputs`` maps."""
        feats = self.check_inputs(feats)
        fused = torch.stack(feats).sum(dim=0)
        return fused / len(feats) if self.average else fused
