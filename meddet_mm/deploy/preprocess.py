"""Resize an image for an exported detector the way the training config's
test pipeline does (mmdet ``Resize``: mmcv's rescale rule, OpenCV resize).
Everything after the resize (channel order, mean/std, padding) is in the
ONNX graph."""
from typing import Optional, Tuple

import numpy as np

from .spec import ResizeRule

_CV2_FLAGS = {
    'nearest': 'INTER_NEAREST',
    'bilinear': 'INTER_LINEAR',
    'bicubic': 'INTER_CUBIC',
    'area': 'INTER_AREA',
    'lanczos': 'INTER_LANCZOS4',
}


def keep_ratio_size(width: int, height: int,
                    scale_wh: Tuple[int, int]) -> Tuple[int, int]:
    """Output ``(width, height)`` of a keep-ratio resize to ``scale_wh``.

    One factor scales both sides: the largest that keeps the long side within
    ``max(scale_wh)`` and the short side within ``min(scale_wh)``; sides are
    rounded half up, as mmcv's ``rescale_size`` does.
    """
    long_edge, short_edge = max(scale_wh), min(scale_wh)
    factor = min(long_edge / max(width, height),
                 short_edge / min(width, height))
    return int(width * factor + 0.5), int(height * factor + 0.5)


def resize_image(img: np.ndarray, rule: Optional[ResizeRule]
                 ) -> Tuple[np.ndarray, Tuple[float, float]]:
    """Resize an (H, W, 3) image by ``rule``.

    Args:
        img (np.ndarray): Image, BGR ``uint8``.
        rule (ResizeRule, optional): None returns ``img`` unchanged.

    Returns:
        tuple: The resized image and its ``(w_scale, h_scale)`` relative to
        ``img`` (new size / old size, as mmdet's ``scale_factor``).
    """
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'expected an (H, W, 3) image, got shape {img.shape}')
    if rule is None:
        return img, (1.0, 1.0)
    import cv2
    height, width = img.shape[:2]
    if rule.keep_ratio:
        size = keep_ratio_size(width, height, rule.scale_wh)
    else:
        size = tuple(rule.scale_wh)
    out = cv2.resize(img, size,
                     interpolation=getattr(cv2,
                                           _CV2_FLAGS[rule.interpolation]))
    return out, (out.shape[1] / width, out.shape[0] / height)
