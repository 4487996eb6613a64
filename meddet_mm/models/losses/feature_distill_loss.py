"""MedDet distillation loss L_dist = sum_i MSE(T_i, G[align(S_i)]) per level.

Optionally both maps are standardised first (see ``normalize``).
"""
from typing import Optional

import torch
import torch.nn as nn
from mmrazor.registry import MODELS


def standardize(feat: torch.Tensor, mode: Optional[str],
                eps: float = 1e-6) -> torch.Tensor:
    """Standardise a (N, C, H, W) map to zero mean, unit variance.

    Args:
        feat (Tensor): Feature map.
        mode (str | None): ``'sample'`` over (C, H, W) of each sample,
            ``'channel'`` over (H, W) of each channel, None for no change.
        eps (float): Added to the standard deviation (small, so the result
            stays scale invariant down to tiny feature scales).
    """
    if mode is None:
        return feat
    dims = {'sample': (1, 2, 3), 'channel': (2, 3)}[mode]
    mean = feat.mean(dim=dims, keepdim=True)
    std = feat.std(dim=dims, keepdim=True, unbiased=False)
    return (feat - mean) / (std + eps)


@MODELS.register_module()
class FeatureDistillMSELoss(nn.Module):
    """Mean squared error between a student-side map and a teacher map.

    Reduction: mean over all elements of one pyramid level (so levels of
    different size weigh the same); the algorithm sums the levels (the
    paper's sum over i).

    Why ``normalize='sample'`` by default: in MedDet the fused teacher map
    comes out of a *learned* fuser trained by this same loss; without
    normalisation the fuser and generator can both shrink to zero and make
    the loss vanish. Standardising both maps makes that impossible and puts
    teachers of different feature scales on one footing. Use
    ``normalize=None`` for the paper's plain squared error.

    Args:
        loss_weight (float): Multiplier. Defaults to 1.0.
        normalize (str | None): ``'sample'``, ``'channel'`` or None.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 normalize: Optional[str] = 'sample') -> None:
        super().__init__()
        if normalize not in (None, 'sample', 'channel'):
            raise ValueError("FeatureDistillMSELoss: normalize must be None, "
                             f"'sample' or 'channel', got {normalize!r}")
        self.loss_weight = loss_weight
        self.normalize = normalize

    def forward(self, student: torch.Tensor,
                teacher: torch.Tensor) -> torch.Tensor:
        """Loss between ``student`` and ``teacher`` of identical shape."""
        if student.shape != teacher.shape:
            raise ValueError(
                'FeatureDistillMSELoss: student and teacher maps differ in '
                f'shape: {tuple(student.shape)} vs {tuple(teacher.shape)}')
        diff = standardize(student, self.normalize) - standardize(
            teacher, self.normalize)
        return self.loss_weight * diff.pow(2).mean()
