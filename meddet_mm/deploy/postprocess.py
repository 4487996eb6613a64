"""GFL post-processing in numpy: per-level score filter and top-k, clipping,
rescaling to the original image, size filter and per-class NMS, in the
order of mmdet's ``GFLHead.predict_by_feat`` with the detector's test_cfg."""
from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np

from .spec import PostprocessConfig


@dataclass
class Detections:
    """Boxes found in one image, best first after NMS.

    Attributes:
        boxes (np.ndarray): (K, 4) float32, x1, y1, x2, y2 in pixels.
        scores (np.ndarray): (K,) float32 class scores.
        labels (np.ndarray): (K,) int64 class indices.
    """
    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


def select_candidates(boxes: np.ndarray, scores: np.ndarray,
                      level_sizes: Sequence[int], score_thr: float,
                      nms_pre: int) -> Detections:
    """Keep (prior, class) pairs with ``score > score_thr``, at most
    ``nms_pre`` per pyramid level, highest scores first within a level.

    Args:
        boxes (np.ndarray): (N, 4) decoded boxes of all priors.
        scores (np.ndarray): (N, C) class scores of all priors.
        level_sizes (Sequence[int]): Priors per level; they sum to N.
        score_thr (float): Score threshold.
        nms_pre (int): Pairs kept per level (<= 0 keeps all).

    Returns:
        Detections: The candidates, level by level.
    """
    level_sizes = [int(n) for n in level_sizes]
    if sum(level_sizes) != len(scores) or len(boxes) != len(scores):
        raise ValueError(f'level sizes {level_sizes} (sum '
                         f'{sum(level_sizes)}) do not match {len(boxes)} '
                         f'boxes and {len(scores)} score rows')
    out_boxes, out_scores, out_labels = [], [], []
    start = 0
    for size in level_sizes:
        level = scores[start:start + size]
        rows, labels = np.nonzero(level > score_thr)
        values = level[rows, labels]
        order = np.argsort(-values, kind='stable')
        if nms_pre > 0:
            order = order[:nms_pre]
        out_boxes.append(boxes[start + rows[order]])
        out_scores.append(values[order])
        out_labels.append(labels[order])
        start += size
    return Detections(
        np.concatenate(out_boxes).astype(np.float32).reshape(-1, 4),
        np.concatenate(out_scores).astype(np.float32),
        np.concatenate(out_labels).astype(np.int64))


def nms(boxes: np.ndarray, scores: np.ndarray, iou_thr: float) -> np.ndarray:
    """Greedy NMS: indices of the kept boxes, highest score first.

    A box is suppressed when its IoU with a kept, higher-scoring box is
    above ``iou_thr`` (areas as ``(x2 - x1) * (y2 - y1)``).
    """
    order = np.argsort(-scores, kind='stable')
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    areas = (x2 - x1) * (y2 - y1)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        inter = (np.maximum(0., np.minimum(x2[i], x2[rest]) -
                            np.maximum(x1[i], x1[rest])) *
                 np.maximum(0., np.minimum(y2[i], y2[rest]) -
                            np.maximum(y1[i], y1[rest])))
        union = areas[i] + areas[rest] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter),
                        where=union > 0)
        order = rest[iou <= iou_thr]
    return np.asarray(keep, dtype=np.int64)


def batched_nms(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                iou_thr: float) -> np.ndarray:
    """NMS within each class; kept indices sorted by score, best first."""
    keep = [np.flatnonzero(labels == c)[nms(boxes[labels == c],
                                            scores[labels == c], iou_thr)]
            for c in np.unique(labels)]
    if not keep:
        return np.zeros(0, dtype=np.int64)
    keep = np.concatenate(keep)
    return keep[np.argsort(-scores[keep], kind='stable')]


def postprocess(boxes: np.ndarray, scores: np.ndarray,
                level_sizes: Sequence[int], img_hw: Tuple[int, int],
                scale_factor: Tuple[float, float], cfg: PostprocessConfig,
                with_nms: bool = True) -> Detections:
    """Raw graph outputs of one image -> detections in original pixels.

    Args:
        boxes (np.ndarray): (N, 4) boxes in model-input pixels.
        scores (np.ndarray): (N, C) scores.
        level_sizes (Sequence[int]): Priors per pyramid level.
        img_hw (tuple[int, int]): Size of the resized image fed to the
            graph (before its padding); boxes are clipped to it.
        scale_factor (tuple[float, float]): ``(w_scale, h_scale)`` of the
            resize; boxes are divided by it.
        cfg (PostprocessConfig): Thresholds.
        with_nms (bool): Run NMS and ``max_per_img``. Defaults to True.

    Returns:
        Detections: In the original image's pixels.
    """
    dets = select_candidates(boxes, scores, level_sizes, cfg.score_thr,
                             cfg.nms_pre)
    b = dets.boxes
    b[:, 0::2] = np.clip(b[:, 0::2], 0, img_hw[1])
    b[:, 1::2] = np.clip(b[:, 1::2], 0, img_hw[0])
    b /= np.array(scale_factor * 2, dtype=np.float32)  # (w, h, w, h)
    if cfg.min_bbox_size >= 0:
        valid = ((b[:, 2] - b[:, 0] > cfg.min_bbox_size) &
                 (b[:, 3] - b[:, 1] > cfg.min_bbox_size))
        dets = Detections(b[valid], dets.scores[valid], dets.labels[valid])
    if not with_nms or not len(dets):
        return dets
    keep = batched_nms(dets.boxes, dets.scores, dets.labels, cfg.nms_iou)
    if cfg.max_per_img > 0:
        keep = keep[:cfg.max_per_img]
    return Detections(dets.boxes[keep], dets.scores[keep], dets.labels[keep])
