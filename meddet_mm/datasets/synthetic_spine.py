"""Synthetic sagittal spine MRI slices with protruding / normal discs and exact
boxes, standing in for MedDet's non-public CDH-1848 (arXiv 2409.00204).

:class:`SyntheticSpineGenerator` holds the sampling ranges and pairs the two
halves: ``synthetic_scene.py`` samples what a slice shows (dataclasses),
``synthetic_render.py`` draws it. The same seed gives the same image and
boxes.
"""
from typing import List, Optional, Tuple

import numpy as np

from .synthetic_render import render_scene
from .synthetic_scene import Range, SeedLike, SpineScene, sample_scene

__all__ = ['SyntheticSpineGenerator', 'generator_from_cfg']


class SyntheticSpineGenerator:
    """Generator of synthetic sagittal T2-weighted lumbar spine slices.

    Each image shows a curved column of vertebral bodies (textured marrow,
    dark cortex) separated by intervertebral discs (dark annulus, nucleus
    bright or dark by degeneration grade), the CSF-filled spinal canal behind
    them with nerve roots, posterior elements, muscle, fat, air, abdomen and
    a fused sacrum with thin, unlabelled remnant discs. Orientation follows
    the SPIDER export: superior at the top, anterior on the left.

    A ``protrusion`` disc pushes material backwards into the canal, either as
    a broad bulge of the whole posterior wall or as a focal herniation blob
    that may migrate up or down; its posterior extent beyond the line of the
    vertebral bodies is at least ``protrusion_depth[0]`` pixels (at the
    320-px reference height), while a ``non-protrusion`` disc stays within
    ``normal_extent`` of it. Boxes enclose each disc including its
    protrusion and are exact (polygon extents, anti-aliased rendering).

    The image is then blurred (PSF), multiplied by a smooth bias field with a
    posterior surface-coil gradient, corrupted with Rician noise, min-max
    normalised to 8 bit like the SPIDER export and gamma-adjusted.

    Args:
        img_size (tuple[int, int]): Output (height, width). Defaults to
            (320, 256), the SPIDER T2-SPACE slice size.
        protrusion_prob (float): Base probability that a disc protrudes; the
            two lowest levels get 1.5x, the others 0.85x. Defaults to 0.4.
        protrusion_depth (tuple[float, float]): Range of the posterior extent
            of a protrusion beyond the vertebral line, in reference pixels;
            small values are more likely. Defaults to (2.5, 10.0).
        normal_extent (float): Largest posterior extent of a normal disc, in
            reference pixels. Defaults to 0.8.
        zoom (tuple[float, float]): Range of the anatomy scale; with the
            sacrum position it sets the number of labelled discs (6 to 12,
            mostly 7 to 10, at the default size). Defaults to (0.85, 1.15).
        max_tilt (float): Largest tilt of the spine axis, degrees.
            Defaults to 10.
        curvature (tuple[float, float]): Range of the lordosis amplitude as a
            fraction of the width. Defaults to (0.0, 0.12).
        noise_sigma (tuple[float, float]): Range of the Rician noise sigma
            relative to the bright-tissue level. Defaults to (0.015, 0.06).
        bias_strength (tuple[float, float]): Range of the log-amplitude of
            the smooth bias field. Defaults to (0.05, 0.3).
        blur_sigma (tuple[float, float]): Range of the PSF Gaussian sigma in
            pixels. Defaults to (0.3, 0.9).
        min_discs (int): Minimum number of labelled discs per image.
            Defaults to 3.
    """

    def __init__(self,
                 img_size: Tuple[int, int] = (320, 256),
                 protrusion_prob: float = 0.4,
                 protrusion_depth: Range = (2.5, 10.0),
                 normal_extent: float = 0.8,
                 zoom: Range = (0.85, 1.15),
                 max_tilt: float = 10.0,
                 curvature: Range = (0.0, 0.12),
                 noise_sigma: Range = (0.015, 0.06),
                 bias_strength: Range = (0.05, 0.3),
                 blur_sigma: Range = (0.3, 0.9),
                 min_discs: int = 3) -> None:
        height, width = (int(v) for v in img_size)
        if height < 64 or width < 64:
            raise ValueError(f'img_size must be at least 64x64, got '
                             f'{img_size!r}')
        if not 0. <= protrusion_prob <= 1.:
            raise ValueError('protrusion_prob must be in [0, 1], got '
                             f'{protrusion_prob}')
        if not (-1. < normal_extent < protrusion_depth[0] <=
                protrusion_depth[1]):
            raise ValueError(
                'need -1 < normal_extent < protrusion_depth[0] <= '
                f'protrusion_depth[1], got {normal_extent} and '
                f'{protrusion_depth}')
        self.img_size = (height, width)
        self.protrusion_prob = float(protrusion_prob)
        self.protrusion_depth = tuple(float(v) for v in protrusion_depth)
        self.normal_extent = float(normal_extent)
        self.zoom = tuple(zoom)
        self.max_tilt = float(max_tilt)
        self.curvature = tuple(curvature)
        self.noise_sigma = tuple(noise_sigma)
        self.bias_strength = tuple(bias_strength)
        self.blur_sigma = tuple(blur_sigma)
        self.min_discs = int(min_discs)

    # ------------------------------------------------------------------
    # public API
    # ------------------------------------------------------------------
    def generate(self, seed: SeedLike) -> Tuple[np.ndarray, List[dict]]:
        """Render one image and its disc annotations.

        Args:
            seed (int | Sequence[int]): Seed; the same seed gives the same
                image and boxes.

        Returns:
            tuple[np.ndarray, list[dict]]: The uint8 (H, W) image and the
            annotations of :meth:`annotations`.
        """
        scene = self.sample_scene(seed)
        return self.render(scene, seed), self.annotations(scene)

    def annotations(self, scene: SpineScene) -> List[dict]:
        """Disc annotations of a scene.

        Args:
            scene (SpineScene): Output of :meth:`sample_scene`.

        Returns:
            list[dict]: One dict per labelled disc, top to bottom, with
            ``bbox`` ([x1, y1, x2, y2], float pixels), ``protrusion`` (bool),
            ``kind`` ('normal', 'bulge' or 'focal'), ``extent`` (posterior
            extent beyond the vertebral line, pixels) and ``level``
            (1 = lowest disc above the sacrum).
        """
        discs = [d for d in scene.discs if d.labelled]
        discs.sort(key=lambda d: d.bbox[1] + d.bbox[3])
        return [
            dict(bbox=list(d.bbox), protrusion=d.protrusion, kind=d.kind,
                 extent=d.extent, level=d.level) for d in discs
        ]

    def sample_scene(self, seed: SeedLike) -> SpineScene:
        """Sample the anatomy (geometry and tissue intensities) of one image.

        This is cheap (no rendering), so datasets can build their annotation
        lists without drawing images.

        Args:
            seed (int | Sequence[int]): Seed.

        Returns:
            SpineScene: Scene consumed by :meth:`render`.
        """
        return sample_scene(self, seed)

    def render(self, scene: SpineScene, seed: SeedLike) -> np.ndarray:
        """Draw a scene into an 8-bit image.

        Args:
            scene (SpineScene): Output of :meth:`sample_scene`.
            seed (int | Sequence[int]): Seed for textures, bias and noise
                (the scene's own seed keeps image and boxes paired).

        Returns:
            np.ndarray: uint8 image of shape (H, W).
        """
        return render_scene(scene, seed, self.blur_sigma, self.bias_strength,
                            self.noise_sigma)


def generator_from_cfg(cfg: Optional[dict],
                       img_size: Tuple[int, int]) -> SyntheticSpineGenerator:
    """Build a generator from keyword overrides and an image size.

    Args:
        cfg (dict, optional): Keyword arguments of
            :class:`SyntheticSpineGenerator` other than ``img_size``.
        img_size (tuple[int, int]): (height, width).

    Returns:
        SyntheticSpineGenerator: The generator.
    """
    cfg = dict(cfg or {})
    if 'img_size' in cfg:
        raise ValueError('pass img_size on its own, not inside generator_cfg')
    return SyntheticSpineGenerator(img_size=tuple(img_size), **cfg)
