"""The one reader of 2-D slices from DICOM files and series, NIfTI, MetaImage
and raster files, with intensity windowing, for training and deployment.

It needs numpy and, where used, OpenCV, pydicom, nibabel and SimpleITK; never
torch, mmcv, mmengine or mmdet, so ``tools/deployment/ort_infer.py`` runs
without them. The training side (``meddet_mm.datasets.medical_io``,
``LoadMedicalImageFromFile``, ``tools/infer.py``) uses the same functions.

The format libraries do the medical parts: pydicom's ``apply_modality_lut``
(rescale or Modality LUT) and ``apply_voi_lut`` (window or VOI LUT), and
nibabel's ``as_closest_canonical`` (RAS+ voxel order) before a NIfTI slice is
taken. Slices are shown radiologically: a sagittal slice with superior at the
top and anterior on the left, as the SPIDER export and the synthetic data.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

DICOM_EXTS = ('.dcm', '.dicom', '.ima')
NIFTI_EXTS = ('.nii', '.nii.gz')
METAIMAGE_EXTS = ('.mha', '.mhd')
RASTER_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
# the files a folder input runs on (those of tools/infer.py)
FOLDER_EXTS = RASTER_EXTS + ('.dcm', ) + NIFTI_EXTS + METAIMAGE_EXTS

Window = Union[str, Sequence[float]]
# path -> (voxel array in numpy order, metadata), as
# meddet_mm.datasets.metaimage.read_metaimage
MetaImageReader = Callable[[str], Tuple[np.ndarray, dict]]


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
    for fmt, exts in (('nifti', NIFTI_EXTS), ('dicom', DICOM_EXTS),
                      ('metaimage', METAIMAGE_EXTS), ('raster', RASTER_EXTS)):
        if name.endswith(exts):
            return fmt
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


def _pydicom_luts():
    """pydicom's ``apply_modality_lut`` and ``apply_voi_lut``."""
    _import_optional('pydicom', 'pydicom')
    try:  # pydicom >= 3
        from pydicom.pixels import apply_modality_lut, apply_voi_lut
    except ImportError:  # pydicom 2.x
        from pydicom.pixel_data_handlers.util import (apply_modality_lut,
                                                      apply_voi_lut)
    return apply_modality_lut, apply_voi_lut


def read_dicom(path: str, frame: Optional[int] = None):
    """Read one DICOM frame in modality units.

    pydicom's ``apply_modality_lut`` applies RescaleSlope / RescaleIntercept
    or the Modality LUT Sequence.

    Args:
        path (str): DICOM file.
        frame (int, optional): Frame of a multi-frame file; the middle one
            when None.

    Returns:
        tuple: float32 (H, W) array and the pydicom dataset (for its VOI LUT
        and photometric interpretation, see :func:`dicom_to_unit`).
    """
    pydicom = _import_optional('pydicom', 'pydicom')
    apply_modality_lut, _ = _pydicom_luts()
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
    except Exception as e:  # pydicom raises many error types
        raise MedicalImageReadError(
            f'Cannot read DICOM file {path}: {type(e).__name__}: {e}') from e
    if int(getattr(ds, 'SamplesPerPixel', 1)) != 1:
        raise MedicalImageReadError(f'{path}: only greyscale DICOM is '
                                    f'supported')
    if int(getattr(ds, 'NumberOfFrames', 1) or 1) > 1:
        arr = _pick_slice(arr, frame, 0, path)
    return np.asarray(apply_modality_lut(arr, ds), dtype=np.float32), ds


def has_voi_lut(ds) -> bool:
    """Whether a DICOM dataset stores a window or a VOI LUT Sequence."""
    return 'WindowCenter' in ds or 'VOILUTSequence' in ds


