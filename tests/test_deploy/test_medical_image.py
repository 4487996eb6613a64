"""meddet_mm.deploy.medical_image is the one image reader: the training side
(meddet_mm.datasets.medical_io, used by LoadMedicalImageFromFile and
tools/infer.py) re-exports its functions and differs only in its MetaImage
reader; a DICOM series folder is one input (its middle slice along the slice
normal) as in tools/infer.py. The format rules themselves are tested through
LoadMedicalImageFromFile in tests/test_datasets/test_load_medical_image.py.
"""
import builtins
import inspect
import os

import cv2
import numpy as np
import pytest

from deploy_helpers import write_dicom
from meddet_mm.datasets import medical_io
from meddet_mm.deploy import (MedicalImageReadError, collect_inputs,
                              medical_image, read_medical_slice)


def ramp(h=24, w=30, scale=37.):
    rng = np.random.default_rng(0)
    return (np.add.outer(np.arange(h), np.arange(w)) * scale +
            rng.integers(0, 20, (h, w))).astype(np.float32)


def test_training_side_has_no_reader_of_its_own():
    for name in ('MedicalImageReadError', 'apply_window', 'dicom_series_in',
                 'dicom_series_slice', 'dicom_to_unit', 'image_format',
                 'read_dicom', 'read_nifti', 'read_raster'):
        assert getattr(medical_io, name) is getattr(medical_image, name), name
    own = sorted(name for name, obj in vars(medical_io).items()
                 if inspect.isfunction(obj)
                 and obj.__module__ == medical_io.__name__)
    # only the wrappers that plug in the MetaImage reader without SimpleITK
    assert own == ['read_medical_slice', 'read_metaimage_slice']


def test_raster_8_and_16_bit(tmp_path):
    img = ramp()
    img8 = (img / img.max() * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / 'a8.png'), img8)
    cv2.imwrite(str(tmp_path / 'a16.png'), img.astype(np.uint16))
    cv2.imwrite(str(tmp_path / 'rgb.png'), np.stack([img8] * 3, -1))
    for name in ('a8.png', 'rgb.png'):  # 8 bit: divided by 255, no window
        out = read_medical_slice(str(tmp_path / name))
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, img8 / np.float32(255))
    out = read_medical_slice(str(tmp_path / 'a16.png'))  # 16 bit: min-max
    np.testing.assert_allclose(out, (img - img.min()) / np.ptp(img),
                               atol=1e-6)
    out = read_medical_slice(str(tmp_path / 'a16.png'), (500., 1000.))
    np.testing.assert_allclose(out, np.clip(img / 1000., 0, 1), atol=1e-6)


def test_metaimage_with_simpleitk_and_with_the_builtin_reader(
        tmp_path, monkeypatch):
    """The deploy side reads MetaImage with SimpleITK; the training side
    also without it (meddet_mm.datasets.metaimage); both give one image."""
    sitk = pytest.importorskip('SimpleITK')
    vol = np.stack([ramp() * k for k in (1, 2, 3)]).astype(np.int16)
    path = str(tmp_path / 'v.mha')
    sitk.WriteImage(sitk.GetImageFromArray(vol), path)
    monkeypatch.setenv('MEDDET_NO_SIMPLEITK', '1')  # the built-in reader
    for index, axis in ((None, None), (2, None), (0, 1)):
        ours = read_medical_slice(path, 'minmax', slice_index=index,
                                  slice_axis=axis)
        theirs = medical_io.read_medical_slice(path, 'minmax',
                                               slice_index=index,
                                               slice_axis=axis)
        expected = np.take(vol, 1 if index is None else index,
                           axis=axis or 0).astype(np.float32)
        expected = (expected - expected.min()) / np.ptp(expected)
        np.testing.assert_allclose(ours, expected, atol=1e-6)
        np.testing.assert_array_equal(ours, theirs)


def test_metaimage_without_simpleitk_names_the_package(tmp_path,
                                                       monkeypatch):
    (tmp_path / 'v.mha').write_text('NDims = 2\n')
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == 'SimpleITK':
            raise ImportError('No module named SimpleITK')
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', fake_import)
    with pytest.raises(ImportError, match='pip install SimpleITK'):
        read_medical_slice(str(tmp_path / 'v.mha'))


def test_series_folder_is_one_input_read_at_its_middle(tmp_path):
    series = tmp_path / 'series.v1'
    series.mkdir()
    # file names in another order than the positions along the normal
    positions = (30., 10., 20., 40., 0.)
    for k, x in enumerate(positions):
        write_dicom(series / f'IM{k}', ramp() * (k + 1), position=(x, 0., 0.),
                    number=k + 1, window=(500, 900))
    items = collect_inputs(str(series))
    assert [(i.name, i.path) for i in items] == [('series', str(series))]
    # write_dicom's sagittal orientation has the slice normal -x
    normal = np.cross((0, 1, 0), (0, 0, -1))
    assert normal.tolist() == [-1, 0, 0]
    by_position = sorted(range(5), key=lambda k: -positions[k])
    top = float(ramp().max()) * 5
    for index in (None, 0, -2):
        k = by_position[2 if index is None else index]
        out = read_medical_slice(str(series), (top / 2, top),
                                 slice_index=index)
        np.testing.assert_allclose(out, ramp() * (k + 1) / top, atol=1e-6)
    with pytest.raises(MedicalImageReadError,
                       match='slice_index 5 out of range for a series of 5'):
        read_medical_slice(str(series), slice_index=5)
    write_dicom(series / 'other.dcm', ramp(), position=(0., 0., 0.),
                series_uid='9.9')
    with pytest.raises(MedicalImageReadError, match='holds 2 DICOM series'):
        read_medical_slice(str(series))
    axial = tmp_path / 'axial'
    axial.mkdir()
    for k in range(2):
        write_dicom(axial / f'A{k}', ramp(), position=(0., 0., float(k)),
                    orientation=(1, 0, 0, 0, 1, 0))
    with pytest.raises(MedicalImageReadError,
                       match='the series is axial .*, not sagittal'):
        read_medical_slice(str(axial))


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
    with pytest.raises(MedicalImageReadError,
                       match='Cannot decode image file .*bad.png'):
        read_medical_slice(str(tmp_path / 'bad.png'))
    with pytest.raises(ValueError, match='a.dcm: window="file" but the file '
                       'stores no WindowCenter'):
        read_medical_slice(str(tmp_path / 'a.dcm'), window='file')
