"""Export a GFL student to ONNX with its preprocessing and box decoding in
the graph, and check the graph against PyTorch.

The torch side of :mod:`meddet_mm.deploy` (needs torch, mmengine and mmdet;
the runner does not). The graph takes a resized BGR uint8 image
``(1, H, W, 3)``; it applies the data preprocessor of the config (channel
order, mean/std, zero padding to ``pad_size_divisor``), runs backbone, neck
and head, and decodes every prior: DFL integral (softmax over the
``reg_max + 1`` bins, expectation), distances times stride, distances to
boxes around the prior centre, and sigmoid class scores. Score filter and
NMS run in numpy (:mod:`meddet_mm.deploy.postprocess`).
"""
import hashlib
import json
import os.path as osp
import warnings
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config

from .runner import OUTPUT_NAMES, session_options
from .spec import (DeploySpec, PostprocessConfig, ResizeRule, embed_metadata,
                   sidecar_path)

OPSET = 17
STUDENT_PREFIX = 'architecture.'
# test pipeline steps the runner reproduces (loaders are replaced by the
# runner's readers; annotations are not needed)
LOADERS = ('LoadImageFromFile', 'LoadImageFromNDArray',
           'LoadMedicalImageFromFile', 'LoadSyntheticCDHImage')
IGNORED_STEPS = LOADERS + ('LoadAnnotations', 'PackDetInputs')


def _type_name(step: dict) -> str:
    return str(step.get('type', '')).split('.')[-1]


def student_model_config(cfg: Config, config_path: str) -> Tuple[dict, str]:
    """The detector config of ``cfg``: its ``model``, or the ``architecture``
    of a distillation algorithm (a config path, a model dict, or mmrazor's
    ``dict(cfg_path=...)``).

    Returns:
        tuple[dict, str]: Model config and where it came from.
    """
    model = cfg.get('model')
    if model is None:
        raise KeyError(f'{config_path}: no model in the config')
    if 'architecture' not in model:
        return model, config_path
    arch = model['architecture']
    if isinstance(arch, str):
        if not osp.isfile(arch):
            raise FileNotFoundError(f'{config_path}: model.architecture '
                                    f'config not found: {arch}')
        return Config.fromfile(arch).model, arch
    if isinstance(arch, dict) and 'cfg_path' in arch:
        from mmengine.hub import get_config
        path = arch['cfg_path']
        sub = get_config(path) if '::' in path else Config.fromfile(path)
        return sub.model, path
    if isinstance(arch, dict):
        return arch, f'{config_path} (model.architecture)'
    raise TypeError(f'{config_path}: model.architecture must be a config '
                    f'path or dict, got {type(arch).__name__}')


def _test_dataset(cfg: Config) -> dict:
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset


def resize_rule(cfg: Config, config_path: str) -> Optional[ResizeRule]:
    """The test pipeline's Resize as a :class:`ResizeRule` (None when the
    pipeline does not resize); other steps that change pixels are refused
    with the step named."""
    pipeline = _test_dataset(cfg).get('pipeline')
    if not pipeline:
        raise KeyError(f'{config_path}: test_dataloader.dataset.pipeline is '
                       'missing; the runner needs it for the input size')
    rule = None
    for step in pipeline:
        name = _type_name(step)
        if name in IGNORED_STEPS:
            continue
        if name != 'Resize' or rule is not None:
            raise ValueError(
                f'{config_path}: test pipeline step {name} is not reproduced '
                'by the ONNX runner (it supports one Resize besides '
                f'{", ".join(IGNORED_STEPS)})')
        if step.get('scale') is None or step.get('scale_factor') is not None:
            raise ValueError(f'{config_path}: Resize needs scale=(w, h) for '
                             f'export, got {dict(step)}')
        if step.get('backend', 'cv2') != 'cv2':
            raise ValueError(f'{config_path}: Resize backend '
                             f"{step['backend']!r} is not supported (cv2)")
        scale = step['scale']
        scale = (scale, scale) if isinstance(scale, int) else tuple(scale)
        rule = ResizeRule(scale_wh=scale,
                          keep_ratio=bool(step.get('keep_ratio', False)),
                          interpolation=step.get('interpolation',
                                                 'bilinear'))
    return rule


def postprocess_config(test_cfg: dict, config_path: str) -> PostprocessConfig:
    """The detector's ``test_cfg`` as a :class:`PostprocessConfig`."""
    nms = test_cfg.get('nms') or {}
    if nms.get('type', 'nms') != 'nms':
        raise ValueError(f"{config_path}: test_cfg.nms.type {nms['type']!r} "
                         "is not supported by the runner (only 'nms')")
    if nms.get('class_agnostic', False):
        raise ValueError(f'{config_path}: test_cfg.nms.class_agnostic=True '
                         'is not supported by the runner')
    return PostprocessConfig(
        score_thr=float(test_cfg.get('score_thr', 0.0)),
        nms_pre=int(test_cfg.get('nms_pre', -1)),
        nms_iou=float(nms.get('iou_threshold', 0.5)),
        max_per_img=int(test_cfg.get('max_per_img', -1)),
        min_bbox_size=float(test_cfg.get('min_bbox_size', -1)))


