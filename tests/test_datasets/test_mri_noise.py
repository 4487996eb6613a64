"""RicianNoise / GaussianNoise: statistics, dtype handling, probability and
seeded determinism."""
import numpy as np
import pytest

from meddet_mm.datasets.transforms import GaussianNoise, RicianNoise


def run(t, img, **extra):
    return t(dict(img=img.copy(), **extra))['img']


def test_gaussian_std_matches_sigma_uint8():
    img = np.full((200, 200), 128, np.uint8)
    out = run(GaussianNoise(sigma=0.05, seed=0), img, img_id=1)
    assert out.dtype == np.uint8
    std = out.astype(float).std()
    assert std == pytest.approx(0.05 * 255, rel=0.05)
    assert abs(out.astype(float).mean() - 128) < 0.5


def test_gaussian_float_relative_to_image_range():
    img = np.zeros((200, 200), np.float32)
    img[:, 100:] = 10.  # range 10
    out = run(GaussianNoise(sigma=0.1, seed=1), img)
    assert out.dtype == np.float32
    assert (out - img).std() == pytest.approx(1.0, rel=0.05)
    assert out.min() < 0  # floats are not clipped
    out2 = run(GaussianNoise(sigma=0.1, seed=1, value_range=(0, 100)), img)
    assert (out2 - img).std() == pytest.approx(10.0, rel=0.05)


def test_rician_positive_bias_on_dark_regions():
    img = np.zeros((200, 200, 3), np.uint8)
    img[:, 100:] = 200
    out = run(RicianNoise(sigma=0.04, seed=0), img, img_id=3)
    sigma = 0.04 * 255
    dark = out[:, :100].astype(float)
    bright = out[:, 100:].astype(float)
    # Rayleigh mean in the background, nearly unbiased in bright tissue
    assert dark.mean() == pytest.approx(sigma * np.sqrt(np.pi / 2), rel=0.1)
    assert abs(bright.mean() - 200) < 1.5
    assert bright.std() == pytest.approx(sigma, rel=0.1)
    # the same noise field in all channels by default
    assert np.array_equal(out[..., 0], out[..., 2])
    per = run(RicianNoise(sigma=0.04, seed=0, per_channel=True), img,
              img_id=3)
    assert not np.array_equal(per[..., 0], per[..., 2])


def test_uint8_is_clipped():
    img = np.full((50, 50), 250, np.uint8)
    out = run(GaussianNoise(sigma=0.2, seed=0), img)
    assert out.dtype == np.uint8 and out.max() == 255


def test_seeded_noise_depends_on_seed_and_image_id():
    img = np.full((32, 32), 100, np.uint8)
    t = RicianNoise(sigma=(0.01, 0.1), seed=5)
    a = run(t, img, img_id=1)
    assert np.array_equal(a, run(t, img, img_id=1))
    assert np.array_equal(a, run(RicianNoise(sigma=(0.01, 0.1), seed=5),
                                 img, img_id=1))
    assert not np.array_equal(a, run(t, img, img_id=2))
    assert not np.array_equal(a, run(RicianNoise(sigma=(0.01, 0.1),
                                                 seed=6), img, img_id=1))


def test_unseeded_uses_global_rng():
    img = np.full((32, 32), 100, np.uint8)
    t = GaussianNoise(sigma=0.05)
    np.random.seed(0)
    a = run(t, img)
    np.random.seed(0)
    assert np.array_equal(a, run(t, img))
    assert not np.array_equal(a, run(t, img))


def test_prob():
    img = np.full((16, 16), 100, np.uint8)
    t = GaussianNoise(sigma=0.1, prob=0.3, seed=0)
    changed = [not np.array_equal(run(t, img, img_id=i), img)
               for i in range(200)]
    assert 0.15 < np.mean(changed) < 0.45
    res = GaussianNoise(sigma=0.1, prob=0.0)(dict(img=img.copy()))
    assert np.array_equal(res['img'], img) and res['noise_sigma'] == 0


def test_sigma_range_and_validation():
    img = np.full((64, 64), 128, np.uint8)
    sigmas = {GaussianNoise(sigma=(0.01, 0.1), seed=0)(
        dict(img=img.copy(), img_id=i))['noise_sigma'] for i in range(20)}
    assert len(sigmas) == 20
    assert all(0.01 * 255 <= s <= 0.1 * 255 for s in sigmas)
    with pytest.raises(ValueError, match='sigma'):
        GaussianNoise(sigma=(0.2, 0.1))
    with pytest.raises(ValueError, match='prob'):
        RicianNoise(prob=2)
    assert 'RicianNoise(sigma=(0.05, 0.05)' in repr(RicianNoise())


def test_registered_in_mmdet():
    from mmdet.registry import TRANSFORMS
    t = TRANSFORMS.build(dict(type='RicianNoise', sigma=0.02))
    assert isinstance(t, RicianNoise)
    assert TRANSFORMS.get('GaussianNoise') is GaussianNoise
