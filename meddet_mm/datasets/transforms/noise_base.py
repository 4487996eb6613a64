"""Shared base of the MRI noise augmentations (relative sigma, prob, seeding);
they probe the noise robustness MedDet claims for nmODE2 (arXiv 2409.00204)."""
import zlib
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform

Sigma = Union[float, Sequence[float]]


class BaseMRINoise(BaseTransform):
    """Base class of additive MRI noise transforms on ``results['img']``.

    Sigma is relative to the intensity range: the dtype range for integer
    images (255 for uint8), else ``value_range`` if given, else the image's
    own ``max - min``. The output keeps the input dtype; integer images are
    rounded and clipped to the dtype range, float images are not clipped.

    Seeding: with ``seed=None`` the global numpy RNG is used (mmengine seeds
    it per dataloader worker), right for training augmentation. With an
    integer seed, the noise depends only on ``(seed, img_id)`` (or
    ``sample_idx``, or a call counter when neither exists), so every image
    gets the same noise in every run and worker, e.g. to evaluate a model
    on a fixed noisy copy of the validation set.

    Required keys: ``img``. Modified keys: ``img``. Added keys:
    ``noise_sigma`` (absolute sigma applied, 0 when skipped).

    Args:
        sigma (float | Sequence[float]): Relative noise level, or a
            (low, high) range sampled uniformly per image. Defaults to 0.05.
        prob (float): Probability of adding noise. Defaults to 1.0.
        seed (int, optional): See above. Defaults to None.
        value_range (Sequence[float], optional): (min, max) intensity range
            for float images. Defaults to None.
        per_channel (bool): Independent noise per channel; by default one
            noise field is shared by all channels, as for a grey MRI
            replicated to 3 channels. Defaults to False.
    """

    def __init__(self,
                 sigma: Sigma = 0.05,
                 prob: float = 1.0,
                 seed: Optional[int] = None,
                 value_range: Optional[Sequence[float]] = None,
                 per_channel: bool = False) -> None:
        if np.isscalar(sigma):
            lo = hi = float(sigma)
        else:
            if len(sigma) != 2:
                raise ValueError(f'sigma must be a number or a (low, high) '
                                 f'pair, got {sigma!r}')
            lo, hi = (float(v) for v in sigma)
        if not 0 <= lo <= hi:
            raise ValueError(f'need 0 <= sigma low <= high, got {sigma!r}')
        if not 0. <= prob <= 1.:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.sigma: Tuple[float, float] = (lo, hi)
        self.prob = float(prob)
        self.seed = seed
        self.value_range = (None if value_range is None else tuple(
            float(v) for v in value_range))
        self.per_channel = per_channel
        self._calls = 0

    def _rng(self, results: dict):
        """RNG for this call: global numpy, or derived from seed + image."""
        if self.seed is None:
            return np.random
        key = results.get('img_id', results.get('sample_idx'))
        if key is None:
            key = self._calls
            self._calls += 1
        if not isinstance(key, (int, np.integer)) or key < 0:
            key = zlib.crc32(str(key).encode())
        return np.random.default_rng([int(self.seed), int(key)])

    def _intensity_range(self, img: np.ndarray) -> float:
        if np.issubdtype(img.dtype, np.integer):
            info = np.iinfo(img.dtype)
            return float(info.max) - float(info.min)
        if self.value_range is not None:
            return self.value_range[1] - self.value_range[0]
        span = float(img.max()) - float(img.min()) if img.size else 0.
        return span if span > 0 else 1.0

    def add_noise(self, img: np.ndarray, sigma: float,
                  rng) -> np.ndarray:
        """Return ``img`` (float64) with noise of absolute ``sigma`` added.

        Args:
            img (np.ndarray): Image as float64.
            sigma (float): Absolute noise standard deviation.
            rng: ``numpy.random`` or a ``numpy.random.Generator``.
        """
        raise NotImplementedError

    def _normal(self, rng, img: np.ndarray) -> np.ndarray:
        """Standard normal field shaped like ``img`` (shared over channels
        unless ``per_channel``)."""
        if img.ndim == 3 and not self.per_channel:
            field = rng.standard_normal(img.shape[:2])
            return np.broadcast_to(field[..., None], img.shape)
        return rng.standard_normal(img.shape)

    def transform(self, results: dict) -> dict:
        """Add noise to ``results['img']`` with probability ``prob``."""
        rng = self._rng(results)
        results['noise_sigma'] = 0.
        if self.prob < 1. and rng.random() >= self.prob:
            return results
        img = results['img']
        rel = (self.sigma[0] if self.sigma[0] == self.sigma[1] else
               rng.uniform(*self.sigma))
        sigma = rel * self._intensity_range(img)
        out = self.add_noise(img.astype(np.float64), sigma, rng)
        if np.issubdtype(img.dtype, np.integer):
            info = np.iinfo(img.dtype)
            out = np.clip(np.rint(out), info.min, info.max)
        results['img'] = out.astype(img.dtype)
        results['noise_sigma'] = sigma
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(sigma={self.sigma}, '
                f'prob={self.prob}, seed={self.seed}, '
                f'value_range={self.value_range}, '
                f'per_channel={self.per_channel})')
