"""Static INT8 quantisation of an exported detector with ONNX Runtime (QDQ
format), calibrated on images read and resized as the runner reads them.

Quantised: the convolutional network (backbone, neck, head towers and
predictors: Conv, with the ReLU / ReLU6 / residual Add / FPN Resize between
convs so that activations stay int8), with per-channel int8 weights and
uint8 activations. Kept in float: preprocessing, GroupNorm (ORT has no int8
kernel for it), nmODE blocks (their ODE steps are elementwise cos / add
chains whose error would compound over the solver steps), the head's
``Scale`` multipliers, the DFL integral and box decoding, and the sigmoid
scores. :func:`quantization_summary` lists the op types of both parts for
the sidecar.
"""
import os.path as osp
import re
import tempfile
from collections import Counter
from typing import Dict, List, Optional, Sequence

import numpy as np

from .medical_image import (InputSlice, collect_inputs, read_medical_slice,
                            to_bgr_uint8)
from .preprocess import resize_image
from .spec import DeploySpec, embed_metadata, sidecar_path

# Nodes the exporter names after a module ('/backbone/.../Conv',
# '/cls_convs.0/conv/Conv') belong to the network; ops of GFLDeployGraph
# itself (preprocessing, decoding) have a bare name ('/Sigmoid'). Of the
# network, these op types are quantised, outside the float parts.
QUANT_OP_TYPES = ('Conv', 'Clip', 'Relu', 'Add', 'Resize', 'MaxPool')
FLOAT_PARTS = re.compile(r'nmode|integral|/gn(_\d+)?/')
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
            img = to_bgr_uint8(read_medical_slice(
                item.path, self.window, slice_index=item.slice_index))
            resized, _ = resize_image(img, self.spec.resize)
            return {self.spec.input_name: resized[None]}

        def rewind(self) -> None:
            self.position = 0

    return ImageCalibrationReader


def network_nodes(model) -> List[str]:
    """Names of the nodes to quantise: network ops of the quantised types,
    outside the float parts."""
    return [
        n.name for n in model.graph.node
        if n.name.count('/') >= 2 and n.op_type in QUANT_OP_TYPES
        and not FLOAT_PARTS.search(n.name)
    ]


def quantization_summary(model) -> Dict[str, Dict[str, int]]:
    """Op types computed in int8 vs. in float.

    A node counts as int8 when the quantiser wrapped it: an input comes
    from a DequantizeLinear of an activation QuantizeLinear, and every
    output goes to a QuantizeLinear (ORT then fuses the group into an
    int8 kernel). Constants, shape ops and the Q/DQ nodes are left out.
    """
    producers = {out: n for n in model.graph.node for out in n.output}
    consumers = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    int8, floats = Counter(), Counter()
    for node in model.graph.node:
        if node.op_type in QDQ_OPS + ('Constant', 'Shape'):
            continue
        fed = False
        for name in node.input:
            dq = producers.get(name)
            if dq is not None and dq.op_type == 'DequantizeLinear':
                q = producers.get(dq.input[0])
                fed = fed or (q is not None and q.op_type == 'QuantizeLinear')
        users = [c for out in node.output for c in consumers.get(out, [])]
        wrapped = fed and users and all(c.op_type == 'QuantizeLinear'
                                        for c in users)
        (int8 if wrapped else floats)[node.op_type] += 1
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
        # ONNX shape inference + ORT graph optimisation; ORT's symbolic shape
        # inference cannot follow the dynamic prior grids, and the
        # quantiser does not need the shapes
        quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
        nodes = network_nodes(onnx.load(prepared))
        if not nodes:
            raise ValueError(f'{fp32_path}: no network node to quantise; '
                             'was it exported by '
                             'tools/deployment/export_onnx.py?')
        quantize_static(
            prepared, int8_path,
            _reader_class()(items, spec, window),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=list(QUANT_OP_TYPES),
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
        quantized_op_types=list(QUANT_OP_TYPES),
        float_parts=FLOAT_PARTS.pattern, ops=summary,
        fp32_model=osp.basename(fp32_path))
    embed_metadata(int8_path, spec)
    spec.save(sidecar_path(int8_path))
    return spec
