"""Deployment of the students without the training stack: the ONNX Runtime
runner, its sidecar format, image readers and post-processing.

Importing this package needs numpy only (onnxruntime, OpenCV, pydicom,
nibabel and SimpleITK are imported where used); it never imports torch,
mmcv, mmengine or mmdet. ``meddet_mm.deploy.export`` (ONNX export) is the
one module that needs the training stack and is not imported here.
:mod:`.medical_image` is also the training side's image reader
(``meddet_mm.datasets.medical_io`` imports it).
"""
from .medical_image import (InputSlice, MedicalImageReadError, collect_inputs,
                            read_medical_slice, to_bgr_uint8)
from .outputs import detection_records, draw_detections, write_outputs
from .postprocess import Detections, batched_nms, nms, postprocess
from .preprocess import keep_ratio_size, resize_image
from .runner import OnnxDetector, load_spec
from .spec import DeploySpec, PostprocessConfig, ResizeRule, sidecar_path

__all__ = [
    'DeploySpec', 'Detections', 'InputSlice', 'MedicalImageReadError',
    'OnnxDetector', 'PostprocessConfig', 'ResizeRule', 'batched_nms',
    'collect_inputs', 'detection_records', 'draw_detections',
    'keep_ratio_size', 'load_spec', 'nms', 'postprocess',
    'read_medical_slice', 'resize_image', 'sidecar_path', 'to_bgr_uint8',
    'write_outputs'
]