def config_sha256(cfg: Config) -> str:
    """SHA-256 of the resolved config (sorted JSON of its dict)."""
    text = json.dumps(cfg.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def load_student_weights(detector: nn.Module, checkpoint: str,
                         config_path: Optional[str] = None) -> dict:
    """Load a detector or distillation checkpoint into ``detector``, strict.

    Tensors only (``weights_only=True``, via
    :func:`meddet_mm.utils.checkpoint_io.read_checkpoint`); a distillation
    checkpoint gives its ``architecture.*`` weights. Returns the
    checkpoint's ``meta``.
    """
    from meddet_mm.utils.checkpoint_io import (check_weights_fit,
                                               read_checkpoint,
                                               state_dict_of)
    ckpt = read_checkpoint(checkpoint)
    state = state_dict_of(ckpt)
    if any(k.startswith(STUDENT_PREFIX) for k in state):
        state = {k[len(STUDENT_PREFIX):]: v for k, v in state.items()
                 if k.startswith(STUDENT_PREFIX)}
    check_weights_fit(detector, state, checkpoint, config_path)
    detector.load_state_dict(state, strict=True)
    meta = ckpt.get('meta', {})
    return meta if isinstance(meta, dict) else {}


def class_names(cfg: Config, meta: dict, num_classes: int,
                config_path: str) -> list:
    """Class names from the test dataset's metainfo, else the checkpoint's
    dataset_meta, else the dataset class's METAINFO."""
    dataset = _test_dataset(cfg)
    names = (dataset.get('metainfo') or {}).get('classes')
    if names is None:
        names = (meta.get('dataset_meta') or {}).get('classes')
    if names is None and dataset.get('type'):
        from mmdet.registry import DATASETS
        cls = DATASETS.get(dataset['type'])
        names = getattr(cls, 'METAINFO', {}).get('classes')
    if names is None:
        raise KeyError(f'{config_path}: no class names (test dataset '
                       'metainfo.classes or checkpoint dataset_meta)')
    names = [str(n) for n in names]
    if len(names) != num_classes:
        raise ValueError(f'{config_path}: {len(names)} class names {names} '
                         f'but the head has num_classes={num_classes}')
    return names


def build_student(config_path: str, checkpoint: Optional[str] = None
                  ) -> Tuple[nn.Module, Config, dict]:
    """Build the (student) detector of a config, with weights if given.

    Returns:
        tuple: The detector in eval mode, the full config and a ``source``
        dict for the sidecar.
    """
    import meddet_mm  # noqa: F401  (registers modules, torch.load allow-list)
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    if not osp.isfile(config_path):
        raise FileNotFoundError(f'config file not found: {config_path}')
    cfg = Config.fromfile(config_path)
    model_cfg, model_from = student_model_config(cfg, config_path)
    init_default_scope('mmdet')
    detector = MODELS.build(model_cfg)
    source = dict(config=config_path, config_sha256=config_sha256(cfg),
                  model_config=model_from, checkpoint=checkpoint)
    meta = {}
    if checkpoint is not None:
        meta = load_student_weights(detector, checkpoint, config_path)
        source['checkpoint_sha256'] = file_sha256(checkpoint)
    else:
        detector.init_weights()
    detector.eval()
    source['meta'] = meta
    return detector, cfg, source


class GFLDeployGraph(nn.Module):
    """Preprocessing + detector + GFL decoding as one traceable module.

    Args:
        detector (nn.Module): An mmdet single-stage detector with a
            :class:`GFLHead` (or subclass) and an ``ImgDataPreprocessor``.
    """

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        from mmdet.models.dense_heads import GFLHead
        from mmdet.models.task_modules.prior_generators import \
            AnchorGenerator
        from mmengine.model import ImgDataPreprocessor
        head = getattr(detector, 'bbox_head', None)
        if not isinstance(head, GFLHead):
            raise TypeError(f'export supports GFL detectors; bbox_head is '
                            f'{type(head).__name__}')
        pre = detector.data_preprocessor
        if not isinstance(pre, ImgDataPreprocessor):
            raise TypeError('export needs an ImgDataPreprocessor, got '
                            f'{type(pre).__name__}')
        gen = head.prior_generator
        if not isinstance(gen, AnchorGenerator) or \
                set(gen.num_base_priors) != {1}:
            raise TypeError('export needs one anchor per location '
                            f'(AnchorGenerator), got {type(gen).__name__}')
        self.detector = detector
        self.flip_channels = bool(pre._channel_conversion)
        self.normalize = bool(pre._enable_normalize)
        if self.normalize:
            self.register_buffer('mean', pre.mean.clone().float()[None])
            self.register_buffer('std', pre.std.clone().float()[None])
        self.pad_size_divisor = int(pre.pad_size_divisor)
        self.pad_value = float(pre.pad_value)
        self.strides = [tuple(s) for s in gen.strides]
        self.center_offset = float(gen.center_offset)

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """(1, H, W, 3) uint8 BGR -> normalised, padded (1, 3, H', W')."""
        x = image.permute(0, 3, 1, 2)
        if self.flip_channels:
            x = x.flip(1)
        x = x.float()
        if self.normalize:
            x = (x - self.mean) / self.std
        d = self.pad_size_divisor
        if d > 1:
            h, w = x.shape[2], x.shape[3]
            x = F.pad(x, (0, (d - w % d) % d, 0, (d - h % d) % d),
                      value=self.pad_value)
        return x

    def forward(self, image: torch.Tensor):
        head = self.detector.bbox_head
        cls_scores, bbox_preds = self.detector._forward(
            self.preprocess(image))
        boxes, scores, sizes = [], [], []
        for (sw, sh), cls, reg in zip(self.strides, cls_scores, bbox_preds):
            h, w = cls.shape[2], cls.shape[3]
            ys = (torch.arange(h, dtype=torch.float32) +
                  self.center_offset) * sh
            xs = (torch.arange(w, dtype=torch.float32) +
                  self.center_offset) * sw
            grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
            centers = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)],
                                  -1)
            reg = reg[0].permute(1, 2, 0).reshape(-1, 4 * (head.reg_max + 1))
            dist = head.integral(reg) * sw
            boxes.append(head.bbox_coder.decode(centers, dist))
            scores.append(cls[0].permute(1, 2, 0).reshape(
                -1, head.cls_out_channels).sigmoid())
            sizes.append(torch._shape_as_tensor(cls)[2:].prod())
        return (torch.cat(boxes)[None], torch.cat(scores)[None],
                torch.stack(sizes))


