"""Loading of DICOM, NIfTI, MetaImage and PNG/JPEG slices into mmdet results,
a drop-in for LoadImageFromFile on MRI data (windowing, slice choice)."""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmengine.fileio import get_local_path

from ..medical_io import MedicalImageReadError, read_medical_slice


@TRANSFORMS.register_module()
class LoadMedicalImageFromFile(BaseTransform):
    """Load a 2-D medical image (or one slice of a volume) from a file.

    The format follows the file name: DICOM (``.dcm``/``.dicom``/``.ima`` or
    the ``DICM`` magic; needs ``pydicom``), NIfTI (``.nii``/``.nii.gz``;
    needs ``nibabel``), MetaImage (``.mha``/``.mhd``), else PNG/JPEG/BMP/TIFF
    through OpenCV, or a folder holding one sagittal DICOM series. DICOM
    goes through pydicom's modality and VOI LUTs (MONOCHROME1 inverted);
    NIfTI is reoriented to RAS+ first (see
    :func:`~meddet_mm.datasets.medical_io.read_nifti`). Intensities are
    mapped to 0-255 by ``window``; 8-bit raster files are kept as they are
    unless an explicit (center, width) window is given.

    Required keys: ``img_path``. Modified keys: ``img``, ``img_shape``,
    ``ori_shape`` (as mmcv's ``LoadImageFromFile``).

    Args:
        to_float32 (bool): Return float32 (values 0-255, not rounded) instead
            of uint8. Defaults to False.
        color_type (str): 'color' gives (H, W, 3) with the grey image in all
            channels; 'grayscale' or 'unchanged' give (H, W).
            Defaults to 'color'.
        window (str | Sequence[float]): 'auto' (a DICOM file's window or
            VOI LUT when present, else min-max), 'file', 'minmax',
            'percentile' or an explicit (center, width) in file units.
            Defaults to 'auto'.
        percentiles (Sequence[float]): Percentiles for
            ``window='percentile'``. Defaults to (0.5, 99.5).
        slice_index (int, optional): Slice of a 3-D NIfTI/MetaImage volume,
            frame of a multi-frame DICOM or file of a DICOM series; the
            middle one when None.
        slice_axis (int, optional): Slice axis of a 3-D volume: the RAS+
            axis for NIfTI (0 sagittal, the default) and the numpy axis
            (default 0) for MetaImage.
        ignore_empty (bool): Return None instead of raising when the file is
            missing or unreadable. Defaults to False.
        backend_args (dict, optional): mmengine file backend arguments; a
            remote file is fetched to a local temporary copy first.
    """

    def __init__(self,
                 to_float32: bool = False,
                 color_type: str = 'color',
                 window: Union[str, Sequence[float]] = 'auto',
                 percentiles: Tuple[float, float] = (0.5, 99.5),
                 slice_index: Optional[int] = None,
                 slice_axis: Optional[int] = None,
                 ignore_empty: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        if color_type not in ('color', 'grayscale', 'unchanged'):
            raise ValueError(f"color_type must be 'color', 'grayscale' or "
                             f"'unchanged', got {color_type!r}")
        self.to_float32 = to_float32
        self.color_type = color_type
        self.window = window if isinstance(window, str) else tuple(window)
        self.percentiles = tuple(percentiles)
        self.slice_index = slice_index
        self.slice_axis = slice_axis
        self.ignore_empty = ignore_empty
        self.backend_args = None if backend_args is None else dict(
            backend_args)

    def transform(self, results: dict) -> Optional[dict]:
        """Read ``results['img_path']`` into ``results['img']``."""
        filename = results['img_path']
        try:
            with get_local_path(filename,
                                backend_args=self.backend_args) as path:
                img = read_medical_slice(
                    str(path),
                    window=self.window,
                    percentiles=self.percentiles,
                    slice_index=self.slice_index,
                    slice_axis=self.slice_axis)
        except ImportError:
            raise  # says which optional package to install
        except Exception as e:
            if self.ignore_empty:
                return None
            if isinstance(e, (FileNotFoundError, MedicalImageReadError)):
                raise  # these already name the file
            raise MedicalImageReadError(
                f'Cannot load image {filename}: {type(e).__name__}: '
                f'{e}') from e
        img = img * 255.
        img = img.astype(np.float32) if self.to_float32 else np.round(
            img).astype(np.uint8)
        if self.color_type == 'color':
            img = np.repeat(img[..., None], 3, axis=2)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(to_float32={self.to_float32}, '
                f"color_type='{self.color_type}', window={self.window!r}, "
                f'percentiles={self.percentiles}, '
                f'slice_index={self.slice_index}, '
                f'slice_axis={self.slice_axis}, '
                f'ignore_empty={self.ignore_empty}, '
                f'backend_args={self.backend_args})')
