"""Ground-truth regions on a feature grid, shared by the region-aware
distillation losses (FGD, MSKD's FFD and RGD).

A detector's data sample keeps its boxes (and optionally instance masks) in
the pixels of the padded network input; a feature map of size (h, w) covers
that input with stride ``input / feature`` per axis. The helpers here map the
regions onto such a grid.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures.bbox import get_box_tensor

# where a detector data sample keeps the size that the feature maps cover
INPUT_SHAPE_KEYS = ('batch_input_shape', 'pad_shape', 'img_shape')


def input_shape_of(data_sample) -> Tuple[int, int]:
    """(H, W) of the network input that ``data_sample``'s boxes live in.

    ``batch_input_shape`` (set by ``DetDataPreprocessor``) is the padded batch
    size, which is what the FPN maps cover; ``pad_shape`` and ``img_shape``
    are fall-backs for samples that did not pass the preprocessor.
    """
    meta = data_sample.metainfo
    for key in INPUT_SHAPE_KEYS:
        if key in meta:
            return tuple(meta[key][:2])
    raise KeyError('A data sample has none of the meta keys '
                   f'{INPUT_SHAPE_KEYS}; cannot map its boxes to the feature '
                   'map.')


def box_cells(boxes: torch.Tensor, input_shape: Tuple[int, int],
              feat_size: Tuple[int, int]) -> torch.Tensor:
    """Feature cells covered by boxes, as (k, 4) float ``x1, y1, x2, y2``.

    A box (x1, y1, x2, y2) in input pixels covers the cells ``x1 <= x < x2``
    and ``y1 <= y < y2`` of the grid that it overlaps, and at least one cell
    (boxes smaller than the stride, or outside the map, are kept).

    Args:
        boxes (Tensor): (k, 4) boxes in input pixels.
        input_shape (tuple): (H_in, W_in) of the input.
        feat_size (tuple): (H, W) of the feature map.
    """
    h, w = feat_size
    in_h, in_w = input_shape
    boxes = boxes.float()
    sx, sy = w / in_w, h / in_h
    x1 = (boxes[:, 0] * sx).floor().clamp(0, w - 1)
    y1 = (boxes[:, 1] * sy).floor().clamp(0, h - 1)
    x2 = torch.maximum((boxes[:, 2] * sx).ceil().clamp(max=w), x1 + 1)
    y2 = torch.maximum((boxes[:, 3] * sy).ceil().clamp(max=h), y1 + 1)
    return torch.stack([x1, y1, x2, y2], dim=1)


def box_masks(boxes: torch.Tensor,
              input_shape: Tuple[int, int],
              feat_size: Tuple[int, int],
              device=None) -> torch.Tensor:
    """Binary (k, H, W) float masks of the cells each box covers.

    See :func:`box_cells` for which cells a box covers.
    """
    h, w = feat_size
    boxes = get_box_tensor(boxes).to(device=device)
    if boxes.numel() == 0:
        return torch.zeros(0, h, w, device=device)
    x1, y1, x2, y2 = box_cells(boxes, input_shape,
                               feat_size).view(-1, 4, 1, 1).unbind(dim=1)
    ys = torch.arange(h, device=device).view(1, h, 1)
    xs = torch.arange(w, device=device).view(1, 1, w)
    return ((xs >= x1) & (xs < x2) & (ys >= y1) & (ys < y2)).float()


def pixel_masks_to_grid(masks: torch.Tensor, input_shape: Tuple[int, int],
                        feat_size: Tuple[int, int]) -> torch.Tensor:
    """Binary (k, H, W) float masks of the cells that pixel masks touch.

    ``masks`` (k, h_m, w_m) lie in the input frame from its top-left corner
    (as unpadded masks do); they are zero-padded (or cropped) to
    ``input_shape`` and a cell is in a region when any of its pixels is, the
    same rule as for boxes.
    """
    h, w = feat_size
    if masks.shape[0] == 0:
        return masks.new_zeros(0, h, w, dtype=torch.float32)
    in_h, in_w = input_shape
    masks = masks.float()[:, :in_h, :in_w]
    masks = F.pad(masks, (0, in_w - masks.shape[2], 0, in_h - masks.shape[1]))
    cover = F.interpolate(masks[:, None], size=(h, w), mode='area')[:, 0]
    return (cover > 0).float()


def instance_regions(data_sample,
                     feat_size: Tuple[int, int],
                     device=None,
                     use_masks: bool = True) -> torch.Tensor:
    """(k, H, W) binary float masks of one sample's ground-truth instances.

    Uses ``gt_instances.masks`` (bitmap, polygon or tensor masks) when
    ``use_masks`` and the sample has them, the boxes otherwise.
    """
    gt = data_sample.gt_instances
    shape = input_shape_of(data_sample)
    if use_masks and 'masks' in gt:
        masks = gt.masks
        if hasattr(masks, 'to_tensor'):  # mmdet BitmapMasks / PolygonMasks
            masks = masks.to_tensor(dtype=torch.float32, device=device)
        return pixel_masks_to_grid(
            torch.as_tensor(masks, device=device), shape, feat_size)
    return box_masks(gt.bboxes, shape, feat_size, device)


def batch_regions(data_samples: Sequence,
                  feat_size: Tuple[int, int],
                  device=None,
                  use_masks: bool = True) -> list:
    """:func:`instance_regions` of every sample, without gradient."""
    with torch.no_grad():
        return [
            instance_regions(s, feat_size, device, use_masks)
            for s in data_samples
        ]


def check_pair(name: str, preds_S: torch.Tensor, preds_T: torch.Tensor,
               data_samples: Optional[Sequence]) -> None:
    """Raise if two maps are not both (N, C, H, W) of one shape, or the
    number of data samples is not N."""
    if preds_S.dim() != 4 or preds_S.shape != preds_T.shape:
        raise ValueError(
            f'{name}: student and teacher maps must both be (N, C, H, W) of '
            f'one shape, got {tuple(preds_S.shape)} and '
            f'{tuple(preds_T.shape)}')
    if data_samples is not None and len(data_samples) != preds_T.shape[0]:
        raise ValueError(
            f'{name}: got {len(data_samples)} data samples for a batch of '
            f'{preds_T.shape[0]} maps')


__all__ = [
    'INPUT_SHAPE_KEYS', 'input_shape_of', 'box_cells', 'box_masks',
    'pixel_masks_to_grid', 'instance_regions', 'batch_regions', 'check_pair'
]
