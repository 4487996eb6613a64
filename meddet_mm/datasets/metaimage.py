"""MetaImage (.mha / .mhd) volume reading for the SPIDER release: SimpleITK
when installed, else a built-in header + raw (or zlib) reader."""
import os
import os.path as osp
import zlib
from typing import Dict, Tuple

import numpy as np

_MET_TYPES = {
    'MET_CHAR': np.int8,
    'MET_UCHAR': np.uint8,
    'MET_SHORT': np.int16,
    'MET_USHORT': np.uint16,
    'MET_INT': np.int32,
    'MET_UINT': np.uint32,
    'MET_LONG': np.int32,
    'MET_ULONG': np.uint32,
    'MET_LONG_LONG': np.int64,
    'MET_ULONG_LONG': np.uint64,
    'MET_FLOAT': np.float32,
    'MET_DOUBLE': np.float64,
}


class MetaImageError(ValueError):
    """Raised for a MetaImage file that cannot be parsed."""


def _parse_header(path: str) -> Tuple[Dict[str, str], int]:
    """Read ``key = value`` lines up to ``ElementDataFile``.

    Returns:
        tuple[dict, int]: Header fields and the byte offset of the data.
    """
    fields: Dict[str, str] = {}
    with open(path, 'rb') as f:
        offset = 0
        while True:
            line = f.readline()
            if not line:
                break
            offset += len(line)
            text = line.decode('latin-1').strip()
            if not text:
                continue
            if '=' not in text:
                raise MetaImageError(
                    f'{path}: not a MetaImage header line: {text[:60]!r}')
            key, value = (p.strip() for p in text.split('=', 1))
            fields[key] = value
            if key == 'ElementDataFile':
                break
            if offset > 65536:
                raise MetaImageError(f'{path}: header too long, no '
                                     f'ElementDataFile entry')
    if 'ElementDataFile' not in fields:
        raise MetaImageError(f'{path}: no ElementDataFile entry in header')
    return fields, offset


def _floats(fields: Dict[str, str], key: str, default, n: int) -> np.ndarray:
    if key not in fields:
        return np.asarray(default, dtype=np.float64)
    values = np.array([float(v) for v in fields[key].split()])
    if values.size != n:
        raise MetaImageError(f'{key} has {values.size} values, expected {n}')
    return values


def read_metaimage_fallback(path: str) -> Tuple[np.ndarray, dict]:
    """Read a MetaImage file without SimpleITK.

    Supports ``ElementDataFile = LOCAL`` (.mha) and a separate data file
    (.mhd + .raw), any scalar ``ElementType``, either byte order and
    ``CompressedData = True`` (zlib).

    Args:
        path (str): Path of the .mha or .mhd file.

    Returns:
        tuple[np.ndarray, dict]: The voxel array in numpy order
        (z, y, x) for 3-D, and metadata with ``spacing`` and ``origin``
        (x, y, z order) and ``direction`` (3x3, row k = world direction,
        ITK LPS, of image axis k).
    """
    fields, offset = _parse_header(path)
    try:
        ndims = int(fields.get('NDims', '0'))
        dims = [int(v) for v in fields['DimSize'].split()]
        etype = fields['ElementType']
    except (KeyError, ValueError) as e:
        raise MetaImageError(f'{path}: incomplete MetaImage header ({e})')
    if ndims and len(dims) != ndims:
        raise MetaImageError(f'{path}: DimSize {dims} does not match NDims '
                             f'{ndims}')
    ndims = len(dims)
    if etype not in _MET_TYPES:
        raise MetaImageError(f'{path}: unsupported ElementType {etype}')
    if int(fields.get('ElementNumberOfChannels', '1')) != 1:
        raise MetaImageError(f'{path}: only single-channel images are '
                             f'supported')
    msb = (fields.get('BinaryDataByteOrderMSB', fields.get(
        'ElementByteOrderMSB', 'False')).lower() == 'true')
    dtype = np.dtype(_MET_TYPES[etype]).newbyteorder('>' if msb else '<')

    data_file = fields['ElementDataFile']
    if data_file.upper() == 'LOCAL':
        with open(path, 'rb') as f:
            f.seek(offset)
            raw = f.read()
    else:
        data_path = osp.join(osp.dirname(path), data_file)
        if not osp.isfile(data_path):
            raise MetaImageError(f'{path}: data file {data_path} not found')
        with open(data_path, 'rb') as f:
            raw = f.read()
    if fields.get('CompressedData', 'False').lower() == 'true':
        try:
            raw = zlib.decompress(raw)
        except zlib.error as e:
            raise MetaImageError(f'{path}: corrupt compressed data ({e})')
    count = int(np.prod(dims))
    if len(raw) < count * dtype.itemsize:
        raise MetaImageError(
            f'{path}: expected {count * dtype.itemsize} data bytes for '
            f'DimSize {dims} and {etype}, found {len(raw)}')
    arr = np.frombuffer(raw, dtype=dtype, count=count)
    arr = arr.reshape(dims[::-1]).astype(dtype.newbyteorder('='))

    spacing = _floats(fields, 'ElementSpacing', [1.] * ndims, ndims)
    origin = _floats(fields, 'Offset', [0.] * ndims, ndims)
    matrix_key = next((k for k in ('TransformMatrix', 'Rotation',
                                   'Orientation') if k in fields), None)
    direction = (np.eye(ndims) if matrix_key is None else _floats(
        fields, matrix_key, None, ndims * ndims).reshape(ndims, ndims))
    return arr, dict(spacing=spacing, origin=origin, direction=direction)


def read_metaimage(path: str) -> Tuple[np.ndarray, dict]:
    """Read a MetaImage volume with SimpleITK if present, else the fallback.

    Args:
        path (str): Path of the .mha or .mhd file.

    Returns:
        tuple[np.ndarray, dict]: See :func:`read_metaimage_fallback`.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'MetaImage file not found: {path}')
    if os.environ.get('MEDDET_NO_SIMPLEITK') != '1':
        try:
            import SimpleITK as sitk
        except ImportError:
            sitk = None
        if sitk is not None:
            try:
                img = sitk.ReadImage(path)
            except RuntimeError as e:
                raise MetaImageError(f'{path}: SimpleITK cannot read it '
                                     f'({e})')
            arr = sitk.GetArrayFromImage(img)
            n = img.GetDimension()
            mat = np.array(img.GetDirection()).reshape(n, n)
            return arr, dict(spacing=np.array(img.GetSpacing()),
                             origin=np.array(img.GetOrigin()),
                             direction=mat.T)
    return read_metaimage_fallback(path)
