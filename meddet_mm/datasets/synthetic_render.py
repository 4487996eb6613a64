"""Drawing a :class:`~meddet_mm.datasets.synthetic_scene.SpineScene` into an
8-bit sagittal T2-like slice: soft tissue and canal, posterior elements,
vertebrae, discs, then blur (PSF), bias field with a posterior coil gradient,
Rician noise, 8-bit min-max normalisation and gamma, like the SPIDER export.
"""
from typing import Sequence, Tuple, Union

import cv2
import numpy as np

from .synthetic_scene import (Centerline, Disc, SeedLike, SpineScene,
                              TissueIntensities, seed_sequence, superellipse)

Range = Tuple[float, float]


def smooth_noise(rng: np.random.Generator, shape: Tuple[int, int],
                 sigma: float) -> np.ndarray:
    """Gaussian-blurred white noise with unit standard deviation.

    Wide kernels are applied at a lower resolution and upsampled.
    """
    h, w = shape
    f = max(1, int(sigma // 2))
    field = rng.standard_normal((h // f + 2, w // f + 2), dtype=np.float32)
    field = cv2.GaussianBlur(field, (0, 0), sigma / f)
    if f > 1:
        field = cv2.resize(field, ((w // f + 2) * f, (h // f + 2) * f),
                           interpolation=cv2.INTER_LINEAR)
    field = np.ascontiguousarray(field[f:f + h, f:f + w])
    std = float(field.std())
    return field / std if std > 0 else field


def fill_polygons(canvas: np.ndarray, polys: Sequence[np.ndarray],
                  value: Union[float, np.ndarray]) -> None:
    """Alpha-blend the union of polygons into ``canvas`` in place.

    Polygon coordinates are continuous with pixel ``i`` covering
    ``[i, i + 1)``, the COCO convention, so the union's vertex extent is the
    exact box. Edges are anti-aliased.

    Args:
        canvas (np.ndarray): Float32 image (H, W).
        polys (Sequence[np.ndarray]): Polygons, each (N, 2) as (x, y).
        value (float | np.ndarray): Fill intensity, a scalar or an image
            like ``canvas`` (for textured tissue).
    """
    h, w = canvas.shape
    allp = np.concatenate(polys, axis=0)
    x0 = max(int(np.floor(allp[:, 0].min())) - 1, 0)
    y0 = max(int(np.floor(allp[:, 1].min())) - 1, 0)
    x1 = min(int(np.ceil(allp[:, 0].max())) + 2, w)
    y1 = min(int(np.ceil(allp[:, 1].max())) + 2, h)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for poly in polys:
        pts = np.round((poly - [x0 + 0.5, y0 + 0.5]) * 16).astype(np.int32)
        cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_AA, shift=4)
    alpha = mask.astype(np.float32) * (1. / 255)
    roi = canvas[y0:y1, x0:x1]
    val = value if np.isscalar(value) else value[y0:y1, x0:x1]
    roi += alpha * (val - roi)


def render_scene(scene: SpineScene, seed: SeedLike, blur_sigma: Range,
                 bias_strength: Range, noise_sigma: Range) -> np.ndarray:
    """Draw a scene into an 8-bit image.

    Args:
        scene (SpineScene): The anatomy.
        seed (int | Sequence[int]): Seed for textures, bias and noise (the
            scene's own seed keeps image and boxes paired).
        blur_sigma (tuple[float, float]): Range of the PSF Gaussian sigma.
        bias_strength (tuple[float, float]): Range of the log-amplitude of
            the bias field.
        noise_sigma (tuple[float, float]): Range of the Rician noise sigma,
            relative to the bright-tissue level.

    Returns:
        np.ndarray: uint8 image of shape (H, W).
    """
    rng = np.random.default_rng(seed_sequence(seed, 1))
    h, w = scene.height, scene.width
    tis = scene.tissue
    line, k = scene.centerline, scene.scale
    coarse = smooth_noise(rng, (h, w), 5.0 * k)
    fine = smooth_noise(rng, (h, w), 1.0)
    canvas = _soft_tissue(scene, coarse, fine)

    marrow_tex = 1. + 0.18 * coarse + 0.08 * fine
    # laminae / spinous processes behind the canal, one per vertebra
    p0 = scene.body_half_depth + scene.canal_gap + scene.canal_width + \
        1.5 * k
    for vert in scene.vertebrae:
        post = vert.posterior
        u, v = superellipse(post.half_depth * scene.posterior_width,
                            post.half_length * 2 * vert.half_height,
                            post.squareness, 2.5, n=48)
        fill_polygons(canvas, [line.to_image(
            vert.s, u + p0 + post.offset_u * scene.posterior_width,
            v + post.offset_v * vert.half_height)],
            tis.post_bone * marrow_tex)
    for vert in scene.vertebrae:
        u, v = superellipse(vert.half_depth, vert.half_height,
                            vert.squareness, vert.squareness)
        fill_polygons(canvas, [line.to_image(vert.s, u, v)], tis.cortex)
        c = vert.cortex
        u, v = superellipse(vert.half_depth - c, vert.half_height - c,
                            vert.squareness, vert.squareness)
        fill_polygons(canvas, [line.to_image(vert.s, u, v)],
                      (tis.marrow + vert.marrow_offset) * marrow_tex)
        blob = vert.blob
        if blob.present:
            u, v = superellipse(blob.radius, blob.radius * 0.8, 2., 2., n=32)
            fill_polygons(canvas, [line.to_image(
                vert.s, u + blob.u * vert.half_depth,
                v + blob.v * vert.half_height)], blob.intensity)
        if vert.remnant > 0:  # fused sacral disc remnant
            u, v = superellipse(vert.half_depth * 0.8, vert.remnant / 2, 4.,
                                2.)
            fill_polygons(canvas, [line.to_image(
                vert.s - vert.half_height + 1.5 * k, u, v)], tis.annulus)

    for disc in scene.discs:
        if not disc.labelled:
            continue  # cut by the border: left as vertebral tissue
        _draw_disc(canvas, disc, line, tis, k, fine)

    # PSF blur, bias field with posterior coil gradient, Rician noise
    canvas = cv2.GaussianBlur(canvas, (0, 0), rng.uniform(*blur_sigma))
    grid = rng.standard_normal((3, 3)).astype(np.float32)
    field = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
    bias = np.exp(rng.uniform(*bias_strength) * field)
    xs = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None]
    bias = bias * (1. + rng.uniform(0., 0.6) * xs)
    canvas = canvas * bias
    sigma = rng.uniform(*noise_sigma) * float(np.percentile(canvas, 99))
    re = canvas + sigma * rng.standard_normal((h, w), dtype=np.float32)
    im = sigma * rng.standard_normal((h, w), dtype=np.float32)
    mag = np.sqrt(re * re + im * im)
    lo, hi = float(mag.min()), float(np.percentile(mag, 99.9))
    out = np.clip((mag - lo) / max(hi - lo, 1e-6), 0., 1.)
    out = out**scene.gamma
    return np.round(out * 255.).astype(np.uint8)


def _soft_tissue(scene: SpineScene, coarse: np.ndarray,
                 fine: np.ndarray) -> np.ndarray:
    """Background: abdomen, vessels, canal, posterior elements, skin."""
    h, w = scene.height, scene.width
    line, k, tis = scene.centerline, scene.scale, scene.tissue
    rows = np.arange(h, dtype=np.float64) + 0.5
    xc = np.interp(rows, line.ys, line.xs)
    slope = np.gradient(np.interp(rows, line.ys, line.xs))
    norm = np.hypot(slope, 1.)
    tx, ty = slope / norm, 1. / norm  # unit tangent (x, y)
    x = np.arange(w, dtype=np.float64)[None] + 0.5
    rel = x - xc[:, None]
    dx = (rel * ty[:, None]).astype(np.float32)  # posterior distance
    s = (line.s_at_y(rows)[:, None] + rel * tx[:, None]).astype(np.float32)

    def band(lo, hi):
        return (np.clip(dx - lo + 0.5, 0, 1) *
                np.clip(hi - dx + 0.5, 0, 1)).astype(np.float32)

    def paint(img, alpha, value):
        img += alpha * (value - img)

    body = scene.body_half_depth
    img = (tis.abdomen * (1. + 0.35 * coarse + 0.1 * fine)).astype(
        np.float32)
    for loop in scene.bowel:
        cv2.ellipse(img, ((loop.x, loop.y),
                          (2 * loop.half_width, 2 * loop.half_height),
                          loop.angle), loop.intensity, -1, cv2.LINE_AA)
    # prevertebral vessel (flow void)
    vessel = scene.vessel
    if vessel.present:
        alpha = band(-body - 3 * k - vessel.width, -body - 3 * k) * (
            s > line.s_at_y(vessel.start * h)).astype(np.float32)
        paint(img, alpha, tis.vessel)
    # spinal canal with a wobbling posterior border
    c0 = body + scene.canal_gap
    wob = scene.canal_wobble * np.sin(
        2 * np.pi * scene.canal_wobble_freq * s / h +
        scene.canal_wobble_phase)
    c1 = c0 + scene.canal_width + wob
    paint(img, band(body - 1.5 * k, c0), tis.ligament)
    canal = np.clip(dx - c0 + 0.5, 0, 1) * np.clip(c1 - dx + 0.5, 0, 1)
    paint(img, canal, tis.csf * (1. + 0.05 * fine))
    width = c1 - c0
    cord = (np.clip(s - scene.conus_s, 0, None) / (30. * k))
    cord_half = np.clip(0.3 - 0.3 * cord, 0, None) * width
    mid = c0 + 0.55 * width
    paint(img, np.clip(cord_half - np.abs(dx - mid) + 0.5, 0, 1) * canal,
          tis.cord)
    for root in scene.roots:
        centre = c0 + root.position * width
        paint(img, np.clip(root.thickness * k - np.abs(dx - centre), 0, 1) *
              canal * (s > scene.conus_s), tis.root)
    # ligamentum flavum, posterior elements, muscle, fat, air
    paint(img, np.clip(dx - c1 + 0.5, 0, 1) * np.clip(
        c1 + 1.5 * k - dx + 0.5, 0, 1), tis.ligament)
    p0, p1 = c1 + 1.5 * k, c1 + 1.5 * k + scene.posterior_width
    paint(img, np.clip(dx - p0 + 0.5, 0, 1), tis.post_fat *
          (1. + 0.3 * coarse + 0.08 * fine))
    m1 = p1 + scene.muscle_width
    paint(img, np.clip(dx - p1 + 0.5, 0, 1), tis.muscle *
          (1. + 0.2 * coarse + 0.1 * fine))
    f1 = m1 + scene.fat_width
    paint(img, np.clip(dx - m1 + 0.5, 0, 1), tis.fat * (1. + 0.08 * coarse))
    paint(img, np.clip(dx - f1 + 0.5, 0, 1), tis.air)
    return img


def _draw_disc(canvas: np.ndarray, disc: Disc, line: Centerline,
               tis: TissueIntensities, k: float, fine: np.ndarray) -> None:
    """Endplate rim, annulus (protrusion included), nucleus, optional cleft
    and herniation of one disc."""
    s, a, b = disc.s, disc.half_depth, disc.half_height
    uu, vv = disc.outline_u, disc.outline_v
    scale_v = (b + 1.2 * k) / b
    fill_polygons(canvas, [line.to_image(s, uu * (a + 0.3 * k) / a,
                                         vv * scale_v)], tis.cortex)
    fill_polygons(canvas, disc.polygons[:1], tis.annulus)
    shape = disc.nucleus_shape
    nu, nv = superellipse(a * shape.depth, b * shape.height, 2.5, 2.)
    nucleus = disc.nucleus_intensity * (1. + 0.06 * fine)
    fill_polygons(canvas, [line.to_image(s, nu + shape.shift * a, nv)],
                  nucleus)
    if disc.cleft:
        cu, cv = superellipse(a * shape.depth * 0.8, 0.35 * k, 3., 2.)
        fill_polygons(canvas, [line.to_image(s, cu + shape.shift * a, cv)],
                      tis.annulus)
    if disc.hernia is not None:
        fill_polygons(canvas, disc.polygons[1:], disc.hernia_intensity)
