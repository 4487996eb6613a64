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
                photometric='MONOCHROME2', **elements):
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
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    for key, value in elements.items():
        setattr(ds, key, value)
    ds.PixelData = arr.astype(np.uint16).tobytes()
    pydicom.dcmwrite(str(path), ds, enforce_file_format=True)


def dicom_linear_window(x, center, width):
    """DICOM PS3.3 C.11.2.1.2.1 'LINEAR' window, output in [0, 1]."""
    c, w = center - 0.5, width - 1.
    y = (x - c) / w + 0.5
    return np.where(x <= c - w / 2, 0., np.where(x > c + w / 2, 1., y))


def test_dicom_rescale_and_file_window(tmp_path):
    raw = (ramp() * 10).astype(np.uint16)  # 0..290
    # modality values = 2 * raw - 100 = -100..480; file window 0..400
    write_dicom(tmp_path / 'a.dcm', raw, slope=2., intercept=-100.,
                window=(200, 400))
    out = load(tmp_path / 'a.dcm', color_type='grayscale',
               to_float32=True)['img']
    expected = dicom_linear_window(2. * raw - 100., 200., 400.) * 255
    assert np.allclose(out, expected, atol=1e-3)
    # an explicit window is in modality units, the plain linear map
    fixed = load(tmp_path / 'a.dcm', color_type='grayscale', to_float32=True,
                 window=(200, 400))['img']
    assert np.allclose(fixed, np.clip((2. * raw - 100.) / 400., 0, 1) * 255,
                       atol=1e-3)
    mm = load(tmp_path / 'a.dcm', window='minmax')['img']
    assert mm.shape == (20, 30, 3) and mm.min() == 0 and mm.max() == 255


def test_dicom_monochrome1_and_no_extension(tmp_path):
    raw = (ramp() * 10).astype(np.uint16)
    write_dicom(tmp_path / 'IM0001', raw, photometric='MONOCHROME1')
    out = load(tmp_path / 'IM0001', color_type='grayscale')['img']
    assert out[0, 0] == 255 and out[0, -1] == 0  # inverted
    # the file window applies to modality values, the inversion comes last
    write_dicom(tmp_path / 'IM0002', raw, photometric='MONOCHROME1',
                window=(100, 100))
    out = load(tmp_path / 'IM0002', color_type='grayscale',
               to_float32=True)['img']
    expected = (1 - dicom_linear_window(raw.astype(float), 100, 100)) * 255
    assert np.allclose(out, expected, atol=1e-3)
    assert out[0, 0] == 255 and out[0, -1] == 0


def test_dicom_voi_lut_sequence(tmp_path):
    """A VOI LUT Sequence (here a square-root curve) is applied by pydicom;
    its output range 0..4095 becomes 0..255."""
    pytest.importorskip('pydicom')
    from pydicom.dataset import Dataset
    raw = (ramp() * 10).astype(np.uint16)  # 0..290
    lut = np.round(np.sqrt(np.arange(300) / 299.) * 4095).astype(np.uint16)
    item = Dataset()
    item.LUTDescriptor = [300, 0, 12]
    item.add_new(0x00283006, 'US', lut.tolist())  # LUTData
    write_dicom(tmp_path / 'lut.dcm', raw, slope=None, VOILUTSequence=[item])
    out = load(tmp_path / 'lut.dcm', color_type='grayscale',
               to_float32=True)['img']
    assert np.allclose(out, lut[raw] / 4095. * 255, atol=1e-3)
    # 'minmax' ignores the file's LUT
    mm = load(tmp_path / 'lut.dcm', color_type='grayscale', to_float32=True,
              window='minmax')['img']
    assert np.allclose(mm, raw / 290. * 255, atol=1e-3)


