"""Rician noise, the magnitude of an MR signal plus complex Gaussian noise, to
probe the noise robustness MedDet claims for nmODE2 (arXiv 2409.00204)."""
import numpy as np
from mmdet.registry import TRANSFORMS

from .noise_base import BaseMRINoise


@TRANSFORMS.register_module()
class RicianNoise(BaseMRINoise):
    """Add Rician noise: ``sqrt((I + s * n1)^2 + (s * n2)^2)``.

    ``n1`` and ``n2`` are independent standard normal fields and ``s`` the
    absolute sigma. In background (I = 0) the result is Rayleigh distributed
    with mean ``s * sqrt(pi / 2)``; in bright tissue it approaches Gaussian
    noise. See :class:`BaseMRINoise` for the arguments (``sigma``,
    ``prob``, ``seed``, ``value_range``, ``per_channel``).
    """

    def add_noise(self, img: np.ndarray, sigma: float, rng) -> np.ndarray:
        """Magnitude of the image plus complex Gaussian noise."""
        real = img + sigma * self._normal(rng, img)
        imag = sigma * self._normal(rng, img)
        return np.sqrt(real * real + imag * imag)
