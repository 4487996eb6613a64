"""FGD: Focal and Global knowledge Distillation (Yang et al., CVPR 2022), the
FGD baseline of MedDet's Table I: L = L_focal (L_fea + L_at) + L_global.

Written from the FGD paper's equations; one instance per pyramid level. The
loss needs the ground-truth boxes: see :class:`FGDLoss` for how a
``ConfigurableDistiller`` hands them over.
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.structures.bbox import get_box_tensor
from mmrazor.registry import MODELS

from .region_masks import box_masks, input_shape_of


def focal_masks(boxes_per_image: Sequence[torch.Tensor],
                input_shapes: Sequence[Tuple[int, int]],
                feat_size: Tuple[int, int],
                device=None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Foreground and background scale masks of FGD, shape (N, 1, H, W).

    A box (x1, y1, x2, y2) in input pixels covers the feature cells it
    overlaps (at least one; :func:`~.region_masks.box_masks`). Inside a box a
    cell weighs 1 / (cells of that box) (the smallest box wins where boxes
    overlap), so each isolated box sums to 1; every cell outside all boxes
    weighs 1 / (background cells), so the background of each image sums to 1
    (0 if boxes cover everything).

    Args:
        boxes_per_image (Sequence[Tensor]): (k_i, 4) boxes per image.
        input_shapes (Sequence[tuple]): (H_in, W_in) per image.
        feat_size (tuple): (H, W) of the feature map.
        device (torch.device, optional): Device of the masks.

    Returns:
        tuple[Tensor, Tensor]: ``fg`` (the paper's M * S) and ``bg`` ((1-M) *
        S).
    """
    h, w = feat_size
    fg = torch.zeros(len(boxes_per_image), 1, h, w, device=device)
    for i, (boxes, shape) in enumerate(zip(boxes_per_image, input_shapes)):
        inside = box_masks(boxes, shape, feat_size, device)
        if inside.shape[0] == 0:
            continue
        fg[i, 0] = (inside / inside.sum(dim=(1, 2), keepdim=True)).amax(dim=0)
    bg = (fg == 0).float()
    bg = bg / bg.sum(dim=(2, 3), keepdim=True).clamp(min=1)
    return fg, bg


def attention_maps(feat: torch.Tensor,
                   temperature: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """FGD spatial and channel attention of a (N, C, H, W) map.

    A^S = H*W * softmax_{HW}(mean_C |F| / T), shape (N, 1, H, W), sums to H*W
    per image; A^C = C * softmax_C(mean_{HW} |F| / T), shape (N, C, 1, 1),
    sums to C per image. Both average 1, so they re-weight, not re-scale.
    """
    n, c, h, w = feat.shape
    absf = feat.abs()
    spatial = absf.mean(dim=1).reshape(n, -1)
    spatial = h * w * F.softmax(spatial / temperature, dim=1)
    channel = absf.mean(dim=(2, 3))
    channel = c * F.softmax(channel / temperature, dim=1)
    return spatial.view(n, 1, h, w), channel.view(n, c, 1, 1)


class GlobalContext(nn.Module):
    """GcBlock-style global relation R(F) of FGD's global distillation.

    R(F) = F + W_v2 ReLU(LN(W_v1 sum_j softmax_j(W_k F)_j F_j)): attention
    pooling with a 1x1 conv (W_k), then a channel-add bottleneck MLP with
    LayerNorm. The last conv starts at zero, so R starts as the identity.

    Args:
        channels (int): Channels of the feature map.
        ratio (float): Bottleneck width as a fraction of ``channels``.
    """

    def __init__(self, channels: int, ratio: float = 0.5) -> None:
        super().__init__()
        hidden = max(1, int(round(channels * ratio)))
        self.attn_conv = nn.Conv2d(channels, 1, kernel_size=1)
        self.channel_add = nn.Sequential(
            nn.Conv2d(channels, hidden, kernel_size=1),
            nn.LayerNorm([hidden, 1, 1]), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, kernel_size=1))
        nn.init.kaiming_normal_(
            self.attn_conv.weight, mode='fan_in', nonlinearity='relu')
        nn.init.zeros_(self.attn_conv.bias)
        nn.init.zeros_(self.channel_add[-1].weight)
        nn.init.zeros_(self.channel_add[-1].bias)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        n, c, h, w = feat.shape
        weights = F.softmax(self.attn_conv(feat).view(n, 1, h * w), dim=2)
        context = torch.bmm(feat.view(n, c, h * w), weights.transpose(1, 2))
        return feat + self.channel_add(context.view(n, c, 1, 1))


