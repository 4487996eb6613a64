"""The built-in MetaImage reader against SimpleITK: same voxels, spacing,
origin and direction for .mha / .mhd + .raw, compressed or not, 2-D and 3-D,
several element types."""
import numpy as np
import pytest

from meddet_mm.datasets.metaimage import (read_metaimage,
                                          read_metaimage_fallback)

sitk = pytest.importorskip('SimpleITK')


def rotation(deg_z, deg_x):
    a, b = np.deg2rad(deg_z), np.deg2rad(deg_x)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0],
                   [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)],
                   [0, np.sin(b), np.cos(b)]])
    return rz @ rx


CASES = [
    # name, shape (numpy order), dtype, compressed
    ('vol.mha', (5, 7, 9), np.int16, False),
    ('vol_z.mha', (4, 6, 8), np.uint16, True),
    ('vol.mhd', (3, 5, 6), np.float32, False),
    ('vol_z.mhd', (3, 5, 6), np.uint8, True),
    ('img2d.mha', (7, 9), np.float64, False),
]


@pytest.mark.parametrize('name,shape,dtype,compressed', CASES)
def test_fallback_matches_simpleitk(tmp_path, name, shape, dtype,
                                    compressed):
    rng = np.random.default_rng(len(name))
    arr = (rng.random(shape) * 1000).astype(dtype)
    img = sitk.GetImageFromArray(arr)
    n = arr.ndim
    # axis k of the image has spacing k, a rotated direction, an origin
    img.SetSpacing([0.5 + 0.25 * k for k in range(n)])
    img.SetOrigin([-10. + 3 * k for k in range(n)])
    direction = rotation(30, 20) if n == 3 else rotation(30, 0)[:2, :2]
    img.SetDirection(direction.flatten().tolist())
    path = str(tmp_path / name)
    sitk.WriteImage(img, path, compressed)

    ref_arr, ref_meta = read_metaimage(path)  # SimpleITK
    arr_fb, meta_fb = read_metaimage_fallback(path)
    assert arr_fb.dtype == ref_arr.dtype and arr_fb.shape == ref_arr.shape
    assert np.array_equal(arr_fb, ref_arr) and np.array_equal(arr_fb, arr)
    for key in ('spacing', 'origin', 'direction'):
        np.testing.assert_allclose(meta_fb[key], ref_meta[key], atol=1e-9,
                                   err_msg=key)
    # direction rows are the world directions of image axes x, y, (z)
    np.testing.assert_allclose(meta_fb['direction'], direction.T,
                               atol=1e-9)
    np.testing.assert_allclose(meta_fb['spacing'],
                               [0.5 + 0.25 * k for k in range(n)])


def test_environment_switch_selects_the_fallback(tmp_path, monkeypatch):
    arr = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    path = str(tmp_path / 'v.mha')
    sitk.WriteImage(sitk.GetImageFromArray(arr), path)
    calls = []
    real = sitk.ReadImage
    monkeypatch.setattr(sitk, 'ReadImage',
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    monkeypatch.setenv('MEDDET_NO_SIMPLEITK', '1')
    assert np.array_equal(read_metaimage(path)[0], arr) and not calls
    monkeypatch.delenv('MEDDET_NO_SIMPLEITK')
    assert np.array_equal(read_metaimage(path)[0], arr) and calls
