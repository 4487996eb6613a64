"""What a synthetic sagittal spine slice shows: the scene dataclasses (spine
axis, vertebrae, discs, canal and soft tissue, tissue intensities) and their
seeded sampling. ``synthetic_render.py`` draws a scene into an image.

Geometry lives in a local frame that follows the spine axis: ``s`` is the
arc length along the axis (it grows caudally, towards the sacrum), ``u`` the
distance behind the axis (posterior positive) and ``v`` the offset along it.
Lengths are pixels of the output image; they were chosen at the 320-px
SPIDER reference height and are multiplied by ``height / 320`` and a random
zoom (``SpineScene.scale``).
"""
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple, Union

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .synthetic_spine import SyntheticSpineGenerator

SeedLike = Union[int, Sequence[int]]
Range = Tuple[float, float]

# The SPIDER T2-SPACE slices are 320 px high and 256 px wide (about 0.94 mm
# per pixel); anatomical lengths are given in pixels at that height.
REF_HEIGHT = 320.0


def seed_sequence(seed: SeedLike, stream: int) -> List[int]:
    """Seed list for ``np.random.default_rng``: the seed plus a stream id
    (0: the scene, 1: its rendering)."""
    if isinstance(seed, (int, np.integer)):
        seq = [int(seed)]
    else:
        seq = [int(s) for s in seed]
    if any(s < 0 for s in seq):
        raise ValueError(f'seeds must be non-negative integers, got {seed!r}')
    return seq + [stream]