@MODELS.register_module()
class FGDLoss(nn.Module):
    """Focal and global distillation loss for one feature level.

    With teacher map T, student map S' = align(S), teacher attention
    (A^S_t, A^C_t) and the masks of :func:`focal_masks`::

        L_fea    = alpha * sum(fg * A^S_t * A^C_t * (T - S')^2)
                 + beta  * sum(bg * A^S_t * A^C_t * (T - S')^2)
        L_at     = gamma * (|A^S_t - A^S_s|_1 + |A^C_t - A^C_s|_1)
        L_global = lambda * sum((R(T) - R(S'))^2)

    Sums run over channels and positions and are averaged over the images of
    the batch. By default one :class:`GlobalContext` R (the paper's single R)
    is shared by teacher and student maps, so identical maps give exactly
    zero loss; ``separate_context=True`` gives each side its own block,
    ``R_s(S') - R_t(T)``, as the FGD reference code does (both blocks start
    as the identity, so the loss at init is the same). The attention maps
    are computed from the teacher; the masks carry no gradient, the student
    map and the loss's own modules (align, R) do.

    Getting the boxes in a ``ConfigurableDistiller``: record the student's
    data samples with a method-inputs recorder on the detector's forward
    (``forward(inputs, data_samples, mode)``, so ``data_idx=1``)::

        student_recorders=dict(data_samples=dict(
            type='mmrazor.MethodInputs',
            source='mmdet.models.detectors.base.BaseDetector.forward'))
        loss_forward_mappings=dict(loss_fgd_fpn0=dict(
            preds_S=dict(from_student=True, recorder='fpn', data_idx=0),
            preds_T=dict(from_student=False, recorder='fpn', data_idx=0),
            data_samples=dict(from_student=True, recorder='data_samples',
                              data_idx=1)))

    Args:
        student_channels (int): Channels of the student map.
        teacher_channels (int): Channels of the teacher map; a 1x1 conv
            aligns the student when they differ.
        temperature (float): T of the attention softmax. Defaults to 0.5.
        alpha_fgd (float): Foreground feature weight. Defaults to 1e-3.
        beta_fgd (float): Background feature weight. Defaults to 5e-4.
        gamma_fgd (float): Attention loss weight. Defaults to 5e-4.
        lambda_fgd (float): Global loss weight. Defaults to 5e-6.
        context_ratio (float): Bottleneck ratio of R. Defaults to 0.5.
        separate_context (bool): One GcBlock for the student map
            (``context_s``) and one for the teacher map (``context_t``), as
            the FGD reference code, instead of one shared ``context``.
            Defaults to False (the v1 tables' setting).
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 temperature: float = 0.5,
                 alpha_fgd: float = 1e-3,
                 beta_fgd: float = 5e-4,
                 gamma_fgd: float = 5e-4,
                 lambda_fgd: float = 5e-6,
                 context_ratio: float = 0.5,
                 separate_context: bool = False) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(
                f'FGDLoss: temperature must be > 0, got {temperature}')
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.temperature = temperature
        self.alpha_fgd = alpha_fgd
        self.beta_fgd = beta_fgd
        self.gamma_fgd = gamma_fgd
        self.lambda_fgd = lambda_fgd
        self.align = None
        if student_channels != teacher_channels:
            self.align = nn.Conv2d(
                student_channels, teacher_channels, kernel_size=1)
        self.separate_context = separate_context
        if separate_context:
            self.context_s = GlobalContext(teacher_channels, context_ratio)
            self.context_t = GlobalContext(teacher_channels, context_ratio)
        else:
            self.context = GlobalContext(teacher_channels, context_ratio)

    def _check_inputs(self, preds_S: torch.Tensor, preds_T: torch.Tensor,
                      data_samples: Sequence) -> None:
        for name, feat, chans in (('student', preds_S, self.student_channels),
                                  ('teacher', preds_T, self.teacher_channels)):
            if feat.dim() != 4 or feat.shape[1] != chans:
                raise ValueError(
                    f'FGDLoss: {name} map must be (N, {chans}, H, W), got '
                    f'{tuple(feat.shape)}')
        if (preds_S.shape[0], *preds_S.shape[2:]) != (preds_T.shape[0],
                                                      *preds_T.shape[2:]):
            raise ValueError(
                'FGDLoss: student and teacher maps differ in batch or '
                f'spatial size: {tuple(preds_S.shape)} vs '
                f'{tuple(preds_T.shape)}')
        if len(data_samples) != preds_T.shape[0]:
            raise ValueError(
                f'FGDLoss: got {len(data_samples)} data samples for a batch '
                f'of {preds_T.shape[0]} maps')

    def forward(self, preds_S: torch.Tensor, preds_T: torch.Tensor,
                data_samples: Sequence) -> torch.Tensor:
        """Total FGD loss of one level.

        Args:
            preds_S (Tensor): Student map (N, C_s, H, W).
            preds_T (Tensor): Teacher map (N, C_t, H, W).
            data_samples (Sequence[DetDataSample]): The batch's samples with
                ``gt_instances.bboxes`` in input pixels and one of the meta
                keys ``batch_input_shape``, ``pad_shape``, ``img_shape``.

        Returns:
            Tensor: Scalar loss.
        """
        self._check_inputs(preds_S, preds_T, data_samples)
        preds_T = preds_T.detach()
        student = preds_S if self.align is None else self.align(preds_S)
        n = preds_T.shape[0]
        with torch.no_grad():
            boxes = [
                get_box_tensor(s.gt_instances.bboxes) for s in data_samples
            ]
            fg, bg = focal_masks(boxes, [input_shape_of(s)
                                         for s in data_samples],
                                 tuple(preds_T.shape[2:]), preds_T.device)
        spatial_t, channel_t = attention_maps(preds_T, self.temperature)
        spatial_s, channel_s = attention_maps(student, self.temperature)

        sq_err = (preds_T - student).pow(2) * spatial_t * channel_t
        loss_fg = (sq_err * fg).sum() / n
        loss_bg = (sq_err * bg).sum() / n
        loss_at = ((spatial_t - spatial_s).abs().sum() +
                   (channel_t - channel_s).abs().sum()) / n
        context_s, context_t = ((self.context_s, self.context_t)
                                if self.separate_context else
                                (self.context, self.context))
        loss_global = (context_t(preds_T) -
                       context_s(student)).pow(2).sum() / n
        return (self.alpha_fgd * loss_fg + self.beta_fgd * loss_bg +
                self.gamma_fgd * loss_at + self.lambda_fgd * loss_global)

    def extra_repr(self) -> str:
        return (f'student_channels={self.student_channels}, '
                f'teacher_channels={self.teacher_channels}, '
                f'temperature={self.temperature}, '
                f'separate_context={self.separate_context}')


__all__ = [
    'FGDLoss', 'GlobalContext', 'attention_maps', 'focal_masks',
    'input_shape_of'
]
