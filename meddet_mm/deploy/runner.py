"""Run an exported GFL detector with ONNX Runtime: resize, graph (which
normalises, pads, runs the network and decodes boxes), then score filter and
NMS in numpy. Needs onnxruntime, numpy and OpenCV; not torch or mmcv."""
import json
import os
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np

from .postprocess import Detections, postprocess
from .preprocess import resize_image
from .spec import METADATA_KEY, DeploySpec, PostprocessConfig, sidecar_path

OUTPUT_NAMES = ('boxes', 'scores', 'level_sizes')


def load_spec(model_path: str, spec_path: Optional[str] = None
              ) -> DeploySpec:
    """The sidecar of ``model_path``: ``spec_path``, else ``<model>.json``,
    else the copy embedded in the model's metadata."""
    if spec_path is not None:
        return DeploySpec.load(spec_path)
    side = sidecar_path(model_path)
    if osp.isfile(side):
        return DeploySpec.load(side)
    import onnxruntime as ort
    meta = ort.InferenceSession(
        model_path, providers=['CPUExecutionProvider']).get_modelmeta()
    text = meta.custom_metadata_map.get(METADATA_KEY)
    if text is None:
        raise FileNotFoundError(
            f'{model_path}: no sidecar {side} and no {METADATA_KEY!r} '
            'metadata in the model; export it with '
            'tools/deployment/export_onnx.py')
    return DeploySpec.from_dict(json.loads(text), f'{model_path} metadata')


def session_options(threads: Optional[int] = None):
    """ORT CPU options: ``threads`` intra-op threads (default: ORT's own
    choice), no spinning workers between calls."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
    opts.add_session_config_entry('session.intra_op.allow_spinning', '0')
    return opts


class OnnxDetector:
    """An exported detector and its sidecar, ready to run on BGR images.

    Args:
        model_path (str): ``.onnx`` file from ``export_onnx.py``.
        spec (DeploySpec | str, optional): The sidecar or its path. Defaults
            to the sidecar beside the model (see :func:`load_spec`).
        threads (int, optional): ORT intra-op threads.
        providers (Sequence[str], optional): ORT execution providers.
            Defaults to ``('CPUExecutionProvider', )``.
    """

    def __init__(self,
                 model_path: str,
                 spec=None,
                 threads: Optional[int] = None,
                 providers: Optional[Sequence[str]] = None) -> None:
        if not osp.isfile(model_path):
            raise FileNotFoundError(f'ONNX model not found: {model_path}')
        import onnxruntime as ort
        self.model_path = model_path
        self.spec = spec if isinstance(spec, DeploySpec) else load_spec(
            model_path, spec)
        self.session = ort.InferenceSession(
            model_path, session_options(threads),
            providers=list(providers or ['CPUExecutionProvider']))
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or inputs[0].name != self.spec.input_name:
            raise ValueError(f'{model_path}: expected one input named '
                             f'{self.spec.input_name!r}, the graph has '
                             f'{[i.name for i in inputs]}')
        shape = inputs[0].shape
        fixed = [d if isinstance(d, int) else None for d in shape[1:3]]
        self.fixed_hw = tuple(fixed) if None not in fixed else None
        outputs = [o.name for o in self.session.get_outputs()]
        if tuple(outputs) != OUTPUT_NAMES:
            raise ValueError(f'{model_path}: outputs {outputs}, expected '
                             f'{list(OUTPUT_NAMES)} (export it with '
                             'tools/deployment/export_onnx.py)')

    @property
    def class_names(self):
        return list(self.spec.class_names)

    def prepare(self, img: np.ndarray
                ) -> Tuple[np.ndarray, Tuple[float, float]]:
        """Resize a BGR uint8 (H, W, 3) image by the sidecar's rule; returns
        the resized image and its ``(w_scale, h_scale)``."""
        if img.dtype != np.uint8:
            raise TypeError(f'expected a uint8 BGR image, got {img.dtype}')
        return resize_image(img, self.spec.resize)

    def forward(self, resized: np.ndarray
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Run the graph on an already resized image: boxes (N, 4) in its
        pixels, scores (N, C) and level sizes (L,)."""
        if self.fixed_hw is not None and resized.shape[:2] != self.fixed_hw:
            h, w = self.fixed_hw
            raise ValueError(
                f'{self.model_path} takes a fixed {h}x{w} (HxW) input, got '
                f'{resized.shape[0]}x{resized.shape[1]}; re-export with '
                'dynamic size or resize to that size')
        feed = {self.spec.input_name: np.ascontiguousarray(resized[None])}
        boxes, scores, sizes = self.session.run(list(OUTPUT_NAMES), feed)
        return boxes[0], scores[0], sizes

    def predict(self, img: np.ndarray, with_nms: bool = True,
                cfg: Optional[PostprocessConfig] = None) -> Detections:
        """Detections in ``img``'s pixels (BGR uint8, any size)."""
        resized, scale = self.prepare(img)
        boxes, scores, sizes = self.forward(resized)
        return postprocess(boxes, scores, sizes, resized.shape[:2], scale,
                           cfg or self.spec.postprocess, with_nms)

    def predict_resized(self, resized: np.ndarray,
                        scale_factor: Tuple[float, float],
                        with_nms: bool = True) -> Detections:
        """Detections for an image a data pipeline already resized."""
        boxes, scores, sizes = self.forward(resized)
        return postprocess(boxes, scores, sizes, resized.shape[:2],
                           scale_factor, self.spec.postprocess, with_nms)


def default_threads() -> Optional[int]:
    """``OMP_NUM_THREADS`` as an int, if set."""
    value = os.environ.get('OMP_NUM_THREADS')
    return int(value) if value and value.isdigit() else None
