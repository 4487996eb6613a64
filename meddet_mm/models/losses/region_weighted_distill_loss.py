"""L_dist with the lesion cells and the background weighed apart.

A per-level mean over every cell lets the background decide L_dist when the
lesions are small: a 19 x 6 px disc of a 160 x 128 slice covers about 1% of
the cells. Here the squared error of the (standardised) maps is averaged
separately inside the ground-truth boxes and outside them, and the two means
are weighted (the decoupled foreground/background split of DeFeat, Guo et
al., CVPR 2021):

    L = fg_weight * mean_{cells in boxes} e + bg_weight * mean_{other cells} e

with e the channel mean of the squared difference. An image without boxes
contributes its background term only.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmrazor.registry import MODELS

from .feature_distill_loss import standardize
from .region_masks import box_masks, input_shape_of


@MODELS.register_module()
class RegionWeightedFeatureDistillLoss(nn.Module):
    """Feature MSE averaged over box cells and background cells apart.

    Called per pyramid level as ``loss(student, teacher, data_samples)``;
    the boxes are the data samples' ``gt_instances.bboxes`` in the pixels of
    the padded batch input, mapped onto the level's grid
    (:func:`~meddet_mm.models.losses.region_masks.box_masks`).

    Args:
        fg_weight (float): Weight of the mean inside the boxes.
        bg_weight (float): Weight of the mean over the other cells.
        normalize (str | None): Standardisation of both maps before the
            difference, as in :class:`FeatureDistillMSELoss` (``'sample'``
            by default).
        loss_weight (float): Multiplier of the whole loss.
    """

    def __init__(self,
                 fg_weight: float = 1.0,
                 bg_weight: float = 0.1,
                 normalize: Optional[str] = 'sample',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if normalize not in (None, 'sample', 'channel'):
            raise ValueError(
                'RegionWeightedFeatureDistillLoss: normalize must be None, '
                f"'sample' or 'channel', got {normalize!r}")
        if fg_weight < 0 or bg_weight < 0:
            raise ValueError(
                'RegionWeightedFeatureDistillLoss: fg_weight and bg_weight '
                f'must be >= 0, got {fg_weight} and {bg_weight}')
        self.fg_weight = fg_weight
        self.bg_weight = bg_weight
        self.normalize = normalize
        self.loss_weight = loss_weight

    def foreground(self, data_samples: Sequence, feat_size,
                   device) -> torch.Tensor:
        """(N, H, W) float mask: 1 on the cells any ground-truth box
        covers."""
        masks = []
        for sample in data_samples:
            cells = box_masks(sample.gt_instances.bboxes,
                              input_shape_of(sample), feat_size, device)
            masks.append(cells.amax(dim=0) if len(cells) else
                         torch.zeros(feat_size, device=device))
        return torch.stack(masks)

    def forward(self, student: torch.Tensor, teacher: torch.Tensor,
                data_samples: Sequence) -> torch.Tensor:
        """Loss between two (N, C, H, W) maps of one level."""
        if student.shape != teacher.shape:
            raise ValueError(
                'RegionWeightedFeatureDistillLoss: student and teacher maps '
                f'differ in shape: {tuple(student.shape)} vs '
                f'{tuple(teacher.shape)}')
        if data_samples is None or len(data_samples) != student.shape[0]:
            got = None if data_samples is None else len(data_samples)
            raise ValueError(
                'RegionWeightedFeatureDistillLoss needs one data sample with '
                f'gt_instances per image: {student.shape[0]} maps, {got} '
                'data samples')
        err = (standardize(student, self.normalize) -
               standardize(teacher, self.normalize)).pow(2).mean(dim=1)
        fg = self.foreground(data_samples, err.shape[-2:], err.device)
        bg = 1.0 - fg
        fg_mean = (err * fg).sum(dim=(1, 2)) / fg.sum(dim=(1, 2)).clamp_min(1)
        bg_mean = (err * bg).sum(dim=(1, 2)) / bg.sum(dim=(1, 2)).clamp_min(1)
        loss = self.fg_weight * fg_mean + self.bg_weight * bg_mean
        return self.loss_weight * loss.mean()