@torch.no_grad()
def torch_reference(detector: nn.Module, image: np.ndarray
                    ) -> Tuple[np.ndarray, np.ndarray, list]:
    """Decoded boxes and scores of every prior by mmdet's own code path:
    the detector's data preprocessor, ``grid_priors``, ``anchor_center`` and
    ``bbox_coder.decode`` (no clipping).

    Args:
        image (np.ndarray): Resized BGR uint8 (H, W, 3) image.

    Returns:
        tuple: boxes (N, 4), scores (N, C), priors per level.
    """
    from mmdet.structures import DetDataSample
    h, w = image.shape[:2]
    sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                                         scale_factor=(1., 1.)))
    data = detector.data_preprocessor(
        dict(inputs=[torch.from_numpy(image).permute(2, 0, 1)],
             data_samples=[sample]), False)
    head = detector.bbox_head
    cls_scores, bbox_preds = head(detector.extract_feat(data['inputs']))
    priors = head.prior_generator.grid_priors(
        [c.shape[-2:] for c in cls_scores], dtype=torch.float32,
        device=cls_scores[0].device)
    boxes, scores = [], []
    for stride, cls, reg, pri in zip(head.prior_generator.strides,
                                     cls_scores, bbox_preds, priors):
        dist = head.integral(reg[0].permute(1, 2, 0).reshape(
            -1, 4 * (head.reg_max + 1))) * stride[0]
        boxes.append(head.bbox_coder.decode(head.anchor_center(pri), dist))
        scores.append(cls[0].permute(1, 2, 0).reshape(
            -1, head.cls_out_channels).sigmoid())
    return (torch.cat(boxes).numpy(), torch.cat(scores).numpy(),
            [len(p) for p in priors])


def example_size(rule: Optional[ResizeRule]) -> Tuple[int, int]:
    """(H, W) of the export example: the Resize target (long side as the
    height), else 320x256."""
    if rule is None:
        return 320, 256
    return max(rule.scale_wh), min(rule.scale_wh)


def random_image(hw: Tuple[int, int], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*hw, 3),
                                                dtype=np.uint8)


