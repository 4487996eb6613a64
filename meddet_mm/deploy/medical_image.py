"""Read the 2-D slice a detector runs on from PNG/JPEG, DICOM (a file or a
sagittal series folder), NIfTI or MetaImage and map it to [0, 1], with numpy
and the format libraries only (no torch, no mmcv): the inputs of
``tools/deployment/ort_infer.py``, read as ``tools/infer.py`` reads them.

Same rules as ``meddet_mm.datasets.medical_io`` (the training-side reader,
whose package imports mmdet): pydicom's ``apply_modality_lut`` and
``apply_voi_lut`` for DICOM (MONOCHROME1 inverted last), nibabel's
``as_closest_canonical`` for NIfTI (sagittal slice by default, shown with
superior at the top and anterior on the left), SimpleITK for MetaImage.
tests/test_deploy/test_medical_image.py checks that both give the same image
for every format.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

DICOM_EXTS = ('.dcm', '.dicom', '.ima')
NIFTI_EXTS = ('.nii', '.nii.gz')
METAIMAGE_EXTS = ('.mha', '.mhd')
RASTER_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
# the files a folder input runs on (those of tools/infer.py)
FOLDER_EXTS = RASTER_EXTS + ('.dcm', ) + NIFTI_EXTS + METAIMAGE_EXTS

Window = Union[str, Sequence[float]]


class ImageReadError(RuntimeError):
    """Raised when an input exists but cannot be read as an image."""


def _require(module: str, package: str):
    try:
        return __import__(module)
    except ImportError as exc:
        raise ImportError(f'reading this file needs {package!r}: pip install '
                          f'{package}') from exc


def _has_dicm_marker(path: str) -> bool:
    try:
        with open(path, 'rb') as f:
            return f.read(132)[128:132] == b'DICM'
    except OSError:
        return False


def image_format(path: str) -> str:
    """'dicom', 'nifti', 'metaimage' or 'raster' for ``path``: by
    extension, else DICOM when the ``DICM`` marker is at byte 128."""
    name = path.lower()
    for fmt, exts in (('nifti', NIFTI_EXTS), ('dicom', DICOM_EXTS),
                      ('metaimage', METAIMAGE_EXTS), ('raster', RASTER_EXTS)):
        if name.endswith(exts):
            return fmt
    return 'dicom' if _has_dicm_marker(path) else 'raster'


def is_dicom(path: str) -> bool:
    """True for an existing DICOM file (see :func:`image_format`)."""
    return osp.isfile(path) and image_format(path) == 'dicom'


def pick_slice(volume: np.ndarray, index: Optional[int], axis: int,
               source: str) -> np.ndarray:
    """Slice ``index`` (default: the middle one) of a 2-D or 3-D array."""
    if volume.ndim == 2:
        return volume
    if volume.ndim != 3:
        raise ImageReadError(f'{source}: expected a 2-D or 3-D image, got '
                             f'shape {volume.shape}')
    count = volume.shape[axis]
    index = count // 2 if index is None else int(index)
    if not -count <= index < count:
        raise ImageReadError(f'{source}: slice index {index} is out of range '
                             f'for {count} slices')
    return np.take(volume, index, axis=axis)


def window_image(img: np.ndarray, window: Window = 'minmax',
                 percentiles: Tuple[float, float] = (0.5, 99.5)
                 ) -> np.ndarray:
    """Map intensities linearly to [0, 1] and clip.

    Args:
        img (np.ndarray): Image in modality units.
        window (str | Sequence[float]): 'minmax', 'percentile' or an
            explicit (center, width): ``center -/+ width / 2`` maps to
            [0, 1].
        percentiles (tuple[float, float]): Range for 'percentile'.

    Returns:
        np.ndarray: float32 image in [0, 1] (zeros for an empty range).
    """
    img = img.astype(np.float32)
    if isinstance(window, str):
        if window == 'minmax':
            low, high = float(img.min()), float(img.max())
        elif window == 'percentile':
            low, high = (float(v) for v in np.percentile(img, percentiles))
        else:
            raise ValueError(f'unknown window {window!r}: use auto, file, '
                             'minmax, percentile or CENTER,WIDTH')
    else:
        center, width = (float(v) for v in window)
        low, high = center - width / 2., center + width / 2.
    if high <= low:
        return np.zeros_like(img)
    return np.clip((img - low) / (high - low), 0., 1.)


def _luts():
    _require('pydicom', 'pydicom')
    try:  # pydicom >= 3
        from pydicom.pixels import apply_modality_lut, apply_voi_lut
    except ImportError:  # pydicom 2
        from pydicom.pixel_data_handlers.util import (apply_modality_lut,
                                                      apply_voi_lut)
    return apply_modality_lut, apply_voi_lut


def read_dicom(path: str, frame: Optional[int] = None):
    """One DICOM frame in modality units (pydicom's modality LUT) and the
    dataset."""
    pydicom = _require('pydicom', 'pydicom')
    apply_modality_lut, _ = _luts()
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
    except Exception as exc:  # pydicom raises many types for bad files
        raise ImageReadError(f'{path}: not a readable DICOM file: '
                             f'{type(exc).__name__}: {exc}') from exc
    if int(getattr(ds, 'SamplesPerPixel', 1)) != 1:
        raise ImageReadError(f'{path}: only greyscale DICOM is supported')
    if int(getattr(ds, 'NumberOfFrames', 1) or 1) > 1:
        arr = pick_slice(arr, frame, 0, path)
    return np.asarray(apply_modality_lut(arr, ds), dtype=np.float32), ds


def dicom_unit(arr: np.ndarray, ds, window: Window, percentiles,
               path: str) -> np.ndarray:
    """A DICOM frame in [0, 1]: the file's VOI LUT (window or LUT sequence,
    by pydicom, its output range scaled to [0, 1]) for 'auto' / 'file',
    else :func:`window_image`; MONOCHROME1 inverted last."""
    if isinstance(window, str) and window in ('auto', 'file'):
        if 'WindowCenter' in ds or 'VOILUTSequence' in ds:
            _, apply_voi_lut = _luts()
            # the LUT's output range: where values far outside it land
            ends = np.array([-2.**31, 2.**31 - 1])
            if 'VOILUTSequence' in ds:  # a table is indexed by integers
                arr = np.rint(arr).astype(np.int64)
                ends = ends.astype(np.int64)
            out = np.asarray(apply_voi_lut(arr, ds), dtype=np.float64)
            ends = np.asarray(apply_voi_lut(ends, ds), dtype=np.float64)
            low, high = float(ends.min()), float(ends.max())
            img = (np.zeros_like(out) if high <= low else np.clip(
                (out - low) / (high - low), 0., 1.)).astype(np.float32)
        elif window == 'file':
            raise ValueError(f"{path}: window 'file' but the file stores no "
                             'WindowCenter/WindowWidth or VOI LUT Sequence')
        else:
            img = window_image(arr, 'minmax')
    else:
        img = window_image(arr, window, percentiles)
    if getattr(ds, 'PhotometricInterpretation', '') == 'MONOCHROME1':
        img = 1. - img
    return img


def read_nifti(path: str, slice_index: Optional[int] = None,
               slice_axis: Optional[int] = None) -> np.ndarray:
    """A slice of a NIfTI image in RAS+ order (nibabel's
    ``as_closest_canonical``): across axis 0 (sagittal) by default, or the
    axis of size 1 of a 2-D image; rows from the high end of the second
    remaining axis, columns from the high end of the first."""
    nib = _require('nibabel', 'nibabel')
    try:
        img = nib.load(path)
        data = np.asanyarray(img.dataobj).astype(np.float32)
    except Exception as exc:
        raise ImageReadError(f'{path}: not a readable NIfTI file: '
                             f'{type(exc).__name__}: {exc}') from exc
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim == 2:
        data = data[..., None]
    if data.ndim != 3:
        raise ImageReadError(f'{path}: expected a 2-D or 3-D NIfTI image, '
                             f'got shape {data.shape}')
    vol = np.asanyarray(nib.as_closest_canonical(
        nib.Nifti1Image(data, img.affine)).dataobj).astype(np.float32)
    if slice_axis is None:
        flat = [a for a in range(3) if vol.shape[a] == 1]
        slice_axis = flat[0] if flat else 0
    if slice_axis not in (0, 1, 2):
        raise ValueError(f'{path}: slice_axis must be 0, 1 or 2, got '
                         f'{slice_axis}')
    sliced = pick_slice(vol, slice_index, slice_axis, path)
    return np.ascontiguousarray(sliced.T[::-1, ::-1])


def read_metaimage(path: str, slice_index: Optional[int] = None,
                   slice_axis: int = 0) -> np.ndarray:
    """A slice (numpy axis order: z, y, x) of a MetaImage, via SimpleITK."""
    sitk = _require('SimpleITK', 'SimpleITK')
    try:
        vol = sitk.GetArrayFromImage(sitk.ReadImage(path))
    except RuntimeError as exc:
        raise ImageReadError(f'{path}: SimpleITK cannot read it: '
                             f'{exc}') from exc
    return pick_slice(np.squeeze(vol), slice_index, slice_axis,
                      path).astype(np.float32)


def read_raster(path: str) -> np.ndarray:
    """Decode a PNG/JPEG/BMP/TIFF as greyscale at its own bit depth."""
    import cv2
    buf = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    if img is None:
        raise ImageReadError(f'{path}: cannot decode the image (corrupt or '
                             f'not an image)')
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY
                           if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    return img


def dicom_series(folder: str) -> List[str]:
    """The DICOM files of ``folder`` (with or without extension) ordered
    along the slice normal (ImagePositionPatient projected on the cross
    product of ImageOrientationPatient's directions; else InstanceNumber).
    They must form one sagittal series."""
    pydicom = _require('pydicom', 'pydicom')
    files = sorted(osp.join(folder, f) for f in os.listdir(folder))
    files = [f for f in files if is_dicom(f)]
    if not files:
        raise FileNotFoundError(f'no DICOM files in {folder}')
    headers = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    uids = sorted({str(getattr(ds, 'SeriesInstanceUID', ''))
                   for ds in headers})
    if len(uids) > 1:
        raise ImageReadError(f'{folder} holds {len(uids)} DICOM series '
                             f'({", ".join(u or "(no UID)" for u in uids)});'
                             ' put each series in its own folder')
    if all(getattr(ds, 'ImagePositionPatient', None) is not None and
           getattr(ds, 'ImageOrientationPatient', None) is not None
           for ds in headers):
        iop = np.asarray(headers[0].ImageOrientationPatient, np.float64)
        normal = np.cross(iop[:3], iop[3:])
        axis = int(np.argmax(np.abs(normal)))
        if axis != 0:
            raise ImageReadError(
                f'{folder}: the series is '
                f"{'coronal' if axis == 1 else 'axial'}, not sagittal; pass "
                'a sagittal series or one file of it')
        keys = [float(np.dot(normal, np.asarray(ds.ImagePositionPatient,
                                                np.float64)))
                for ds in headers]
    else:
        missing = [f for f, ds in zip(files, headers)
                   if getattr(ds, 'InstanceNumber', None) is None]
        if missing:
            raise ImageReadError(
                f'{folder}: cannot order the series: {missing[0]} has '
                'neither ImagePositionPatient + ImageOrientationPatient nor '
                'InstanceNumber')
        keys = [float(ds.InstanceNumber) for ds in headers]
    order = sorted(range(len(files)), key=lambda i: (keys[i], files[i]))
    return [files[i] for i in order]


def read_slice(path: str, window: Window = 'auto',
               slice_index: Optional[int] = None,
               percentiles: Tuple[float, float] = (0.5, 99.5)) -> np.ndarray:
    """A file, or a folder holding one sagittal DICOM series, as a float32
    (H, W) image in [0, 1].

    ``window``: 'auto' (a DICOM file's own VOI LUT, else min-max; 8-bit
    rasters divided by 255), 'file' (the DICOM VOI LUT, an error without
    one), 'minmax', 'percentile' or (center, width) in modality units.
    ``slice_index``: slice of a 3-D file (NIfTI: along the sagittal RAS
    axis; MetaImage: first numpy axis; DICOM: frame) or file of a series;
    the middle one by default.
    """
    if osp.isdir(path):
        files = dicom_series(path)
        count = len(files)
        index = count // 2 if slice_index is None else int(slice_index)
        if not -count <= index < count:
            raise ImageReadError(f'{path}: slice index {index} is out of '
                                 f'range for a series of {count} files')
        arr, ds = read_dicom(files[index])
        return dicom_unit(arr, ds, window, percentiles, files[index])
    if not osp.isfile(path):
        raise FileNotFoundError(f'image file not found: {path}')
    fmt = image_format(path)
    if fmt == 'dicom':
        arr, ds = read_dicom(path, slice_index)
        return dicom_unit(arr, ds, window, percentiles, path)
    if fmt == 'nifti':
        img = read_nifti(path, slice_index)
    elif fmt == 'metaimage':
        img = read_metaimage(path, slice_index)
    else:
        img = read_raster(path)
        if img.dtype == np.uint8 and isinstance(window, str) and \
                window in ('auto', 'file'):
            return img.astype(np.float32) / 255.
    if isinstance(window, str) and window in ('auto', 'file'):
        window = 'minmax'  # only DICOM stores a window
    return window_image(img, window, percentiles)


def to_bgr_uint8(img: np.ndarray) -> np.ndarray:
    """A [0, 1] greyscale image as the 3-channel uint8 image a detector
    trained on PNG slices expects."""
    img = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
    return np.repeat(img[..., None], 3, axis=2)


@dataclass
class InputSlice:
    """One image to run on.

    Attributes:
        name (str): Output file stem.
        path (str): File, or DICOM series folder, the pixels come from.
        slice_index (int, optional): Slice of a 3-D file or series.
    """
    name: str
    path: str
    slice_index: Optional[int] = None


def file_stem(path: str) -> str:
    """File or folder name without a known (possibly double) extension."""
    name = osp.basename(osp.normpath(path))
    for ext in sorted(FOLDER_EXTS, key=len, reverse=True):
        if name.lower().endswith(ext):
            return name[:-len(ext)]
    return osp.splitext(name)[0]


def _dicom_series_count(folder: str) -> int:
    """Files of the largest DICOM series directly in ``folder``."""
    pydicom = _require('pydicom', 'pydicom')
    counts = {}
    for name in os.listdir(folder):
        path = osp.join(folder, name)
        if is_dicom(path):
            uid = str(getattr(pydicom.dcmread(path, stop_before_pixels=True),
                              'SeriesInstanceUID', ''))
            counts[uid] = counts.get(uid, 0) + 1
    return max(counts.values(), default=0)


def collect_inputs(path: str,
                   slice_index: Optional[int] = None) -> List[InputSlice]:
    """The images to run on, as tools/infer.py chooses them: ``path``
    itself, a folder holding a DICOM series of several files (one image:
    its middle slice or ``slice_index``), or the image files of a folder."""
    if osp.isfile(path):
        return [InputSlice(file_stem(path), path, slice_index)]
    if not osp.isdir(path):
        raise FileNotFoundError(f'input not found: {path}')
    if _dicom_series_count(path) > 1:
        return [InputSlice(file_stem(path), path, slice_index)]
    files = sorted(osp.join(path, f) for f in os.listdir(path)
                   if f.lower().endswith(FOLDER_EXTS))
    if not files:
        raise FileNotFoundError(f'no image files ({", ".join(FOLDER_EXTS)})'
                                f' in {path}')
    return [InputSlice(file_stem(f), f, slice_index) for f in files]