def dicom_to_unit(arr: np.ndarray, ds, window: Window = 'auto',
                  percentiles: Tuple[float, float] = (0.5, 99.5),
                  path: str = '') -> np.ndarray:
    """Display a DICOM frame in modality units as a [0, 1] image.

    With ``window`` 'auto' or 'file' and a file that stores a VOI LUT
    (WindowCenter / WindowWidth with its VOILUTFunction, or a VOI LUT
    Sequence), pydicom's ``apply_voi_lut`` maps the values and its output
    range becomes [0, 1]. Otherwise :func:`apply_window` does ('auto'
    without a VOI LUT is min-max). MONOCHROME1 is inverted last, so a
    window is always given in modality units.

    Args:
        arr (np.ndarray): Output of :func:`read_dicom`.
        ds: Its pydicom dataset.
        window (str | Sequence[float]): See :func:`apply_window`.
        percentiles (tuple[float, float]): For ``window='percentile'``.
        path (str): File name for error messages.

    Returns:
        np.ndarray: float32 image in [0, 1].
    """
    if isinstance(window, str) and window in ('auto', 'file'):
        if has_voi_lut(ds):
            _, apply_voi_lut = _pydicom_luts()
            # the VOI output range: the images of values far below / above
            ends = np.array([-2.**31, 2.**31 - 1])
            if 'VOILUTSequence' in ds:  # a LUT is indexed by integers
                arr = np.rint(arr).astype(np.int64)
                ends = ends.astype(np.int64)
            out = np.asarray(apply_voi_lut(arr, ds), dtype=np.float64)
            ends = np.asarray(apply_voi_lut(ends, ds), dtype=np.float64)
            low, high = float(ends.min()), float(ends.max())
            img = (np.zeros_like(out) if high <= low else np.clip(
                (out - low) / (high - low), 0., 1.)).astype(np.float32)
        elif window == 'file':
            raise ValueError(f'{path}: window="file" but the file stores no '
                             'WindowCenter/WindowWidth or VOI LUT Sequence')
        else:
            img = apply_window(arr, 'minmax')
    else:
        img = apply_window(arr, window, percentiles)
    if getattr(ds, 'PhotometricInterpretation', '') == 'MONOCHROME1':
        img = 1. - img
    return img


def canonical_nifti(path: str):
    """A NIfTI file as a 3-D float32 volume in RAS+ voxel order.

    nibabel's ``as_closest_canonical`` reorders and flips the voxel axes so
    that axis 0 runs to the patient's right, axis 1 to anterior and axis 2
    to superior, whatever the file's affine. A 2-D image gets a third axis
    of size 1 first; trailing axes of size 1 are dropped.

    Args:
        path (str): .nii or .nii.gz file.

    Returns:
        np.ndarray: float32 (X, Y, Z) volume, scl_slope / scl_inter applied.
    """
    nib = _import_optional('nibabel', 'nibabel')
    try:
        img = nib.load(path)
        data = np.asanyarray(img.dataobj).astype(np.float32)
    except Exception as e:
        raise MedicalImageReadError(
            f'Cannot read NIfTI file {path}: {type(e).__name__}: {e}') from e
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim == 2:
        data = data[..., None]
    if data.ndim != 3:
        raise MedicalImageReadError(
            f'{path}: expected a 2-D or 3-D NIfTI image, got shape '
            f'{data.shape}')
    canonical = nib.as_closest_canonical(nib.Nifti1Image(data, img.affine))
    return np.asanyarray(canonical.dataobj).astype(np.float32)


def read_nifti(path: str, slice_index: Optional[int] = None,
               slice_axis: Optional[int] = None) -> np.ndarray:
    """Read a 2-D NIfTI image or one slice of a 3-D volume, oriented by its
    affine.

    After :func:`canonical_nifti` (RAS+), a slice across axis 0 is sagittal,
    across 1 coronal and across 2 axial. A 2-D image is the slice across its
    axis of size 1. The slice is shown radiologically: rows run superior to
    inferior (anterior to posterior for an axial slice) and columns
    anterior to posterior on a sagittal slice, patient's right to left
    otherwise.

    Args:
        path (str): .nii or .nii.gz file.
        slice_index (int, optional): Slice of a 3-D volume, in RAS+ order
            along ``slice_axis``; the middle one when None.
        slice_axis (int, optional): RAS+ axis across which to slice; the
            axis of size 1 of a 2-D image, else 0 (sagittal) when None.

    Returns:
        np.ndarray: float32 (H, W) array.
    """
    vol = canonical_nifti(path)
    flat = [a for a in range(3) if vol.shape[a] == 1]
    if slice_axis is None:
        slice_axis = flat[0] if flat else 0
    if slice_axis not in (0, 1, 2):
        raise ValueError(f'{path}: slice_axis must be 0 (sagittal), 1 '
                         f'(coronal) or 2 (axial), got {slice_axis}')
    img = _pick_slice(vol, slice_index, slice_axis, path)
    # remaining RAS axes (a, b) with a < b: rows = b high to low, columns =
    # a high to low (anterior / patient's right on the left)
    return np.ascontiguousarray(img.T[::-1, ::-1])


def _dicom_headers(paths: Sequence[str]):
    if not paths:  # a folder without DICOM files needs no pydicom
        return []
    pydicom = _import_optional('pydicom', 'pydicom')
    headers = []
    for path in paths:
        try:
            headers.append(pydicom.dcmread(path, stop_before_pixels=True))
        except Exception as e:
            raise MedicalImageReadError(
                f'Cannot read DICOM file {path}: {type(e).__name__}: '
                f'{e}') from e
    return headers


def is_dicom_file(path: str) -> bool:
    """A DICOM file by extension, or by the ``DICM`` marker at byte 128."""
    return osp.isfile(path) and image_format(path) == 'dicom'