def verify(detector: nn.Module, onnx_path: str,
           sizes: Sequence[Tuple[int, int]],
           threads: int = 1) -> Dict[str, float]:
    """Run the ONNX graph and PyTorch on random images of each (H, W).

    Returns the largest absolute difference of the decoded boxes (pixels)
    and scores over every prior; raises ValueError when the level sizes
    differ.
    """
    import onnxruntime as ort
    session = ort.InferenceSession(onnx_path, session_options(threads),
                                   providers=['CPUExecutionProvider'])
    box_diff = score_diff = 0.0
    for k, hw in enumerate(sizes):
        image = random_image(hw, seed=k)
        ref_boxes, ref_scores, ref_sizes = torch_reference(detector, image)
        boxes, scores, level_sizes = session.run(list(OUTPUT_NAMES),
                                                 {'image': image[None]})
        if list(level_sizes) != ref_sizes:
            raise ValueError(f'{onnx_path}: at {hw[0]}x{hw[1]} the graph has '
                             f'level sizes {list(level_sizes)}, PyTorch '
                             f'{ref_sizes}')
        box_diff = max(box_diff, float(np.abs(boxes[0] - ref_boxes).max()))
        score_diff = max(score_diff,
                         float(np.abs(scores[0] - ref_scores).max()))
    return dict(max_abs_box_diff_px=box_diff,
                max_abs_score_diff=score_diff,
                sizes=[list(s) for s in sizes])


def export_onnx(config_path: str, checkpoint: Optional[str], out: str,
                verify_sizes: Optional[Sequence[Tuple[int, int]]] = None,
                tolerance: float = 1e-3) -> DeploySpec:
    """Export the student of ``config_path`` to ``out`` and its sidecar.

    Args:
        config_path (str): Student, detector or distillation config.
        checkpoint (str, optional): Its weights (random init when None).
        out (str): Output ``.onnx`` path; the sidecar goes to ``.json``.
        verify_sizes (Sequence[tuple], optional): (H, W) sizes at which the
            graph is compared with PyTorch; default: the example size and a
            second size that is no multiple of 32.
        tolerance (float): Largest allowed box difference in pixels (scores
            are held to ``tolerance / 10``).

    Returns:
        DeploySpec: The sidecar written beside ``out``.
    """
    import onnx
    detector, cfg, source = build_student(config_path, checkpoint)
    meta = source.pop('meta')
    rule = resize_rule(cfg, config_path)
    head = detector.bbox_head
    names = class_names(cfg, meta, head.num_classes, config_path)
    post = postprocess_config(detector.test_cfg or {}, config_path)
    graph = GFLDeployGraph(detector).eval()
    hw = example_size(rule)
    example = torch.from_numpy(random_image(hw))[None]
    with torch.no_grad(), warnings.catch_warnings():
        # shape asserts of mmdet's coders are traced as constants: harmless
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(
            graph, (example, ), out, opset_version=OPSET,
            input_names=['image'], output_names=list(OUTPUT_NAMES),
            dynamic_axes={'image': {1: 'height', 2: 'width'},
                          'boxes': {1: 'num_priors'},
                          'scores': {1: 'num_priors'}},
            dynamo=False)
    onnx.checker.check_model(onnx.load(out))
    sizes = verify_sizes or [hw, (hw[0] - 40, hw[1] + 24)]
    check = verify(detector, out, sizes)
    if check['max_abs_box_diff_px'] > tolerance or \
            check['max_abs_score_diff'] > tolerance / 10:
        raise ValueError(f'{out}: the ONNX graph differs from PyTorch: '
                         f'{check}')
    source['verify'] = check
    source['opset'] = OPSET
    source['torch'] = torch.__version__
    pre = detector.data_preprocessor
    spec = DeploySpec(
        class_names=names,
        resize=rule,
        postprocess=post,
        pad_size_divisor=graph.pad_size_divisor,
        normalize=dict(
            mean=pre.mean.flatten().tolist() if graph.normalize else None,
            std=pre.std.flatten().tolist() if graph.normalize else None,
            bgr_to_rgb=graph.flip_channels, pad_value=graph.pad_value),
        strides=[int(s[0]) for s in graph.strides],
        source=source)
    embed_metadata(out, spec)
    spec.save(sidecar_path(out))
    return spec


def pre_nms_candidates(detector: nn.Module, image: np.ndarray,
                       cfg: Optional[PostprocessConfig] = None):
    """mmdet's pre-NMS candidates (``predict_by_feat(with_nms=False)``) of
    a resized image, as numpy (boxes, scores, labels); for tests."""
    from mmdet.structures import DetDataSample
    h, w = image.shape[:2]
    sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                                         scale_factor=(1., 1.)))
    with torch.no_grad():
        data = detector.data_preprocessor(
            dict(inputs=[torch.from_numpy(image).permute(2, 0, 1)],
                 data_samples=[sample]), False)
        head = detector.bbox_head
        outs = head(detector.extract_feat(data['inputs']))
        res = head.predict_by_feat(
            *outs, batch_img_metas=[data['data_samples'][0].metainfo],
            rescale=False, with_nms=False)[0]
    return res.bboxes.numpy(), res.scores.numpy(), res.labels.numpy()


__all__ = [
    'GFLDeployGraph', 'build_student', 'export_onnx', 'pre_nms_candidates',
    'student_model_config', 'torch_reference', 'verify'
]