def test_dicom_modality_lut_sequence(tmp_path):
    pytest.importorskip('pydicom')
    from pydicom.dataset import Dataset
    from meddet_mm.datasets.medical_io import read_dicom
    raw = (ramp() * 10).astype(np.uint16)
    table = (1000 - 2 * np.arange(300)).astype(np.uint16)
    item = Dataset()
    item.LUTDescriptor = [300, 0, 16]
    item.ModalityLUTType = 'US'
    item.add_new(0x00283006, 'US', table.tolist())  # LUTData
    write_dicom(tmp_path / 'mlut.dcm', raw, slope=None,
                ModalityLUTSequence=[item])
    arr, _ = read_dicom(str(tmp_path / 'mlut.dcm'))
    assert np.array_equal(arr, table[raw].astype(np.float32))


def test_file_window_without_voi_is_an_error_naming_the_file(tmp_path):
    write_dicom(tmp_path / 'nowin.dcm', (ramp() * 10).astype(np.uint16))
    with pytest.raises(Exception, match='nowin.dcm: window="file"'):
        load(tmp_path / 'nowin.dcm', window='file')


def marked_ras_volume():
    """A (x, y, z) RAS+ volume, 9 x 7 x 11 voxels: 1 everywhere, 100 at a
    superior-anterior point and 50 at an inferior-posterior one of the
    middle sagittal slice x = 4."""
    vol = np.ones((9, 7, 11), np.float32)
    vol[4, 6, 10] = 100.  # anterior (y max), superior (z max)
    vol[4, 0, 0] = 50.  # posterior, inferior
    vol[2, 3, 5] = 75.  # patient's left of the middle (x small)
    return vol


def reoriented(vol, affine_ras):
    """The same anatomy stored with other voxel axes: (z, x, y) order with
    the y axis flipped (an 'SLP'-like file)."""
    data = np.transpose(vol, (2, 0, 1))[:, :, ::-1]
    # voxel (k, i, j') -> RAS (i, ny-1-j', k)
    ny = vol.shape[1]
    perm = np.array([[0, 1, 0, 0], [0, 0, -1, ny - 1], [1, 0, 0, 0],
                     [0, 0, 0, 1]], float)
    return data, affine_ras @ perm


def test_nifti_slices_are_canonical_sagittal(tmp_path):
    nib = pytest.importorskip('nibabel')
    vol = marked_ras_volume()
    nib.save(nib.Nifti1Image(vol, np.eye(4)), str(tmp_path / 'ras.nii.gz'))
    img = load(tmp_path / 'ras.nii.gz', color_type='grayscale',
               to_float32=True, window='minmax')['img']
    # sagittal x = 4: rows superior -> inferior (11), columns anterior ->
    # posterior (7)
    assert img.shape == (11, 7)
    assert img[0, 0] == 255.  # superior-anterior at the top left
    assert img[10, 6] == pytest.approx(49 / 99 * 255)  # inferior-posterior
    # the same anatomy stored in another voxel order gives the same image
    data, affine = reoriented(vol, np.eye(4))
    nib.save(nib.Nifti1Image(data, affine), str(tmp_path / 'slp.nii'))
    other = load(tmp_path / 'slp.nii', color_type='grayscale',
                 to_float32=True, window='minmax')['img']
    assert np.array_equal(other, img)
    # axial slice through z = 5: rows anterior -> posterior, columns
    # patient's right -> left, so x = 2 (left) is column 8 - 2 = 6
    axial = load(tmp_path / 'slp.nii', color_type='grayscale',
                 slice_axis=2, slice_index=5, window='minmax')['img']
    assert axial.shape == (7, 9) and axial[6 - 3, 8 - 2] == 255
    with pytest.raises(Exception, match='slice_index 9 out of range'):
        load(tmp_path / 'ras.nii.gz', slice_index=9)
    with pytest.raises(Exception, match='slice_axis must be 0'):
        load(tmp_path / 'ras.nii.gz', slice_axis=3)


def test_nifti_2d_image_is_its_own_slice(tmp_path):
    nib = pytest.importorskip('nibabel')
    vol = marked_ras_volume()
    # one sagittal slice stored as a (1, y, z) volume at x = 4
    nib.save(nib.Nifti1Image(vol[4:5], np.eye(4)), str(tmp_path / 's.nii'))
    img = load(tmp_path / 's.nii', color_type='grayscale')['img']
    assert img.shape == (11, 7) and img[0, 0] == 255
    # a 2-D (x, y) array is an axial slice of the identity affine
    nib.save(nib.Nifti1Image(vol[:, :, 5], np.eye(4)),
             str(tmp_path / 'a.nii'))
    img = load(tmp_path / 'a.nii', color_type='grayscale')['img']
    assert img.shape == (7, 9) and img[6 - 3, 8 - 2] == 255


