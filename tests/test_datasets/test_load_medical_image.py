"""LoadMedicalImageFromFile on PNG (8/16 bit), DICOM, NIfTI and MetaImage
files, windowing, channel layout and the errors for bad files."""
import builtins

import cv2
import numpy as np
import pytest

from meddet_mm.datasets.medical_io import apply_window
from meddet_mm.datasets.transforms import LoadMedicalImageFromFile


def load(path, **kwargs):
    return LoadMedicalImageFromFile(**kwargs)(dict(img_path=str(path)))


def ramp(h=20, w=30):
    return np.tile(np.arange(w, dtype=np.float32), (h, 1))


def test_png_8bit_is_unchanged(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (20, 30), np.uint8)
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    res = load(tmp_path / 'a.png')
    assert res['img'].shape == (20, 30, 3) and res['img'].dtype == np.uint8
    assert np.array_equal(res['img'][..., 1], img)
    assert res['img_shape'] == res['ori_shape'] == (20, 30)
    grey = load(tmp_path / 'a.png', color_type='grayscale', to_float32=True)
    assert grey['img'].shape == (20, 30) and grey['img'].dtype == np.float32


def test_png_16bit_is_windowed(tmp_path):
    img = (ramp() * 1000).astype(np.uint16)
    cv2.imwrite(str(tmp_path / 'b.png'), img)
    out = load(tmp_path / 'b.png', color_type='grayscale')['img']
    assert out.min() == 0 and out.max() == 255
    fixed = load(tmp_path / 'b.png', color_type='grayscale',
                 window=(5000, 10000))['img']
    assert fixed[0, 10] == 255 and fixed[0, 0] == 0


def test_apply_window_modes():
    img = ramp()
    assert apply_window(img, 'minmax').max() == 1.0
    w = apply_window(img, (10., 10.))
    assert w[0, 5] == 0. and w[0, 15] == 1. and w[0, 10] == 0.5
    p = apply_window(img, 'percentile', percentiles=(10, 90))
    assert p.min() == 0. and p.max() == 1.
    with pytest.raises(ValueError, match='no WindowCenter'):
        apply_window(img, 'file')
    with pytest.raises(ValueError, match='unknown window'):
        apply_window(img, 'bogus')


def write_dicom(path, arr, slope=1., intercept=0., window=None,
                photometric='MONOCHROME2'):
    pydicom = pytest.importorskip('pydicom')
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import (ExplicitVRLittleEndian, MRImageStorage,
                             generate_uid)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'MR'
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    ds.PixelData = arr.astype(np.uint16).tobytes()
    pydicom.dcmwrite(str(path), ds, enforce_file_format=True)


def test_dicom_rescale_and_file_window(tmp_path):
    raw = (ramp() * 10).astype(np.uint16)  # 0..290
    # modality values = 2 * raw - 100 = -100..480; file window 0..400
    write_dicom(tmp_path / 'a.dcm', raw, slope=2., intercept=-100.,
                window=(200, 400))
    out = load(tmp_path / 'a.dcm', color_type='grayscale',
               to_float32=True)['img']
    expected = np.clip((2. * raw - 100.) / 400., 0, 1) * 255
    assert np.allclose(out, expected, atol=1e-3)
    mm = load(tmp_path / 'a.dcm', window='minmax')['img']
    assert mm.shape == (20, 30, 3) and mm.min() == 0 and mm.max() == 255


def test_dicom_monochrome1_and_no_extension(tmp_path):
    raw = (ramp() * 10).astype(np.uint16)
    write_dicom(tmp_path / 'IM0001', raw, photometric='MONOCHROME1')
    out = load(tmp_path / 'IM0001', color_type='grayscale')['img']
    assert out[0, 0] == 255 and out[0, -1] == 0  # inverted


def test_nifti_2d_and_3d(tmp_path):
    nib = pytest.importorskip('nibabel')
    vol = np.zeros((30, 20, 5), np.float32)  # (x, y, z)
    for z in range(5):
        vol[:, :, z] = z
    vol[3, 15, 2] = 100.  # marker
    nib.save(nib.Nifti1Image(vol, np.eye(4)), str(tmp_path / 'v.nii.gz'))
    res = load(tmp_path / 'v.nii.gz', color_type='grayscale')
    img = res['img']
    # middle slice z=2, displayed: rows = y flipped, cols = x
    assert img.shape == (20, 30)
    assert img[20 - 1 - 15, 3] == 255
    assert load(tmp_path / 'v.nii.gz', slice_index=4)['img'].max() == 0
    nib.save(nib.Nifti1Image(vol[:, :, 2], np.eye(4)),
             str(tmp_path / 's.nii'))
    assert load(tmp_path / 's.nii', color_type='grayscale')['img'][
        4, 3] == 255
    with pytest.raises(Exception, match='slice_index 9 out of range'):
        load(tmp_path / 'v.nii.gz', slice_index=9)


def test_metaimage_slice(tmp_path):
    vol = np.zeros((3, 4, 5), np.int16)
    vol[1, 2, 3] = 500
    header = ('ObjectType = Image\nNDims = 3\nDimSize = 5 4 3\n'
              'ElementType = MET_SHORT\nElementDataFile = LOCAL\n')
    (tmp_path / 'v.mha').write_bytes(header.encode() + vol.tobytes())
    out = load(tmp_path / 'v.mha', color_type='grayscale')['img']
    assert out.shape == (4, 5) and out[2, 3] == 255 and out.sum() == 255


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.png'):
        load(tmp_path / 'nope.png')
    assert LoadMedicalImageFromFile(ignore_empty=True)(
        dict(img_path=str(tmp_path / 'nope.png'))) is None


@pytest.mark.parametrize('name', ['bad.png', 'bad.dcm', 'bad.nii'])
def test_corrupt_file_names_file(tmp_path, name):
    if name.endswith('.dcm'):
        pytest.importorskip('pydicom')
    if name.endswith('.nii'):
        pytest.importorskip('nibabel')
    (tmp_path / name).write_bytes(b'garbage' * 10)
    with pytest.raises(Exception, match=name.replace('.', r'\.')):
        load(tmp_path / name)


def test_missing_optional_dependency_message(tmp_path, monkeypatch):
    (tmp_path / 'x.dcm').write_bytes(b'0' * 200)
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == 'pydicom':
            raise ImportError('No module named pydicom')
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', fake_import)
    with pytest.raises(ImportError, match='pip install pydicom'):
        load(tmp_path / 'x.dcm')


def test_bad_color_type():
    with pytest.raises(ValueError, match='color_type'):
        LoadMedicalImageFromFile(color_type='rgb')
