"""MSKD Feature Filtering Distillation (FFD) for detection feature maps.

MSKD (Zhao et al., Comput. Biol. Med. 2023) distils a segmentation teacher's
features only where the ground truth marks a structure, so that the large,
redundant background does not dominate the imitation. Here the regions are the
detection ground truth: each GT box (or GT instance mask, when the data
samples carry them) rasterised onto the feature grid of one pyramid level.
"""
from typing import Sequence, Union

import torch
import torch.nn as nn
from mmrazor.registry import MODELS

from .feature_distill_loss import standardize as standardize_map
from .region_masks import batch_regions, check_pair


@MODELS.register_module()
class FeatureFilteringDistillLoss(nn.Module):
    """Squared error between student and teacher maps inside GT regions.

    With e(p) = mean_c (S_c(p) - T_c(p))^2 the per-cell error of image i and
    R_1..R_K its K ground-truth regions on the grid (cells each box or mask
    touches)::

        instance: fg_i = 1/K sum_k (1/|R_k|) sum_{p in R_k} e(p)
        image:    fg_i = (1/|U|) sum_{p in U} e(p),   U = R_1 u ... u R_K
        bg_i      = (1/|B|) sum_{p in B} e(p),        B = cells outside U
        loss      = loss_weight * 1/N sum_i (fg_i + bg_weight * bg_i)

    ``'instance'`` normalisation gives every object the same weight whatever
    its size (a small disc counts as much as a large one); ``'image'``
    averages over all foreground cells (large objects dominate). An image
    without objects adds only its background term. With ``bg_weight=0``
    (default) features outside the regions do not enter the loss at all.

    The teacher map is detached; there are no learnable parameters. The maps
    must have one shape (add a connector for different channel counts).

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        normalize (str): ``'instance'`` or ``'image'``, see above. Defaults
            to ``'instance'``.
        bg_weight (float): Weight of the background term. Defaults to 0.
        standardize (bool | str): Standardise both maps first: ``True`` or
            ``'channel'`` per channel (zero mean, unit variance over the
            positions of each channel), ``'sample'`` over all of an image's
            channels and positions, ``False`` not at all. The statistics use
            the whole map, so with this on the background sets the scale of
            the foreground features. Per-channel statistics need a few cells:
            a 1x1 map standardises to 0 (no loss), ``'sample'`` does not.
            Defaults to False.
        use_masks (bool): Use ``gt_instances.masks`` as regions when the data
            samples have them (boxes otherwise). Defaults to True.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 normalize: str = 'instance',
                 bg_weight: float = 0.,
                 standardize: Union[bool, str] = False,
                 use_masks: bool = True) -> None:
        super().__init__()
        if normalize not in ('instance', 'image'):
            raise ValueError('FeatureFilteringDistillLoss: normalize must be '
                             f"'instance' or 'image', got {normalize!r}")
        if bg_weight < 0:
            raise ValueError('FeatureFilteringDistillLoss: bg_weight must be '
                             f'>= 0, got {bg_weight}')
        modes = {True: 'channel', False: None, None: None}
        if standardize not in ('channel', 'sample', *modes):
            raise ValueError('FeatureFilteringDistillLoss: standardize must '
                             "be a bool, 'channel' or 'sample', got "
                             f'{standardize!r}')
        self.loss_weight = loss_weight
        self.normalize = normalize
        self.bg_weight = bg_weight
        self.standardize = modes.get(standardize, standardize)
        self.use_masks = use_masks

    def region_weights(self, data_samples: Sequence, feat_size, device):
        """Per-cell weights (N, H, W) of the foreground and background
        terms: each image's sum over cells of ``weight * e`` is its fg_i
        (bg_i)."""
        regions = batch_regions(data_samples, feat_size, device,
                                self.use_masks)
        fg = torch.zeros(len(regions), *feat_size, device=device)
        for i, masks in enumerate(regions):
            if masks.shape[0] == 0:
                continue
            if self.normalize == 'instance':
                area = masks.sum(dim=(1, 2), keepdim=True).clamp(min=1)
                fg[i] = (masks / area).sum(dim=0) / masks.shape[0]
            else:
                union = masks.amax(dim=0)
                fg[i] = union / union.sum().clamp(min=1)
        bg = (fg == 0).float()
        bg = bg / bg.sum(dim=(1, 2), keepdim=True).clamp(min=1)
        return fg, bg

    def forward(self, preds_S: torch.Tensor, preds_T: torch.Tensor,
                data_samples: Sequence) -> torch.Tensor:
        """FFD loss of one level.

        Args:
            preds_S (Tensor): Student map (N, C, H, W).
            preds_T (Tensor): Teacher map (N, C, H, W).
            data_samples (Sequence[DetDataSample]): The batch's samples with
                ``gt_instances.bboxes`` (and optionally ``masks``) in input
                pixels and the meta key ``batch_input_shape`` (or
                ``pad_shape`` / ``img_shape``).

        Returns:
            Tensor: Scalar loss.
        """
        check_pair(type(self).__name__, preds_S, preds_T, data_samples)
        preds_T = preds_T.detach()
        if self.standardize:
            preds_S = standardize_map(preds_S, self.standardize)
            preds_T = standardize_map(preds_T, self.standardize)
        fg, bg = self.region_weights(data_samples, tuple(preds_T.shape[2:]),
                                     preds_T.device)
        weights = fg + self.bg_weight * bg if self.bg_weight else fg
        err = (preds_S - preds_T).pow(2).mean(dim=1)
        return self.loss_weight * (weights * err).sum() / preds_T.shape[0]

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, '
                f'normalize={self.normalize!r}, bg_weight={self.bg_weight}, '
                f'standardize={self.standardize!r}')


__all__ = ['FeatureFilteringDistillLoss']
