"""Reading 2-D slices from DICOM, NIfTI, MetaImage and raster files, and
intensity windowing (file window, fixed window, min-max, percentiles)."""
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .metaimage import read_metaimage

DICOM_EXTS = ('.dcm', '.dicom', '.ima')
NIFTI_EXTS = ('.nii', '.nii.gz')
METAIMAGE_EXTS = ('.mha', '.mhd')
RASTER_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')

Window = Union[str, Sequence[float]]


class MedicalImageReadError(RuntimeError):
    """Raised when an image file exists but cannot be read or decoded."""


def image_format(path: str) -> str:
    """Guess the file format from its name (and the DICOM magic bytes).

    Args:
        path (str): File path.

    Returns:
        str: 'dicom', 'nifti', 'metaimage' or 'raster'.
    """
    name = path.lower()
    if name.endswith(NIFTI_EXTS):
        return 'nifti'
    if name.endswith(DICOM_EXTS):
        return 'dicom'
    if name.endswith(METAIMAGE_EXTS):
        return 'metaimage'
    if name.endswith(RASTER_EXTS):
        return 'raster'
    try:  # extension-less DICOM files are common
        with open(path, 'rb') as f:
            head = f.read(132)
        if head[128:132] == b'DICM':
            return 'dicom'
    except OSError:
        pass
    return 'raster'


def _import_optional(module: str, package: str):
    try:
        return __import__(module)
    except ImportError as e:
        raise ImportError(
            f'Reading this file needs the optional package {package!r}: '
            f'pip install {package}') from e


def _pick_slice(vol: np.ndarray, slice_index: Optional[int], axis: int,
                path: str) -> np.ndarray:
    if vol.ndim == 2:
        return vol
    if vol.ndim != 3:
        raise MedicalImageReadError(
            f'{path}: expected a 2-D or 3-D image, got shape {vol.shape}')
    n = vol.shape[axis]
    idx = n // 2 if slice_index is None else int(slice_index)
    if not -n <= idx < n:
        raise MedicalImageReadError(
            f'{path}: slice_index {idx} out of range for {n} slices along '
            f'axis {axis}')
    return np.take(vol, idx, axis=axis)


def _first(value) -> Optional[float]:
    """First number of a (possibly multi-valued) DICOM element."""
    if value is None:
        return None
    try:
        return float(value)
    except TypeError:  # pydicom MultiValue
        return float(value[0]) if len(value) else None


def read_dicom(path: str, frame: Optional[int] = None
               ) -> Tuple[np.ndarray, Optional[Tuple[float, float]]]:
    """Read one DICOM frame in modality units.

    Applies RescaleSlope / RescaleIntercept and inverts MONOCHROME1.

    Args:
        path (str): DICOM file.
        frame (int, optional): Frame of a multi-frame file; the middle one
            when None.

    Returns:
        tuple: float32 (H, W) array and the file's (WindowCenter,
        WindowWidth), or None when absent.
    """
    pydicom = _import_optional('pydicom', 'pydicom')
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
    except Exception as e:  # pydicom raises many error types
        raise MedicalImageReadError(
            f'Cannot read DICOM file {path}: {type(e).__name__}: {e}') from e
    arr = arr.astype(np.float32)
    if int(getattr(ds, 'SamplesPerPixel', 1)) != 1:
        raise MedicalImageReadError(f'{path}: only greyscale DICOM is '
                                    f'supported')
    if int(getattr(ds, 'NumberOfFrames', 1) or 1) > 1:
        arr = _pick_slice(arr, frame, 0, path)
    slope = float(getattr(ds, 'RescaleSlope', 1.0) or 1.0)
    intercept = float(getattr(ds, 'RescaleIntercept', 0.0) or 0.0)
    arr = arr * slope + intercept
    if getattr(ds, 'PhotometricInterpretation', '') == 'MONOCHROME1':
        arr = arr.max() + arr.min() - arr
    center = _first(getattr(ds, 'WindowCenter', None))
    width = _first(getattr(ds, 'WindowWidth', None))
    window = (center, width) if center is not None and width else None
    return arr, window


def read_nifti(path: str, slice_index: Optional[int] = None,
               slice_axis: int = 2, display: bool = True) -> np.ndarray:
    """Read a 2-D NIfTI image or one slice of a 3-D volume.

    Args:
        path (str): .nii or .nii.gz file.
        slice_index (int, optional): Slice of a 3-D volume; the middle one
            when None.
        slice_axis (int): Axis of the volume that indexes slices.
            Defaults to 2.
        display (bool): Return the slice transposed and flipped up-down
            (rows = second voxel axis, top = its high end), which shows a
            RAS-oriented slice the usual way. Defaults to True.

    Returns:
        np.ndarray: float32 (H, W) array (scl_slope / scl_inter applied).
    """
    nib = _import_optional('nibabel', 'nibabel')
    try:
        vol = np.asanyarray(nib.load(path).dataobj).astype(np.float32)
    except Exception as e:
        raise MedicalImageReadError(
            f'Cannot read NIfTI file {path}: {type(e).__name__}: {e}') from e
    vol = np.squeeze(vol)
    img = _pick_slice(vol, slice_index, slice_axis, path)
    if display:
        img = np.flipud(img.T)
    return np.ascontiguousarray(img)