def superellipse(a: float, b: float, p: float, q: float, wedge: float = 0.,
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


class Centerline:
    """Arc-length parametrised spine axis ``x = f(y)`` with a local frame.

    Args:
        ys (np.ndarray): Image rows of the sampled axis, increasing.
        xs (np.ndarray): Image columns of the axis at those rows.
    """

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


@dataclass
class TissueIntensities:
    """T2 brightness of each tissue before bias and noise (0 black, 1 the
    brightest tissue)."""
    csf: float  #: cerebrospinal fluid in the canal (bright)
    cord: float  #: spinal cord, above the conus
    root: float  #: nerve roots of the cauda equina
    marrow: float  #: vertebral body marrow
    cortex: float  #: cortical bone and endplates (dark)
    annulus: float  #: annulus fibrosus of the discs (dark)
    ligament: float  #: longitudinal ligaments and ligamentum flavum
    post_bone: float  #: laminae and spinous processes
    post_fat: float  #: fat between the posterior elements
    muscle: float  #: paraspinal muscle
    fat: float  #: subcutaneous fat (bright)
    air: float  #: outside the body
    abdomen: float  #: abdominal contents in front of the spine
    vessel: float  #: prevertebral vessel (flow void, dark)


@dataclass
class MarrowBlob:
    """An optional round marrow lesion (e.g. a haemangioma) in a vertebral
    body."""
    present: bool
    u: float  #: centre behind the body centre, fraction of its half depth
    v: float  #: centre along the spine, fraction of its half height
    radius: float  #: pixels
    intensity: float


@dataclass
class PosteriorElement:
    """Lamina and spinous process behind the canal at one vertebra."""
    offset_u: float  #: centre behind the canal, fraction of posterior width
    half_depth: float  #: half size along u, fraction of the posterior width
    offset_v: float  #: centre along the spine, fraction of the half height
    half_length: float  #: half size along v, fraction of the body height
    squareness: float  #: super-ellipse exponent along u


@dataclass
class Vertebra:
    """A vertebral body (and its posterior element), or a fused sacral
    segment."""
    s: float  #: arc length of its centre
    half_height: float  #: along the spine, endplates included
    half_depth: float  #: antero-posterior
    squareness: float  #: super-ellipse exponent (larger is boxier)
    marrow_offset: float  #: added to the marrow intensity
    cortex: float  #: cortical shell thickness
    blob: MarrowBlob
    posterior: PosteriorElement
    remnant: float = 0.  #: height of a fused disc remnant (sacrum), 0: none


@dataclass
class NucleusShape:
    """Nucleus pulposus inside the annulus."""
    depth: float  #: half depth, fraction of the disc's half depth
    height: float  #: half height, fraction of the disc's half height
    shift: float  #: posterior shift, fraction of the disc's half depth


@dataclass
class Disc:
    """An intervertebral disc, its protrusion and its box."""
    s: float  #: arc length of its centre
    half_depth: float  #: antero-posterior half size of the disc body
    half_height: float  #: half height along the spine
    outline_u: np.ndarray  #: disc outline, local u (bulge included)
    outline_v: np.ndarray  #: disc outline, local v
    #: focal herniation outline (u, v) in the local frame, None if absent
    hernia: Optional[Tuple[np.ndarray, np.ndarray]]
    polygons: List[np.ndarray]  #: image (x, y) outlines: disc, hernia
    bbox: List[float]  #: [x1, y1, x2, y2] of the polygons
    protrusion: bool  #: extends beyond ``protrusion_depth[0]``
    kind: str  #: 'normal', 'bulge' or 'focal'
    extent: float  #: posterior extent beyond the vertebral line, pixels
    level: int  #: 1 = lowest disc above the sacrum
    grade: int  #: Pfirrmann-like degeneration grade 1-5
    nucleus_intensity: float
    nucleus_shape: NucleusShape
    cleft: bool  #: dark intranuclear cleft
    hernia_intensity: float
    labelled: bool = True  #: fully inside the image (has a box)


@dataclass
class Vessel:
    """Prevertebral vessel (aorta / vena cava) in front of the spine."""
    present: bool
    width: float  #: pixels
    start: float  #: first row, fraction of the image height


@dataclass
class BowelLoop:
    """An elliptic bowel loop in the abdomen."""
    x: float
    y: float
    half_width: float
    half_height: float
    angle: float  #: degrees
    intensity: float


@dataclass
class NerveRoot:
    """A nerve root running down the canal below the conus."""
    position: float  #: across the canal, 0 anterior .. 1 posterior
    thickness: float  #: relative to the scale


@dataclass
class SpineScene:
    """Everything one synthetic slice shows; see the module docstring for
    the (s, u, v) frame."""
    height: int
    width: int
    scale: float  #: pixels per reference pixel (size and zoom)
    centerline: Centerline
    body_half_depth: float  #: typical vertebral body half depth
    sacrum_s: float  #: arc length of the top of the sacrum
    discs: List[Disc]
    vertebrae: List[Vertebra]
    canal_gap: float  #: posterior ligament between bodies and canal
    canal_width: float
    canal_wobble: float  #: amplitude of the posterior canal border
    canal_wobble_freq: float
    canal_wobble_phase: float
    posterior_width: float  #: depth of the posterior elements
    muscle_width: float
    fat_width: float
    conus_s: float  #: arc length where the cord ends
    roots: List[NerveRoot]
    vessel: Vessel
    bowel: List[BowelLoop]
    tissue: TissueIntensities
    gamma: float  #: display gamma of the final image


def sample_scene(gen: 'SyntheticSpineGenerator', seed: SeedLike
                 ) -> SpineScene:
    """Sample the anatomy of one image; redraws (at most 20 times) until
    at least ``gen.min_discs`` discs lie fully inside the image.

    Args:
        gen (SyntheticSpineGenerator): Holds the sampling ranges.
        seed (int | Sequence[int]): Seed.

    Returns:
        SpineScene: The scene.
    """
    rng = np.random.default_rng(seed_sequence(seed, 0))
    for _ in range(20):
        scene = _sample_once(gen, rng)
        if sum(d.labelled for d in scene.discs) >= gen.min_discs:
            return scene
    return scene


def _sample_once(gen: 'SyntheticSpineGenerator',
                 rng: np.random.Generator) -> SpineScene:
    h, w = gen.img_size
    k = h / REF_HEIGHT * rng.uniform(*gen.zoom)
    u = rng.uniform

    # spine axis: lordotic sine + tilt + posterior bend of the sacrum
    y_sac = h * u(0.70, 1.02)
    x_mid = w * u(0.40, 0.52)
    amp = w * u(*gen.curvature)
    freq, phase = u(0.35, 0.7), u(-0.5, 0.5)
    tilt = np.tan(np.deg2rad(u(-gen.max_tilt, gen.max_tilt)))
    bend = u(0.3, 0.9) / h
    ys = np.linspace(-0.4 * h, 1.4 * h, 900)
    xs = (x_mid + amp * np.sin(2 * np.pi * freq * (ys - y_sac) / h + phase)
          - amp * np.sin(phase) + tilt * (ys - y_sac)
          + bend * np.clip(ys - y_sac, 0, None)**2)
    line = Centerline(ys, xs)
    s_sac = float(line.s_at_y(y_sac))
    s_top = float(line.s_at_y(-0.3 * h))

    body_depth = u(17., 22.) * k  # vertebral body half depth
    body_height = u(23., 29.) * k  # vertebral body height
    disc_height = u(9., 13.) * k

    discs, verts = [], []
    s = s_sac
    level = 0
    while s > s_top:
        level += 1
        grade = int(rng.choice([1, 2, 3, 4, 5],
                               p=[0.2, 0.3, 0.25, 0.15, 0.1]
                               if level > 2 else [0.05, 0.15, 0.3, 0.3,
                                                  0.2]))
        hd = disc_height * u(0.85, 1.15) * (1. - 0.03 * min(level - 1, 6))
        if grade >= 4:
            hd *= u(0.6, 0.85)
        discs.append(_sample_disc(gen, rng, line, s - hd / 2, hd, body_depth,
                                  k, level, grade))
        s -= hd
        hv = body_height * u(0.92, 1.08) * (1. - 0.015 * min(level - 1, 8))
        verts.append(_sample_vertebra(rng, s - hv / 2, hv, body_depth, k))
        s -= hv
    # fused sacral segments below the lowest disc
    s = s_sac
    for i in range(3):
        hs = body_height * u(0.75, 0.9) * (1. - 0.15 * i)
        vert = _sample_vertebra(rng, s + hs / 2, hs,
                                body_depth * (1. - 0.12 * i), k)
        vert.remnant = u(0.8, 2.2) * k if i > 0 else 0.
        verts.append(vert)
        s += hs

    for disc in discs:
        box = disc.bbox
        disc.labelled = bool(box[0] >= 1 and box[1] >= 1
                             and box[2] <= w - 1 and box[3] <= h - 1)

    canal = u(10., 17.) * k
    # keyword arguments are evaluated in order: the draws keep their order
    return SpineScene(
        height=h, width=w, scale=k, centerline=line,
        body_half_depth=body_depth, sacrum_s=s_sac,
        discs=discs, vertebrae=verts,
        canal_gap=u(0.6, 1.3) * k, canal_width=canal,
        canal_wobble=u(0.5, 3.0) * k, canal_wobble_freq=u(1.0, 3.0),
        canal_wobble_phase=u(0, 2 * np.pi),
        posterior_width=u(25., 40.) * k, muscle_width=u(25., 55.) * k,
        fat_width=u(6., 22.) * k,
        conus_s=float(line.s_at_y(h * u(-0.3, 0.45))),
        roots=[NerveRoot(u(0.15, 0.85), u(0.25, 0.5))
               for _ in range(int(rng.integers(2, 6)))],
        vessel=Vessel(u() < 0.75, u(5., 12.) * k, u(0.0, 0.12)),
        bowel=[BowelLoop(u(0.02, 0.3) * w, u(0., 1.) * h, u(4., 14.) * k,
                         u(3., 9.) * k, u(0, 180), u(0.3, 0.75))
               for _ in range(int(rng.integers(0, 7)))],
        tissue=TissueIntensities(
            csf=u(0.75, 1.0), cord=u(0.3, 0.5), root=u(0.3, 0.55),
            marrow=u(0.35, 0.6), cortex=u(0.05, 0.16),
            annulus=u(0.1, 0.24), ligament=u(0.05, 0.15),
            post_bone=u(0.22, 0.4), post_fat=u(0.35, 0.65),
            muscle=u(0.16, 0.3), fat=u(0.6, 0.95), air=u(0.0, 0.03),
            abdomen=u(0.1, 0.3), vessel=u(0.02, 0.1)),
        gamma=u(0.8, 1.25),
    )


def _sample_vertebra(rng: np.random.Generator, s: float, hv: float,
                     body_depth: float, k: float) -> Vertebra:
    u = rng.uniform
    return Vertebra(
        s=s, half_height=hv / 2 + 1.5 * k,
        half_depth=body_depth * u(0.97, 1.03), squareness=u(5., 9.),
        marrow_offset=u(-0.08, 0.08), cortex=u(1.0, 1.8) * k,
        blob=MarrowBlob(u() < 0.12, u(-0.5, 0.5), u(-0.4, 0.4),
                        u(2., 5.) * k, u(0.65, 0.9)),
        posterior=PosteriorElement(u(0.3, 0.5), u(0.25, 0.45),
                                   u(-0.3, 0.3), u(0.2, 0.4), u(3., 6.)),
        remnant=0.)


def _sample_disc(gen: 'SyntheticSpineGenerator', rng: np.random.Generator,
                 line: Centerline, s: float, hd: float, body_depth: float,
                 k: float, level: int, grade: int) -> Disc:
    u = rng.uniform
    b = hd / 2
    ref = gen.img_size[0] / REF_HEIGHT  # extents ignore the zoom
    # posterior wall vs vertebral line, below normal_extent
    delta = u(-1.0, min(0.3, gen.normal_extent)) * ref
    a = body_depth + delta
    p_level = gen.protrusion_prob * (1.5 if level <= 2 else 0.85)
    protrusion = bool(u() < min(p_level, 1.))
    wedge = u(-0.1, 0.35)
    uu, vv = superellipse(a, b, u(3., 5.), u(1.8, 2.4), wedge)
    hernia = None
    lo, hi = gen.protrusion_depth
    if protrusion:
        target = (lo + (hi - lo) * u()**1.7) * ref
        kind = 'bulge' if u() < 0.45 else 'focal'
    else:
        target = u(-1.0, gen.normal_extent) * ref
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
        hu, hv_ = superellipse(ru, rv, u(1.8, 2.6), u(1.8, 2.6), n=64)
        hernia = (hu + cu, hv_ + v0)
    else:
        # broad bulge of the whole posterior wall
        post = np.clip(uu / a, 0., 1.)**3
        uu = uu + extra * post * (1. - 0.5 * (vv / b)**2)
    polys = [line.to_image(s, uu, vv)]
    max_u = float(uu.max())
    if hernia is not None:
        polys.append(line.to_image(s, *hernia))
        max_u = max(max_u, float(hernia[0].max()))
    allp = np.concatenate(polys)
    bbox = [float(allp[:, 0].min()), float(allp[:, 1].min()),
            float(allp[:, 0].max()), float(allp[:, 1].max())]
    # all five are drawn, whatever the grade, to keep the draw order
    bright = {1: u(0.7, 0.95), 2: u(0.55, 0.8), 3: u(0.35, 0.55),
              4: u(0.2, 0.32), 5: u(0.1, 0.2)}[grade]
    return Disc(
        s=s, half_depth=a, half_height=b, outline_u=uu, outline_v=vv,
        hernia=hernia, polygons=polys, bbox=[round(v, 3) for v in bbox],
        protrusion=protrusion, kind=kind,
        extent=round(max_u - body_depth, 3), level=level, grade=grade,
        nucleus_intensity=bright,
        nucleus_shape=NucleusShape(u(0.55, 0.8), u(0.35, 0.62),
                                   u(-0.1, 0.12)),
        cleft=u() < 0.2 and grade <= 3,
        hernia_intensity=u(0.15, 0.6), labelled=True)
