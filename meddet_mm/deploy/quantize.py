"""Static INT8 quantisation of an exported detector with ONNX Runtime (QDQ
format), calibrated on images read and resized as the runner reads them.

Quantised: the convolutional network (backbone, neck, head towers and
predictors), with per-channel int8 weights and uint8 activations. Kept in
float: preprocessing, nmODE blocks (their ODE steps are elementwise cos /
add / mul chains whose error would compound over the solver steps), the
head's ``Scale`` multipliers, the DFL integral and box decoding, and the
sigmoid scores. :func:`quantization_summary` lists the op types of both
parts for the sidecar.
"""
import os.path as osp
import tempfile
from collections import Counter
from typing import Dict, List, Optional, Sequence

import numpy as np

from .medical_image import InputSlice, collect_inputs, read_slice, \
    to_bgr_uint8
from .preprocess import resize_image
from .spec import DeploySpec, embed_metadata, sidecar_path

# ONNX node-name scopes of the exported graph (module paths of the
# detector inside GFLDeployGraph)
NETWORK_SCOPES = ('/detector/backbone/', '/detector/neck/',
                  '/detector/bbox_head/')
FLOAT_PARTS = ('nmode', '/integral/', '/scales.')
CALIB_METHODS = ('minmax', 'entropy', 'percentile')
QDQ_OPS = ('QuantizeLinear', 'DequantizeLinear')


def calibration_slices(calib_dir: str, num_images: int) -> List[InputSlice]:
    """Up to ``num_images`` inputs of ``calib_dir``, spread evenly over its
    sorted files."""
    items = collect_inputs(calib_dir)
    if num_images > 0 and len(items) > num_images:
        picks = np.linspace(0, len(items) - 1, num_images).round()
        items = [items[int(i)] for i in picks]
    return items


def _reader_class():
    from onnxruntime.quantization import CalibrationDataReader

    class ImageCalibrationReader(CalibrationDataReader):
        """Feeds resized BGR uint8 images, one per call."""

        def __init__(self, items: Sequence[InputSlice], spec: DeploySpec,
                     window: str = 'auto') -> None:
            self.items = list(items)
            self.spec = spec
            self.window = window
            self.position = 0

        def get_next(self) -> Optional[Dict[str, np.ndarray]]:
            if self.position >= len(self.items):
                return None
            item = self.items[self.position]
            self.position += 1
            img = to_bgr_uint8(read_slice(item.path, self.window,
                                          item.slice_index))
            resized, _ = resize_image(img, self.spec.resize)
            return {self.spec.input_name: resized[None]}

        def rewind(self) -> None:
            self.position = 0

    return ImageCalibrationReader


def network_nodes(model) -> List[str]:
    """Names of the nodes to quantise: in the network scopes, outside the
    float parts."""
    return [
        n.name for n in model.graph.node
        if n.name.startswith(NETWORK_SCOPES)
        and not any(part in n.name for part in FLOAT_PARTS)
    ]


def quantization_summary(model) -> Dict[str, Dict[str, int]]:
    """Op types computed on dequantised int8 inputs vs. in float.

    A node counts as int8 when one of its inputs comes from a
    DequantizeLinear fed by an activation QuantizeLinear (ORT then runs it
    as an int8 kernel); constants, shape ops and Q/DQ nodes are left out.
    """
    producers = {out: n for n in model.graph.node for out in n.output}
    int8, floats = Counter(), Counter()
    for node in model.graph.node:
        if node.op_type in QDQ_OPS + ('Constant', 'Shape'):
            continue
        quantized = False
        for name in node.input:
            dq = producers.get(name)
            if dq is not None and dq.op_type == 'DequantizeLinear':
                q = producers.get(dq.input[0])
                if q is not None and q.op_type == 'QuantizeLinear':
                    quantized = True
        (int8 if quantized else floats)[node.op_type] += 1
    return dict(int8=dict(sorted(int8.items())),
                float=dict(sorted(floats.items())))


def quantize_int8(fp32_path: str, int8_path: str, calib_dir: str,
                  num_images: int = 64, method: str = 'minmax',
                  per_channel: bool = True, reduce_range: bool = False,
                  window: str = 'auto') -> DeploySpec:
    """Quantise ``fp32_path`` into ``int8_path`` and write its sidecar.

    Args:
        fp32_path (str): Model from ``export_onnx.py`` (its sidecar beside
            it).
        int8_path (str): Output model.
        calib_dir (str): Folder of calibration images (any input format of
            the runner), e.g. training slices.
        num_images (int): Calibration images used (<= 0: all).
            Defaults to 64.
        method (str): 'minmax', 'entropy' or 'percentile'. Defaults to
            'minmax'.
        per_channel (bool): Per-output-channel weight scales (recommended
            for depthwise convs). Defaults to True.
        reduce_range (bool): 7-bit weights, for CPUs without VNNI where
            ORT's u8s8 kernels may saturate. Defaults to False.
        window (str): Intensity window of medical inputs. Defaults to
            'auto'.

    Returns:
        DeploySpec: The int8 model's sidecar.
    """
    import onnx
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    if method not in CALIB_METHODS:
        raise ValueError(f'calibration method {method!r} is not one of '
                         f'{CALIB_METHODS}')
    if not osp.isdir(calib_dir):
        raise FileNotFoundError(f'calibration folder not found: {calib_dir}')
    spec = DeploySpec.load(sidecar_path(fp32_path))
    items = calibration_slices(calib_dir, num_images)
    with tempfile.TemporaryDirectory(prefix='meddet_int8_') as tmp:
        prepared = osp.join(tmp, 'prepared.onnx')
        quant_pre_process(fp32_path, prepared)
        nodes = network_nodes(onnx.load(prepared))
        if not nodes:
            raise ValueError(f'{fp32_path}: no node in the scopes '
                             f'{NETWORK_SCOPES}; was it exported by '
                             'tools/deployment/export_onnx.py?')
        quantize_static(
            prepared, int8_path,
            _reader_class()(items, spec, window),
            quant_format=QuantFormat.QDQ,
            nodes_to_quantize=nodes,
            per_channel=per_channel,
            reduce_range=reduce_range,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method={
                'minmax': CalibrationMethod.MinMax,
                'entropy': CalibrationMethod.Entropy,
                'percentile': CalibrationMethod.Percentile
            }[method],
            calibration_providers=['CPUExecutionProvider'])
    summary = quantization_summary(onnx.load(int8_path))
    spec.precision = 'int8'
    spec.quantization = dict(
        format='QDQ', activations='uint8 (asymmetric, per tensor)',
        weights='int8 (symmetric, ' +
        ('per channel' if per_channel else 'per tensor') + ')',
        reduce_range=reduce_range, calibration_method=method,
        calibration_dir=calib_dir, calibration_images=len(items),
        float_parts=list(FLOAT_PARTS), ops=summary,
        fp32_model=osp.basename(fp32_path))
    embed_metadata(int8_path, spec)
    spec.save(sidecar_path(int8_path))
    return spec