def write_series(folder, orientation=(0, 1, 0, 0, 0, -1), n=5, uid=None,
                 shuffle=(3, 0, 4, 1, 2)):
    """``n`` slices whose pixel value is their position rank; files are
    named and numbered in the ``shuffle`` order, not by position."""
    pytest.importorskip('pydicom')
    from pydicom.uid import generate_uid
    folder.mkdir(parents=True, exist_ok=True)
    uid = uid or generate_uid()
    row, col = np.array(orientation[:3]), np.array(orientation[3:])
    normal = np.cross(row, col)
    for k, rank in enumerate(shuffle[:n]):
        arr = np.full((12, 10), 10 * (rank + 1), np.uint16)
        write_dicom(folder / f'IM{k:04d}', arr,
                    SeriesInstanceUID=uid, InstanceNumber=k + 1,
                    ImageOrientationPatient=list(orientation),
                    ImagePositionPatient=(normal * 3.5 * rank).tolist())
    return folder


def test_dicom_series_folder_gives_the_mid_sagittal_slice(tmp_path):
    from meddet_mm.datasets.medical_io import (dicom_series_slice,
                                               read_medical_slice)
    folder = write_series(tmp_path / 'series')
    path, index, n = dicom_series_slice(str(folder))
    assert (index, n) == (2, 5) and path.endswith('IM0004')
    img = read_medical_slice(str(folder), window=(0, 100))
    assert np.allclose(img, 0.8)  # rank 2 -> value 30 -> (30 + 50) / 100
    img = read_medical_slice(str(folder), window=(0, 100), slice_index=0)
    assert np.allclose(img, 0.6)  # the first slice along the normal
    res = load(folder, color_type='grayscale', slice_index=-1,
               window=(0, 100))
    assert res['img'].shape == (12, 10) and res['img'][0, 0] == 255
    with pytest.raises(Exception, match='slice_index 7 out of range for a '
                       'series of 5 files'):
        read_medical_slice(str(folder), slice_index=7)


def test_dicom_series_folder_errors(tmp_path):
    from meddet_mm.datasets.medical_io import read_medical_slice
    axial = write_series(tmp_path / 'axial', orientation=(1, 0, 0, 0, 1, 0))
    with pytest.raises(Exception, match='axial.*is axial.*not sagittal'):
        read_medical_slice(str(axial))
    mixed = write_series(tmp_path / 'mixed', n=2, uid='1.2.3')
    write_series(tmp_path / 'other', n=2, uid='1.2.4')
    for f in (tmp_path / 'other').iterdir():
        f.rename(mixed / ('B' + f.name))
    with pytest.raises(Exception, match='holds 2 DICOM series.*1.2.3: 2 '
                       'files, 1.2.4: 2 files'):
        read_medical_slice(str(mixed))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no DICOM files in'):
        read_medical_slice(str(tmp_path / 'empty'))


def test_infer_takes_a_series_folder(tmp_path):
    import importlib.util
    import os.path as osp

    from conftest import REPO_ROOT
    spec = importlib.util.spec_from_file_location(
        'infer_tool', osp.join(REPO_ROOT, 'tools', 'infer.py'))
    infer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(infer)
    folder = write_series(tmp_path / 'sag_t2')
    assert infer.collect_inputs(str(folder)) == [str(folder)]
    assert infer.stem(str(folder) + '/') == 'sag_t2'
    img = infer.to_bgr_uint8(str(folder), (0, 100), None)
    assert img.shape == (12, 10, 3) and (img == 204).all()
    img = infer.to_bgr_uint8(str(folder), (0, 100), 4)
    assert (img == 255).all()  # value 50 -> 1.0


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
