"""Privileged inputs for a teacher: information the student never sees.

In the meniscus-tear KD framework a teacher sees MRI plus another modality
(arthroscopy findings) and is distilled into an MRI-only student. Here the
extra information travels in the data sample as ``data_sample.privileged``:
a ``(C, H, W)`` map aligned with the (resized, flipped) image, or a ``(C,)``
side-information vector. :class:`PrivilegedDetDataPreprocessor` appends it
to a teacher's input channels; the student's preprocessor ignores it.

This transform derives demonstration inputs from the annotations (so it only
works where boxes are loaded). It is a *demonstration* of the mechanism, not
a clinical claim: a teacher that sees ground-truth regions is an oracle.
Place it after ``PackDetInputs``, so boxes are already resized and flipped.
"""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

MODES = ('box_mask', 'class_counts')


@TRANSFORMS.register_module()
class AddPrivilegedChannels(BaseTransform):
    """Attach privileged teacher inputs to the packed data sample.

    Args:
        mode (str): ``'box_mask'``: one map per class, 1 inside that class's
            ground-truth boxes, 0 elsewhere (``(num_classes, H, W)``);
            ``'class_counts'``: the number of boxes per class divided by
            ``count_scale`` (``(num_classes,)``, a side-information vector).
        num_classes (int): Number of classes (channels).
        count_scale (float): Divisor of the counts. Defaults to 10.
        key (str): Data-sample field to write. Defaults to ``'privileged'``.
    """

    def __init__(self, mode: str = 'box_mask', num_classes: int = 1,
                 count_scale: float = 10.0,
                 key: str = 'privileged') -> None:
        if mode not in MODES:
            raise ValueError(f'AddPrivilegedChannels: mode must be one of '
                             f'{MODES}, got {mode!r}')
        if num_classes < 1:
            raise ValueError('AddPrivilegedChannels: num_classes must be >= '
                             f'1, got {num_classes}')
        self.mode = mode
        self.num_classes = num_classes
        self.count_scale = count_scale
        self.key = key

    def transform(self, results: dict) -> dict:
        sample = results.get('data_samples')
        if sample is None or 'gt_instances' not in sample:
            raise KeyError(
                'AddPrivilegedChannels needs packed ground truth: put it '
                'after LoadAnnotations and PackDetInputs in the pipeline')
        boxes = sample.gt_instances.bboxes
        boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
        labels = sample.gt_instances.labels
        if len(labels) and int(labels.max()) >= self.num_classes:
            raise ValueError(
                f'AddPrivilegedChannels: label {int(labels.max())} in '
                f"{sample.metainfo.get('img_path')} but num_classes="
                f'{self.num_classes}')
        if self.mode == 'class_counts':
            counts = np.bincount(labels.numpy().astype(int),
                                 minlength=self.num_classes)
            value = torch.as_tensor(counts / self.count_scale,
                                    dtype=torch.float32)
        else:
            h, w = sample.metainfo['img_shape'][:2]
            value = box_mask(boxes, labels, self.num_classes, (h, w))
        sample.set_field(value, self.key)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode!r}, '
                f'num_classes={self.num_classes}, key={self.key!r})')


def box_mask(boxes: torch.Tensor, labels: torch.Tensor, num_classes: int,
             size: Sequence[int]) -> torch.Tensor:
    """``(num_classes, H, W)`` float map, 1 inside each class's boxes."""
    h, w = int(size[0]), int(size[1])
    out = torch.zeros(num_classes, h, w)
    for (x1, y1, x2, y2), label in zip(boxes.tolist(), labels.tolist()):
        c0, r0 = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
        c1, r1 = min(int(np.ceil(x2)), w), min(int(np.ceil(y2)), h)
        out[int(label), r0:r1, c0:c1] = 1.0
    return out