def dicom_series_in(folder: str) -> Dict[str, List[str]]:
    """The DICOM files directly in ``folder``, grouped by
    SeriesInstanceUID (files without one form the series '')."""
    files = sorted(osp.join(folder, name) for name in os.listdir(folder))
    files = [f for f in files if is_dicom_file(f)]
    series: Dict[str, List[str]] = {}
    for path, ds in zip(files, _dicom_headers(files)):
        series.setdefault(str(getattr(ds, 'SeriesInstanceUID', '')),
                          []).append(path)
    return series


def sort_dicom_series(paths: Sequence[str], source: str = ''
                      ) -> Tuple[List[str], Optional[np.ndarray]]:
    """Order the files of one series along their slice normal.

    The normal is the cross product of ImageOrientationPatient's row and
    column directions, and a file's position is ImagePositionPatient
    projected on it. Files without these are ordered by InstanceNumber.

    Args:
        paths (Sequence[str]): Files of one series.
        source (str): Folder name for error messages.

    Returns:
        tuple[list[str], np.ndarray | None]: The ordered files and the
        slice normal (patient LPS coordinates), None when unknown.
    """
    headers = _dicom_headers(paths)
    geometry = all(
        getattr(ds, 'ImagePositionPatient', None) is not None
        and getattr(ds, 'ImageOrientationPatient', None) is not None
        for ds in headers)
    if geometry:
        iop = np.asarray(headers[0].ImageOrientationPatient, np.float64)
        normal = np.cross(iop[:3], iop[3:])
        keys = [float(np.dot(normal, np.asarray(ds.ImagePositionPatient,
                                                np.float64)))
                for ds in headers]
    else:
        normal = None
        missing = [p for p, ds in zip(paths, headers)
                   if getattr(ds, 'InstanceNumber', None) is None]
        if missing:
            raise MedicalImageReadError(
                f'{source}: cannot order the series: {missing[0]} has '
                'neither ImagePositionPatient + ImageOrientationPatient nor '
                'InstanceNumber')
        keys = [float(ds.InstanceNumber) for ds in headers]
    order = sorted(range(len(paths)), key=lambda i: (keys[i], paths[i]))
    return [paths[i] for i in order], normal


def dicom_series_slice(folder: str, slice_index: Optional[int] = None
                       ) -> Tuple[str, int, int]:
    """The file of a sagittal DICOM series folder to read: the mid-sagittal
    slice, or ``slice_index`` in the order along the slice normal.

    Args:
        folder (str): Folder holding the files of one series.
        slice_index (int, optional): Position in the ordered series; the
            middle one when None.

    Returns:
        tuple[str, int, int]: The file, its index and the series length.
    """
    series = dicom_series_in(folder)
    if not series:
        raise FileNotFoundError(f'no DICOM files in {folder}')
    if len(series) > 1:
        listing = ', '.join(f'{uid or "(no UID)"}: {len(files)} files'
                            for uid, files in sorted(series.items()))
        raise MedicalImageReadError(
            f'{folder} holds {len(series)} DICOM series ({listing}); put '
            'each series in its own folder')
    files, normal = sort_dicom_series(next(iter(series.values())), folder)
    if normal is not None and int(np.argmax(np.abs(normal))) != 0:
        plane = 'coronal' if int(np.argmax(np.abs(normal))) == 1 else 'axial'
        raise MedicalImageReadError(
            f'{folder}: the series is {plane} (slice normal '
            f'{np.round(normal, 3).tolist()} in patient LPS), not sagittal; '
            'pass a sagittal series or a single file of it')
    n = len(files)
    index = n // 2 if slice_index is None else int(slice_index)
    if not -n <= index < n:
        raise MedicalImageReadError(
            f'{folder}: slice_index {index} out of range for a series of '
            f'{n} files')
    return files[index], index % n, n


def read_metaimage_sitk(path: str) -> Tuple[np.ndarray, dict]:
    """A MetaImage volume in numpy axis order (z, y, x) via SimpleITK, with
    no metadata (the default reader of :func:`read_metaimage_slice`)."""
    sitk = _import_optional('SimpleITK', 'SimpleITK')
    return sitk.GetArrayFromImage(sitk.ReadImage(path)), {}


