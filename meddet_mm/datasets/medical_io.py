"""Medical image reading for the training side: the readers of
:mod:`meddet_mm.deploy.medical_image` (one implementation, importable without
torch), with MetaImage files read by :func:`.metaimage.read_metaimage`,
which needs no SimpleITK.

``LoadMedicalImageFromFile``, :mod:`.coco_checks` and ``tools/infer.py``
import from here; ``tools/deployment/ort_infer.py`` from
:mod:`meddet_mm.deploy`. Both read every file the same way.
"""
from typing import Optional, Tuple

import numpy as np

from meddet_mm.deploy.medical_image import (  # noqa: F401
    DICOM_EXTS, METAIMAGE_EXTS, NIFTI_EXTS, RASTER_EXTS,
    MedicalImageReadError, Window, apply_window, canonical_nifti,
    dicom_series_in, dicom_series_slice, dicom_to_unit, has_voi_lut,
    image_format, is_dicom_file, read_dicom, read_nifti, read_raster,
    sort_dicom_series)
from meddet_mm.deploy.medical_image import \
    read_medical_slice as _read_medical_slice
from meddet_mm.deploy.medical_image import \
    read_metaimage_slice as _read_metaimage_slice
from .metaimage import read_metaimage


def read_metaimage_slice(path: str, slice_index: Optional[int] = None,
                         slice_axis: int = 0) -> np.ndarray:
    """:func:`meddet_mm.deploy.medical_image.read_metaimage_slice` with
    :func:`.metaimage.read_metaimage` (SimpleITK, else a built-in reader)."""
    return _read_metaimage_slice(path, slice_index, slice_axis,
                                 reader=read_metaimage)


def read_medical_slice(path: str,
                       window: Window = 'auto',
                       percentiles: Tuple[float, float] = (0.5, 99.5),
                       slice_index: Optional[int] = None,
                       slice_axis: Optional[int] = None) -> np.ndarray:
    """:func:`meddet_mm.deploy.medical_image.read_medical_slice` (same
    arguments) with MetaImage files read by
    :func:`.metaimage.read_metaimage`, so they need no SimpleITK."""
    return _read_medical_slice(path, window, percentiles, slice_index,
                               slice_axis, metaimage_reader=read_metaimage)


__all__ = [
    'DICOM_EXTS', 'METAIMAGE_EXTS', 'NIFTI_EXTS', 'RASTER_EXTS',
    'MedicalImageReadError', 'Window', 'apply_window', 'canonical_nifti',
    'dicom_series_in', 'dicom_series_slice', 'dicom_to_unit', 'has_voi_lut',
    'image_format', 'is_dicom_file', 'read_dicom', 'read_medical_slice',
    'read_metaimage_slice', 'read_nifti', 'read_raster', 'sort_dicom_series'
]
