"""Synthetic sagittal spine MRI slices with protruding / normal discs and exact
boxes, standing in for MedDet's non-public CDH-1848 (arXiv 2409.00204)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

SeedLike = Union[int, Sequence[int]]
Range = Tuple[float, float]

# Reference frame: the SPIDER T2-SPACE slices are 320 px high and 256 px wide
# (about 0.94 mm per pixel); all lengths below are pixels at that size and are
# multiplied by ``height / 320`` and a random zoom.
_REF_HEIGHT = 320.0


def _seed_sequence(seed: SeedLike, stream: int) -> List[int]:
    """Seed list for ``np.random.default_rng``: the seed plus a stream id."""
    if isinstance(seed, (int, np.integer)):
        seq = [int(seed)]
    else:
        seq = [int(s) for s in seed]
    if any(s < 0 for s in seq):
        raise ValueError(f'seeds must be non-negative integers, got {seed!r}')
    return seq + [stream]


def _smooth_noise(rng: np.random.Generator, shape: Tuple[int, int],
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


def _superellipse(a: float, b: float, p: float, q: float, wedge: float = 0.,
                  n: int = 96) -> Tuple[np.ndarray, np.ndarray]:
    """Boundary of a super-ellipse in a local (u, v) frame.

    Args:
        a (float): Half size along u (antero-posterior).
        b (float): Half size along v (along the spine).
        p (float): Exponent along u; larger is boxier.
        q (float): Exponent along v.
        wedge (float): Relative extra height at the anterior end (u = -a).
            Defaults to 0.
        n (int): Number of vertices. Defaults to 96.

    Returns:
        tuple[np.ndarray, np.ndarray]: u and v coordinates of the vertices.
    """
    t = np.linspace(0., 2. * np.pi, n, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    u = a * np.sign(c) * np.abs(c)**(2. / p)
    v = b * np.sign(s) * np.abs(s)**(2. / q)
    v = v * (1. - wedge * u / a)
    return u, v


class _Centerline:
    """Arc-length parametrised spine axis ``x = f(y)`` with a local frame."""

    def __init__(self, ys: np.ndarray, xs: np.ndarray) -> None:
        self.ys, self.xs = ys, xs
        seg = np.hypot(np.diff(xs), np.diff(ys))
        self.s = np.concatenate([[0.], np.cumsum(seg)])

    def s_at_y(self, y: Union[float, np.ndarray]) -> np.ndarray:
        """Arc length at image row(s) ``y``."""
        return np.interp(y, self.ys, self.s)

    def frame(self, s: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point, unit tangent (caudal) and unit normal (posterior) at s."""
        x = np.interp(s, self.s, self.xs)
        y = np.interp(s, self.s, self.ys)
        ds = 0.5
        dx = np.interp(s + ds, self.s, self.xs) - np.interp(
            s - ds, self.s, self.xs)
        dy = np.interp(s + ds, self.s, self.ys) - np.interp(
            s - ds, self.s, self.ys)
        t = np.array([dx, dy]) / max(np.hypot(dx, dy), 1e-6)
        n = np.array([t[1], -t[0]])
        return np.array([x, y]), t, n

    def to_image(self, s: float, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Map local (u posterior, v caudal) offsets at ``s`` to (x, y)."""
        c, t, n = self.frame(s)
        return c[None] + u[:, None] * n[None] + v[:, None] * t[None]


def _fill(canvas: np.ndarray, polys: Sequence[np.ndarray],
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

    def annotations(self, scene: dict) -> List[dict]:
        """Disc annotations of a scene.

        Args:
            scene (dict): Output of :meth:`sample_scene`.

        Returns:
            list[dict]: One dict per labelled disc, top to bottom, with
            ``bbox`` ([x1, y1, x2, y2], float pixels), ``protrusion`` (bool),
            ``kind`` ('normal', 'bulge' or 'focal'), ``extent`` (posterior
            extent beyond the vertebral line, pixels) and ``level``
            (1 = lowest disc above the sacrum).
        """
        discs = [d for d in scene['discs'] if d['labelled']]
        discs.sort(key=lambda d: d['bbox'][1] + d['bbox'][3])
        return [
            dict(bbox=list(d['bbox']), protrusion=d['protrusion'],
                 kind=d['kind'], extent=d['extent'], level=d['level'])
            for d in discs
        ]

    def sample_scene(self, seed: SeedLike) -> dict:
        """Sample the anatomy (geometry and tissue intensities) of one image.

        This is cheap (no rendering), so datasets can build their annotation
        lists without drawing images.

        Args:
            seed (int | Sequence[int]): Seed.

        Returns:
            dict: Scene description consumed by :meth:`render`.
        """
        rng = np.random.default_rng(_seed_sequence(seed, 0))
        for _ in range(20):
            scene = self._sample_once(rng)
            if sum(d['labelled'] for d in scene['discs']) >= self.min_discs:
                return scene
        return scene

    # ------------------------------------------------------------------
    # geometry
    # ------------------------------------------------------------------
    def _sample_once(self, rng: np.random.Generator) -> dict:
        h, w = self.img_size
        k = h / _REF_HEIGHT * rng.uniform(*self.zoom)
        u = rng.uniform

        # spine axis: lordotic sine + tilt + posterior bend of the sacrum
        y_sac = h * u(0.70, 1.02)
        x_mid = w * u(0.40, 0.52)
        amp = w * u(*self.curvature)
        freq, phase = u(0.35, 0.7), u(-0.5, 0.5)
        tilt = np.tan(np.deg2rad(u(-self.max_tilt, self.max_tilt)))
        bend = u(0.3, 0.9) / h
        ys = np.linspace(-0.4 * h, 1.4 * h, 900)
        xs = (x_mid + amp * np.sin(2 * np.pi * freq * (ys - y_sac) / h + phase)
              - amp * np.sin(phase) + tilt * (ys - y_sac)
              + bend * np.clip(ys - y_sac, 0, None)**2)
        line = _Centerline(ys, xs)
        s_sac = float(line.s_at_y(y_sac))
        s_top = float(line.s_at_y(-0.3 * h))

        av0 = u(17., 22.) * k  # vertebral body half depth
        hv0 = u(23., 29.) * k  # vertebral body height
        hd0 = u(9., 13.) * k  # disc height

        discs, verts = [], []
        s = s_sac
        level = 0
        while s > s_top:
            level += 1
            grade = int(rng.choice([1, 2, 3, 4, 5],
                                   p=[0.2, 0.3, 0.25, 0.15, 0.1]
                                   if level > 2 else [0.05, 0.15, 0.3, 0.3,
                                                      0.2]))
            hd = hd0 * u(0.85, 1.15) * (1. - 0.03 * min(level - 1, 6))
            if grade >= 4:
                hd *= u(0.6, 0.85)
            disc = self._sample_disc(rng, line, s - hd / 2, hd, av0, k,
                                     level, grade)
            discs.append(disc)
            s -= hd
            hv = hv0 * u(0.92, 1.08) * (1. - 0.015 * min(level - 1, 8))
            verts.append(self._sample_vertebra(rng, s - hv / 2, hv, av0, k))
            s -= hv
        # fused sacral segments below the lowest disc
        s = s_sac
        for i in range(3):
            hs = hv0 * u(0.75, 0.9) * (1. - 0.15 * i)
            vert = self._sample_vertebra(rng, s + hs / 2, hs,
                                         av0 * (1. - 0.12 * i), k)
            vert['remnant'] = u(0.8, 2.2) * k if i > 0 else 0.
            verts.append(vert)
            s += hs

        for disc in discs:
            box = disc['bbox']
            disc['labelled'] = bool(box[0] >= 1 and box[1] >= 1
                                    and box[2] <= w - 1 and box[3] <= h - 1)

        canal = u(10., 17.) * k
        scene = dict(
            height=h, width=w, k=k, line=line, av0=av0, s_sac=s_sac,
            discs=discs, verts=verts,
            canal_gap=u(0.6, 1.3) * k, canal_width=canal,
            canal_wobble=u(0.5, 3.0) * k, canal_freq=u(1.0, 3.0),
            canal_phase=u(0, 2 * np.pi),
            post_width=u(25., 40.) * k, muscle_width=u(25., 55.) * k,
            fat_width=u(6., 22.) * k,
            s_conus=float(line.s_at_y(h * u(-0.3, 0.45))),
            roots=[(u(0.15, 0.85), u(0.25, 0.5)) for _ in range(
                int(rng.integers(2, 6)))],
            vessel=(u() < 0.75, u(5., 12.) * k, u(0.0, 0.12)),
            bowel=[(u(0.02, 0.3) * w, u(0., 1.) * h, u(4., 14.) * k,
                    u(3., 9.) * k, u(0, 180), u(0.3, 0.75))
                   for _ in range(int(rng.integers(0, 7)))],
            tissue=dict(
                csf=u(0.75, 1.0), cord=u(0.3, 0.5), root=u(0.3, 0.55),
                marrow=u(0.35, 0.6), cortex=u(0.05, 0.16),
                annulus=u(0.1, 0.24), ligament=u(0.05, 0.15),
                post_bone=u(0.22, 0.4), post_fat=u(0.35, 0.65),
                muscle=u(0.16, 0.3), fat=u(0.6, 0.95), air=u(0.0, 0.03),
                abdomen=u(0.1, 0.3), vessel=u(0.02, 0.1)),
            gamma=u(0.8, 1.25),
        )
        return scene

    def _sample_vertebra(self, rng: np.random.Generator, s: float, hv: float,
                         av0: float, k: float) -> dict:
        u = rng.uniform
        return dict(
            s=s, half_height=hv / 2 + 1.5 * k, half_depth=av0 *
            u(0.97, 1.03), p=u(5., 9.), offset=u(-0.08, 0.08),
            cortex=u(1.0, 1.8) * k,
            blob=(u() < 0.12, u(-0.5, 0.5), u(-0.4, 0.4), u(2., 5.) * k,
                  u(0.65, 0.9)),
            post=(u(0.3, 0.5), u(0.25, 0.45), u(-0.3, 0.3), u(0.2, 0.4),
                  u(3., 6.)),
            remnant=0.)

    def _sample_disc(self, rng: np.random.Generator, line: _Centerline,
                     s: float, hd: float, av0: float, k: float, level: int,
                     grade: int) -> dict:
        u = rng.uniform
        b = hd / 2
        ref = self.img_size[0] / _REF_HEIGHT  # extents ignore the zoom
        # posterior wall vs vertebral line, below normal_extent
        delta = u(-1.0, min(0.3, self.normal_extent)) * ref
        a = av0 + delta
        p_level = self.protrusion_prob * (1.5 if level <= 2 else 0.85)
        protrusion = bool(u() < min(p_level, 1.))
        wedge = u(-0.1, 0.35)
        uu, vv = _superellipse(a, b, u(3., 5.), u(1.8, 2.4), wedge)
        hernia = None
        lo, hi = self.protrusion_depth
        if protrusion:
            target = (lo + (hi - lo) * u()**1.7) * ref
            kind = 'bulge' if u() < 0.45 else 'focal'
        else:
            target = u(-1.0, self.normal_extent) * ref
            kind = 'normal'
        extra = max(target - delta, 0.)
        if kind == 'focal':
            # a blob overlapping the posterior wall, possibly migrated
            rv = b * u(0.6, 1.3) * (1. + 0.3 * extra / (hi * ref))
            migrate = u(-1.0, 1.0) * b if extra > 5 * ref else 0.
            v0 = u(-0.6, 0.6) * b + migrate
            overlap = u(1.5, 3.0) * k
            ru = (extra + overlap) / 2
            cu = a + extra - ru
            hu, hv_ = _superellipse(ru, rv, u(1.8, 2.6), u(1.8, 2.6), n=64)
            hernia = (hu + cu, hv_ + v0)
        else:
            # broad bulge of the whole posterior wall
            post = np.clip(uu / a, 0., 1.)**3
            uu = uu + extra * post * (1. - 0.5 * (vv / b)**2)
        disc_poly = line.to_image(s, uu, vv)
        polys = [disc_poly]
        max_u = float(uu.max())
        if hernia is not None:
            polys.append(line.to_image(s, *hernia))
            max_u = max(max_u, float(hernia[0].max()))
        allp = np.concatenate(polys)
        bbox = [float(allp[:, 0].min()), float(allp[:, 1].min()),
                float(allp[:, 0].max()), float(allp[:, 1].max())]
        bright = {1: u(0.7, 0.95), 2: u(0.55, 0.8), 3: u(0.35, 0.55),
                  4: u(0.2, 0.32), 5: u(0.1, 0.2)}[grade]
        return dict(
            s=s, a=a, b=b, uu=uu, vv=vv, hernia=hernia, polys=polys,
            bbox=[round(v, 3) for v in bbox], protrusion=protrusion,
            kind=kind, extent=round(max_u - av0, 3), level=level,
            grade=grade, nucleus=bright,
            nucleus_shape=(u(0.55, 0.8), u(0.35, 0.62), u(-0.1, 0.12)),
            cleft=u() < 0.2 and grade <= 3,
            hernia_value=u(0.15, 0.6), labelled=True)

    # ------------------------------------------------------------------
    # rendering
    # ------------------------------------------------------------------
    def render(self, scene: dict, seed: SeedLike) -> np.ndarray:
        """Draw a scene into an 8-bit image.

        Args:
            scene (dict): Output of :meth:`sample_scene`.
            seed (int | Sequence[int]): Seed for textures, bias and noise
                (the scene's own seed keeps image and boxes paired).

        Returns:
            np.ndarray: uint8 image of shape (H, W).
        """
        rng = np.random.default_rng(_seed_sequence(seed, 1))
        h, w = scene['height'], scene['width']
        tis = scene['tissue']
        coarse = _smooth_noise(rng, (h, w), 5.0 * scene['k'])
        fine = _smooth_noise(rng, (h, w), 1.0)
        canvas = self._soft_tissue(scene, coarse, fine)
        line, k = scene['line'], scene['k']

        marrow_tex = 1. + 0.18 * coarse + 0.08 * fine
        # laminae / spinous processes behind the canal, one per vertebra
        p0 = (scene['av0'] + scene['canal_gap'] + scene['canal_width'] +
              1.5 * k)
        for vert in scene['verts']:
            cu, ru, cv, rv, pw = vert['post']
            u, v = _superellipse(ru * scene['post_width'],
                                 rv * 2 * vert['half_height'], pw, 2.5, n=48)
            _fill(canvas, [line.to_image(
                vert['s'], u + p0 + cu * scene['post_width'],
                v + cv * vert['half_height'])],
                tis['post_bone'] * marrow_tex)
        for vert in scene['verts']:
            u, v = _superellipse(vert['half_depth'], vert['half_height'],
                                 vert['p'], vert['p'])
            _fill(canvas, [line.to_image(vert['s'], u, v)], tis['cortex'])
            c = vert['cortex']
            u, v = _superellipse(vert['half_depth'] - c,
                                 vert['half_height'] - c, vert['p'],
                                 vert['p'])
            _fill(canvas, [line.to_image(vert['s'], u, v)],
                  (tis['marrow'] + vert['offset']) * marrow_tex)
            has_blob, bu, bv, br, bval = vert['blob']
            if has_blob:
                u, v = _superellipse(br, br * 0.8, 2., 2., n=32)
                _fill(canvas, [line.to_image(
                    vert['s'], u + bu * vert['half_depth'],
                    v + bv * vert['half_height'])], bval)
            if vert['remnant'] > 0:  # fused sacral disc remnant
                r = vert['remnant'] / 2
                u, v = _superellipse(vert['half_depth'] * 0.8, r, 4., 2.)
                _fill(canvas, [line.to_image(
                    vert['s'] - vert['half_height'] + 1.5 * k, u, v)],
                    tis['annulus'])

        for disc in scene['discs']:
            if not disc['labelled']:
                continue  # cut by the border: left as vertebral tissue
            self._draw_disc(canvas, disc, line, tis, k, fine)

        # PSF blur, bias field with posterior coil gradient, Rician noise
        canvas = cv2.GaussianBlur(canvas, (0, 0), rng.uniform(
            *self.blur_sigma))
        grid = rng.standard_normal((3, 3)).astype(np.float32)
        field = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        bias = np.exp(rng.uniform(*self.bias_strength) * field)
        xs = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None]
        bias = bias * (1. + rng.uniform(0., 0.6) * xs)
        canvas = canvas * bias
        sigma = rng.uniform(*self.noise_sigma) * float(
            np.percentile(canvas, 99))
        re = canvas + sigma * rng.standard_normal((h, w), dtype=np.float32)
        im = sigma * rng.standard_normal((h, w), dtype=np.float32)
        mag = np.sqrt(re * re + im * im)
        lo, hi = float(mag.min()), float(np.percentile(mag, 99.9))
        out = np.clip((mag - lo) / max(hi - lo, 1e-6), 0., 1.)
        out = out**scene['gamma']
        return np.round(out * 255.).astype(np.uint8)

    def _soft_tissue(self, scene: dict, coarse: np.ndarray,
                     fine: np.ndarray) -> np.ndarray:
        """Background: abdomen, vessels, canal, posterior elements, skin."""
        h, w = scene['height'], scene['width']
        line, k, tis = scene['line'], scene['k'], scene['tissue']
        rows = np.arange(h, dtype=np.float64) + 0.5
        xc = np.interp(rows, line.ys, line.xs)
        slope = np.gradient(np.interp(rows, line.ys, line.xs))
        norm = np.hypot(slope, 1.)
        tx, ty = slope / norm, 1. / norm  # unit tangent (x, y)
        x = np.arange(w, dtype=np.float64)[None] + 0.5
        rel = x - xc[:, None]
        dx = (rel * ty[:, None]).astype(np.float32)  # posterior distance
        s = (line.s_at_y(rows)[:, None] + rel * tx[:, None]).astype(
            np.float32)

        def band(lo, hi):
            return (np.clip(dx - lo + 0.5, 0, 1) *
                    np.clip(hi - dx + 0.5, 0, 1)).astype(np.float32)

        def paint(img, alpha, value):
            img += alpha * (value - img)

        av0 = scene['av0']
        img = (tis['abdomen'] * (1. + 0.35 * coarse + 0.1 * fine)).astype(
            np.float32)
        for bx, by, ra, rb, ang, val in scene['bowel']:
            cv2.ellipse(img, ((bx, by), (2 * ra, 2 * rb), ang), val, -1,
                        cv2.LINE_AA)
        # prevertebral vessel (flow void)
        present, vw, vstart = scene['vessel']
        if present:
            alpha = band(-av0 - 3 * k - vw, -av0 - 3 * k) * (
                s > line.s_at_y(vstart * h)).astype(np.float32)
            paint(img, alpha, tis['vessel'])
        # spinal canal with a wobbling posterior border
        c0 = av0 + scene['canal_gap']
        wob = scene['canal_wobble'] * np.sin(
            2 * np.pi * scene['canal_freq'] * s / h + scene['canal_phase'])
        c1 = c0 + scene['canal_width'] + wob
        paint(img, band(av0 - 1.5 * k, c0), tis['ligament'])
        canal = np.clip(dx - c0 + 0.5, 0, 1) * np.clip(c1 - dx + 0.5, 0, 1)
        paint(img, canal, tis['csf'] * (1. + 0.05 * fine))
        width = c1 - c0
        cord = (np.clip(s - scene['s_conus'], 0, None) / (30. * k))
        cord_half = np.clip(0.3 - 0.3 * cord, 0, None) * width
        mid = c0 + 0.55 * width
        paint(img, np.clip(cord_half - np.abs(dx - mid) + 0.5, 0, 1) * canal,
              tis['cord'])
        for frac, thick in scene['roots']:
            centre = c0 + frac * width
            paint(img, np.clip(thick * k - np.abs(dx - centre), 0, 1) *
                  canal * (s > scene['s_conus']), tis['root'])
        # ligamentum flavum, posterior elements, muscle, fat, air
        paint(img, np.clip(dx - c1 + 0.5, 0, 1) * np.clip(
            c1 + 1.5 * k - dx + 0.5, 0, 1), tis['ligament'])
        p0, p1 = c1 + 1.5 * k, c1 + 1.5 * k + scene['post_width']
        paint(img, np.clip(dx - p0 + 0.5, 0, 1), tis['post_fat'] *
              (1. + 0.3 * coarse + 0.08 * fine))
        m1 = p1 + scene['muscle_width']
        paint(img, np.clip(dx - p1 + 0.5, 0, 1), tis['muscle'] *
              (1. + 0.2 * coarse + 0.1 * fine))
        f1 = m1 + scene['fat_width']
        paint(img, np.clip(dx - m1 + 0.5, 0, 1), tis['fat'] *
              (1. + 0.08 * coarse))
        paint(img, np.clip(dx - f1 + 0.5, 0, 1), tis['air'])
        return img

    @staticmethod
    def _draw_disc(canvas: np.ndarray, disc: dict, line: _Centerline,
                   tis: Dict[str, float], k: float, fine: np.ndarray) -> None:
        s, a, b = disc['s'], disc['a'], disc['b']
        uu, vv = disc['uu'], disc['vv']
        # dark endplate rim, then annulus (incl. protrusion), then nucleus
        scale_v = (b + 1.2 * k) / b
        _fill(canvas, [line.to_image(s, uu * (a + 0.3 * k) / a,
                                     vv * scale_v)], tis['cortex'])
        _fill(canvas, disc['polys'][:1], tis['annulus'])
        fa, fb, fu = disc['nucleus_shape']
        nu, nv = _superellipse(a * fa, b * fb, 2.5, 2.)
        nucleus = disc['nucleus'] * (1. + 0.06 * fine)
        _fill(canvas, [line.to_image(s, nu + fu * a, nv)], nucleus)
        if disc['cleft']:
            cu, cv = _superellipse(a * fa * 0.8, 0.35 * k, 3., 2.)
            _fill(canvas, [line.to_image(s, cu + fu * a, cv)],
                  tis['annulus'])
        if disc['hernia'] is not None:
            _fill(canvas, disc['polys'][1:], disc['hernia_value'])


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