def read_metaimage_slice(path: str, slice_index: Optional[int] = None,
                         slice_axis: int = 0,
                         reader: Optional[MetaImageReader] = None
                         ) -> np.ndarray:
    """Read a 2-D MetaImage or one slice (numpy axis order) of a volume.

    Args:
        path (str): .mha or .mhd file.
        slice_index (int, optional): Slice along ``slice_axis``; the middle
            one when None.
        slice_axis (int): Numpy axis of the volume to slice. Defaults to 0.
        reader (callable, optional): ``path -> (array, meta)``. Defaults to
            :func:`read_metaimage_sitk`; the training side passes
            ``meddet_mm.datasets.metaimage.read_metaimage``, which falls
            back to a built-in reader without SimpleITK.

    Returns:
        np.ndarray: float32 (H, W) array.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'MetaImage file not found: {path}')
    try:
        vol, _ = (reader or read_metaimage_sitk)(path)
    except (FileNotFoundError, ImportError):
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


def read_raster(path: str, flag: Optional[int] = None) -> np.ndarray:
    """Decode a PNG/JPEG/... file with OpenCV (``flag`` defaults to
    ``cv2.IMREAD_UNCHANGED``), raising on failure."""
    import cv2
    buf = np.fromfile(path, dtype=np.uint8)
    flag = cv2.IMREAD_UNCHANGED if flag is None else flag
    img = cv2.imdecode(buf, flag) if buf.size else None
    if img is None:
        raise MedicalImageReadError(
            f'Cannot decode image file {path} (corrupt or not an image)')
    return img


def read_medical_slice(path: str,
                       window: Window = 'auto',
                       percentiles: Tuple[float, float] = (0.5, 99.5),
                       slice_index: Optional[int] = None,
                       slice_axis: Optional[int] = None,
                       metaimage_reader: Optional[MetaImageReader] = None
                       ) -> np.ndarray:
    """Read any supported file, or a DICOM series folder, as a 2-D float32
    image in [0, 1].

    8-bit raster files are divided by 255 (no windowing) unless ``window`` is
    an explicit (center, width) in 0-255 units; 16-bit raster files and all
    medical formats are windowed.

    Args:
        path (str): Image path, or a folder with the files of one sagittal
            DICOM series.
        window (str | Sequence[float]): See :func:`apply_window`; 'auto'
            uses a DICOM file's own VOI LUT (:func:`dicom_to_unit`).
            Defaults to 'auto'.
        percentiles (tuple[float, float]): For ``window='percentile'``.
        slice_index (int, optional): Slice / frame of a 3-D file, or file of
            a series (ordered along the slice normal); middle when None.
        slice_axis (int, optional): Slice axis of a 3-D file: the RAS+ axis
            for NIfTI (default 0, sagittal; see :func:`read_nifti`), the
            numpy axis for MetaImage (default 0).
        metaimage_reader (callable, optional): See
            :func:`read_metaimage_slice`.

    Returns:
        np.ndarray: float32 (H, W) image in [0, 1].
    """
    if osp.isdir(path):
        file, _, _ = dicom_series_slice(path, slice_index)
        arr, ds = read_dicom(file)
        return dicom_to_unit(arr, ds, window, percentiles, file)
    if not osp.isfile(path):
        raise FileNotFoundError(f'Image file not found: {path}')
    fmt = image_format(path)
    if fmt == 'dicom':
        arr, ds = read_dicom(path, slice_index)
        return dicom_to_unit(arr, ds, window, percentiles, path)
    if fmt == 'nifti':
        img = read_nifti(path, slice_index, slice_axis)
    elif fmt == 'metaimage':
        img = read_metaimage_slice(path, slice_index,
                                   0 if slice_axis is None else slice_axis,
                                   metaimage_reader)
    else:
        import cv2
        raw = read_raster(path)
        if raw.ndim == 3:
            code = (cv2.COLOR_BGRA2GRAY
                    if raw.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
            raw = cv2.cvtColor(raw, code)
        if raw.dtype == np.uint8 and isinstance(window, str) and \
                window in ('auto', 'file'):
            return raw.astype(np.float32) / 255.
        img = raw.astype(np.float32)
    if isinstance(window, str) and window in ('auto', 'file'):
        window = 'minmax'  # no file window outside DICOM
    return apply_window(img, window, percentiles)


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


def collect_inputs(path: str,
                   slice_index: Optional[int] = None) -> List[InputSlice]:
    """The images to run on, as tools/infer.py chooses them: ``path``
    itself, a folder holding a DICOM series of several files (one image:
    its middle slice or ``slice_index``), or the image files of a folder."""
    if osp.isfile(path):
        return [InputSlice(file_stem(path), path, slice_index)]
    if not osp.isdir(path):
        raise FileNotFoundError(f'input not found: {path}')
    if any(len(files) > 1 for files in dicom_series_in(path).values()):
        return [InputSlice(file_stem(path), path, slice_index)]
    files = sorted(osp.join(path, f) for f in os.listdir(path)
                   if f.lower().endswith(FOLDER_EXTS))
    if not files:
        raise FileNotFoundError(f'no image files ({", ".join(FOLDER_EXTS)})'
                                f' in {path}')
    return [InputSlice(file_stem(f), f, slice_index) for f in files]
