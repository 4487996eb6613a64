"""SyntheticSpineGenerator: determinism, box validity, and that protrusions
differ from normal discs in geometry and in the image."""
import json
import os.path as osp
import time

import numpy as np
import pytest

from meddet_mm.datasets.synthetic_spine import (SyntheticSpineGenerator,
                                                generator_from_cfg)


@pytest.fixture(scope='module')
def gen():
    return SyntheticSpineGenerator()


@pytest.fixture(scope='module')
def samples(gen):
    return [gen.generate([3, i]) for i in range(12)]


def test_same_seed_same_output(gen):
    img1, anns1 = gen.generate(5)
    img2, anns2 = SyntheticSpineGenerator().generate(5)
    assert np.array_equal(img1, img2)
    assert anns1 == anns2


def test_different_seed_differs(gen):
    img1, anns1 = gen.generate([0, 1])
    img2, anns2 = gen.generate([0, 2])
    assert not np.array_equal(img1, img2)
    assert [a['bbox'] for a in anns1] != [a['bbox'] for a in anns2]


def test_image_format_and_intensity_range(samples):
    for img, _ in samples:
        assert img.shape == (320, 256) and img.dtype == np.uint8
        assert img.min() < 30 and img.max() > 200  # min-max to 8 bit
        assert 20 < img.mean() < 160


def test_boxes_inside_image_and_plausible(samples):
    counts = []
    for img, anns in samples:
        h, w = img.shape
        counts.append(len(anns))
        for a in anns:
            x1, y1, x2, y2 = a['bbox']
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
            assert 20 < x2 - x1 < 80 and 4 < y2 - y1 < 35
        centres = [(a['bbox'][1] + a['bbox'][3]) / 2 for a in anns]
        assert centres == sorted(centres)  # one column, top to bottom
    assert min(counts) >= 3 and max(counts) <= 14
    assert len(set(counts)) > 1  # the number of discs varies


def test_both_classes_and_kinds_occur(samples):
    anns = [a for _, s in samples for a in s]
    kinds = {a['kind'] for a in anns}
    assert kinds == {'normal', 'bulge', 'focal'}
    frac = np.mean([a['protrusion'] for a in anns])
    assert 0.2 < frac < 0.6


def test_protrusion_extends_past_the_vertebral_line(samples):
    for _, anns in samples:
        for a in anns:
            if a['protrusion']:
                assert a['extent'] >= 2.5 - 1e-6
            else:
                assert a['extent'] <= 0.8 + 1e-6


def test_protrusion_visible_in_image(gen):
    """Just behind the posterior wall, protrusions are darker (disc material
    instead of bright CSF) than the same strip behind normal discs."""
    prot, normal = [], []
    for i in range(10):
        scene = gen.sample_scene(i)
        img = gen.render(scene, i).astype(np.float32)
        line = scene.centerline
        for d in scene.discs:
            if not d.labelled:
                continue
            # strip 1.0 .. 2.0 px behind the vertebral line at the disc
            v = np.linspace(-0.3, 0.3, 5) * d.half_height
            u = np.full_like(v, scene.body_half_depth + 1.5)
            if d.hernia is not None:
                v = v * 0 + np.clip(d.hernia[1].mean(), -d.half_height,
                                    d.half_height)
            pts = line.to_image(d.s, u, v)
            xs = np.clip(pts[:, 0].astype(int), 0, img.shape[1] - 1)
            ys = np.clip(pts[:, 1].astype(int), 0, img.shape[0] - 1)
            canal = line.to_image(d.s, np.array(
                [scene.body_half_depth + scene.canal_gap +
                 0.7 * scene.canal_width]), np.array([0.]))[0]
            ref = img[int(canal[1]), int(canal[0])] + 1.
            (prot if d.protrusion else normal).append(
                img[ys, xs].mean() / ref)
    assert len(prot) > 5 and len(normal) > 5
    assert np.median(prot) < 0.8 * np.median(normal)


def test_one_class_and_size_options():
    gen = generator_from_cfg(dict(protrusion_prob=0.0), (256, 200))
    img, anns = gen.generate(1)
    assert img.shape == (256, 200)
    assert anns and not any(a['protrusion'] for a in anns)
    with pytest.raises(ValueError, match='img_size'):
        generator_from_cfg(dict(img_size=(1, 1)), (320, 256))
    with pytest.raises(ValueError, match='normal_extent'):
        SyntheticSpineGenerator(normal_extent=3., protrusion_depth=(2., 4.))


def test_output_unchanged_by_the_scene_render_split():
    """Images and boxes recorded from the generator before it was split into
    synthetic_scene.py and synthetic_render.py (tests/assets); equal here, and
    within OpenCV rounding on other CPUs."""
    root = osp.join(osp.dirname(osp.dirname(__file__)), 'assets')
    images = np.load(osp.join(root, 'synthetic_spine_reference.npz'))
    with open(osp.join(root, 'synthetic_spine_reference.json')) as f:
        annotations = json.load(f)
    cases = dict(s7_128x96=((128, 96), 7), s35_96x80=((96, 80), [3, 5]))
    for name, (size, seed) in cases.items():
        img, anns = SyntheticSpineGenerator(img_size=size).generate(seed)
        ref = images[name]
        assert img.shape == ref.shape
        diff = np.abs(img.astype(int) - ref.astype(int))
        assert diff.max() <= 2 and (diff > 0).mean() < 0.01, name
        assert len(anns) == len(annotations[name])
        for a, r in zip(anns, annotations[name]):
            assert a['bbox'] == pytest.approx(r['bbox'], abs=1e-3)
            assert (a['protrusion'], a['kind'], a['level']) == (
                r['protrusion'], r['kind'], r['level'])


def test_scene_is_described_by_dataclasses(gen):
    import dataclasses

    from meddet_mm.datasets.synthetic_scene import Disc, SpineScene
    scene = gen.sample_scene(3)
    assert isinstance(scene, SpineScene)
    assert all(isinstance(d, Disc) for d in scene.discs)
    names = {f.name for f in dataclasses.fields(SpineScene)}
    assert {'centerline', 'body_half_depth', 'vertebrae', 'tissue'} <= names
    # rendering does not change the scene: same boxes after drawing
    before = [d.bbox for d in scene.discs]
    gen.render(scene, 3)
    assert [d.bbox for d in scene.discs] == before


def test_generation_speed(gen):
    start = time.perf_counter()
    for i in range(5):
        gen.generate(100 + i)
    per_image = (time.perf_counter() - start) / 5
    assert per_image < 0.5, f'{per_image * 1e3:.0f} ms per image'
