"""Additive Gaussian noise augmentation, a probe of the noise robustness
MedDet claims for nmODE2 (arXiv 2409.00204)."""
import numpy as np
from mmdet.registry import TRANSFORMS

from .noise_base import BaseMRINoise


@TRANSFORMS.register_module()
class GaussianNoise(BaseMRINoise):
    """Add zero-mean Gaussian noise of standard deviation ``sigma``.

    See :class:`BaseMRINoise` for the arguments (``sigma``, ``prob``,
    ``seed``, ``value_range``, ``per_channel``).
    """

    def add_noise(self, img: np.ndarray, sigma: float, rng) -> np.ndarray:
        """Image plus a Gaussian field."""
        return img + sigma * self._normal(rng, img)
