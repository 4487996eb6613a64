"""The deploy readers give the image the training-side reader
(meddet_mm.datasets.medical_io, used by tools/infer.py) gives, for every
format and window; a DICOM series folder is one input (its middle slice
along the slice normal) as in tools/infer.py."""
import os

import cv2
import numpy as np
import pytest

from deploy_helpers import write_dicom
from meddet_mm.datasets.medical_io import read_medical_slice
from meddet_mm.deploy import ImageReadError, collect_inputs, read_slice

WINDOWS = ['auto', 'minmax', 'percentile', (500., 800.)]


def ramp(h=24, w=30, scale=37.):
    rng = np.random.default_rng(0)
    return (np.add.outer(np.arange(h), np.arange(w)) * scale +
            rng.integers(0, 20, (h, w))).astype(np.float32)


def assert_same(path, window, **kwargs):
    ours = read_slice(str(path), window, **kwargs)
    theirs = read_medical_slice(str(path), window, **kwargs)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


@pytest.mark.parametrize('window', WINDOWS)
def test_raster_8_and_16_bit(tmp_path, window):
    img = ramp()
    cv2.imwrite(str(tmp_path / 'a8.png'), (img / img.max() * 255).astype(
        np.uint8))
    cv2.imwrite(str(tmp_path / 'a16.png'), img.astype(np.uint16))
    cv2.imwrite(str(tmp_path / 'rgb.png'), np.stack(
        [img % 256] * 3, -1).astype(np.uint8))
    for name in ('a8.png', 'a16.png', 'rgb.png'):
        assert_same(tmp_path / name, window)


@pytest.mark.parametrize('window', WINDOWS + ['file'])
@pytest.mark.parametrize('photometric', ['MONOCHROME2', 'MONOCHROME1'])
def test_dicom(tmp_path, window, photometric):
    path = tmp_path / 'x.dcm'
    write_dicom(path, ramp(), slope=2., intercept=-100., window=(900, 1200),
                photometric=photometric)
    assert_same(path, window)
    plain = tmp_path / 'IM0001'  # no extension, no window
    write_dicom(plain, ramp(), photometric=photometric)
    if window == 'file':
        with pytest.raises(ValueError, match="IM0001: window 'file'"):
            read_slice(str(plain), window)
    else:
        assert_same(plain, window)


def test_dicom_voi_lut_sequence(tmp_path):
    from pydicom.dataset import Dataset
    item = Dataset()
    item.LUTDescriptor = [300, 0, 12]
    item.LUTData = np.round(np.sqrt(np.arange(300) / 299.) * 4095).astype(
        '<u2').tobytes()
    write_dicom(tmp_path / 'lut.dcm', ramp(scale=4.).astype(np.uint16),
                slope=None, VOILUTSequence=[item])
    for window in ('auto', 'minmax'):
        assert_same(tmp_path / 'lut.dcm', window)


def test_nifti_slices(tmp_path):
    nib = pytest.importorskip('nibabel')
    vol = np.stack([ramp() * k for k in (1, 2, 3, 4)], -1)  # (24, 30, 4)
    # voxel axes stored as (S, L, P)-like: the reader must reorient
    affine = np.array([[0, -0.5, 0, 10], [0, 0, -0.5, 5], [4., 0, 0, -3],
                       [0, 0, 0, 1]])
    img = nib.Nifti1Image(vol, affine)
    img.header.set_slope_inter(1.5, 10.)
    nib.save(img, str(tmp_path / 'v.nii.gz'))
    nib.save(nib.Nifti1Image(ramp(), np.eye(4)), str(tmp_path / 'flat.nii'))
    for index in (None, 0, -1):
        assert_same(tmp_path / 'v.nii.gz', 'minmax', slice_index=index)
    assert_same(tmp_path / 'flat.nii', 'auto')


def test_metaimage_slices(tmp_path):
    sitk = pytest.importorskip('SimpleITK')
    vol = np.stack([ramp() * k for k in (1, 2, 3)]).astype(np.int16)
    sitk.WriteImage(sitk.GetImageFromArray(vol), str(tmp_path / 'v.mha'))
    for index in (None, 2):
        assert_same(tmp_path / 'v.mha', 'minmax', slice_index=index)


def test_series_folder_is_one_input_read_at_its_middle(tmp_path):
    series = tmp_path / 'series.v1'
    series.mkdir()
    # file names in another order than the positions along the normal
    for k, x in enumerate((30., 10., 20., 40., 0.)):
        write_dicom(series / f'IM{k}', ramp() * (k + 1), position=(x, 0., 0.),
                    number=k + 1, window=(500, 900))
    items = collect_inputs(str(series))
    assert [(i.name, i.path) for i in items] == [('series', str(series))]
    for index in (None, 0, -2):
        assert_same(series, 'auto', slice_index=index)
    with pytest.raises(ImageReadError, match='slice index 5 is out of range'):
        read_slice(str(series), slice_index=5)
    write_dicom(series / 'other.dcm', ramp(), position=(0., 0., 0.),
                series_uid='9.9')
    with pytest.raises(ImageReadError, match='holds 2 DICOM series'):
        read_slice(str(series))
    axial = tmp_path / 'axial'
    axial.mkdir()
    for k in range(2):
        write_dicom(axial / f'A{k}', ramp(), position=(0., 0., float(k)),
                    orientation=(1, 0, 0, 0, 1, 0))
    with pytest.raises(ImageReadError, match='axial, not sagittal'):
        read_slice(str(axial))


def test_folder_of_images_and_errors(tmp_path):
    cv2.imwrite(str(tmp_path / 'b.png'), np.zeros((8, 8), np.uint8))
    write_dicom(tmp_path / 'a.dcm', ramp())
    (tmp_path / 'notes.txt').write_text('not an image')
    assert [i.name for i in collect_inputs(str(tmp_path))] == ['a', 'b']
    with pytest.raises(FileNotFoundError, match='input not found'):
        collect_inputs(str(tmp_path / 'missing'))
    empty = tmp_path / 'empty'
    os.makedirs(empty)
    with pytest.raises(FileNotFoundError, match='no image files'):
        collect_inputs(str(empty))
    (tmp_path / 'bad.png').write_bytes(b'garbage')
    with pytest.raises(ImageReadError, match='bad.png: cannot decode'):
        read_slice(str(tmp_path / 'bad.png'))
    with pytest.raises(ValueError, match='no WindowCenter'):
        read_slice(str(tmp_path / 'a.dcm'), window='file')