def read_metaimage_slice(path: str, slice_index: Optional[int] = None,
                         slice_axis: int = 0) -> np.ndarray:
    """Read a 2-D MetaImage or one slice (numpy axis order) of a volume."""
    try:
        vol, _ = read_metaimage(path)
    except FileNotFoundError:
        raise
    except Exception as e:
        raise MedicalImageReadError(
            f'Cannot read MetaImage file {path}: {e}') from e
    return _pick_slice(np.squeeze(vol), slice_index, slice_axis,
                       path).astype(np.float32)


def apply_window(img: np.ndarray, window: Window = 'minmax',
                 percentiles: Tuple[float, float] = (0.5, 99.5),
                 file_window: Optional[Tuple[float, float]] = None
                 ) -> np.ndarray:
    """Map intensities to [0, 1].

    Args:
        img (np.ndarray): Image in modality units.
        window (str | Sequence[float]): 'auto' (the file's window when it has
            one, else min-max), 'file' (the file's window, error if absent),
            'minmax', 'percentile', or an explicit (center, width).
            Defaults to 'minmax'.
        percentiles (tuple[float, float]): Low / high percentiles for
            'percentile'. Defaults to (0.5, 99.5).
        file_window (tuple[float, float], optional): (center, width) stored
            in the file.

    Returns:
        np.ndarray: float32 image clipped to [0, 1].
    """
    img = img.astype(np.float32)
    if isinstance(window, str):
        if window == 'auto':
            window = 'file' if file_window is not None else 'minmax'
        if window == 'file':
            if file_window is None:
                raise ValueError('window="file" but the file stores no '
                                 'WindowCenter/WindowWidth')
            center, width = file_window
            lo, hi = center - width / 2., center + width / 2.
        elif window == 'minmax':
            lo, hi = float(img.min()), float(img.max())
        elif window == 'percentile':
            lo, hi = (float(v) for v in np.percentile(img, percentiles))
        else:
            raise ValueError(f'unknown window {window!r}; use auto, file, '
                             f'minmax, percentile or (center, width)')
    else:
        center, width = (float(v) for v in window)
        lo, hi = center - width / 2., center + width / 2.
    if hi <= lo:
        return np.zeros_like(img)
    return np.clip((img - lo) / (hi - lo), 0., 1.)


def read_raster(path: str, flag: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Decode a PNG/JPEG/... file with OpenCV, raising on failure."""
    buf = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(buf, flag) if buf.size else None
    if img is None:
        raise MedicalImageReadError(
            f'Cannot decode image file {path} (corrupt or not an image)')
    return img


def read_medical_slice(path: str,
                       window: Window = 'auto',
                       percentiles: Tuple[float, float] = (0.5, 99.5),
                       slice_index: Optional[int] = None,
                       slice_axis: Optional[int] = None) -> np.ndarray:
    """Read any supported file as a 2-D float32 image in [0, 1].

    8-bit raster files are divided by 255 (no windowing) unless ``window`` is
    an explicit (center, width) in 0-255 units; 16-bit raster files and all
    medical formats are windowed.

    Args:
        path (str): Image path.
        window (str | Sequence[float]): See :func:`apply_window`.
            Defaults to 'auto'.
        percentiles (tuple[float, float]): For ``window='percentile'``.
        slice_index (int, optional): Slice / frame of a 3-D file; middle
            when None.
        slice_axis (int, optional): Slice axis of a 3-D file; defaults to 2
            for NIfTI (voxel order) and 0 for MetaImage (numpy order).

    Returns:
        np.ndarray: float32 (H, W) image in [0, 1].
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Image file not found: {path}')
    fmt = image_format(path)
    file_window = None
    if fmt == 'dicom':
        img, file_window = read_dicom(path, slice_index)
    elif fmt == 'nifti':
        img = read_nifti(path, slice_index,
                         2 if slice_axis is None else slice_axis)
    elif fmt == 'metaimage':
        img = read_metaimage_slice(path, slice_index,
                                   0 if slice_axis is None else slice_axis)
    else:
        raw = read_raster(path)
        if raw.ndim == 3:
            code = (cv2.COLOR_BGRA2GRAY
                    if raw.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
            raw = cv2.cvtColor(raw, code)
        if raw.dtype == np.uint8 and isinstance(window, str) and \
                window in ('auto', 'file'):
            return raw.astype(np.float32) / 255.
        img = raw.astype(np.float32)
        if window == 'file':
            window = 'minmax'
    return apply_window(img, window, percentiles, file_window)
