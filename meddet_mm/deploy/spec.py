"""What an ONNX Runtime runner needs to know about an exported detector:
input rule, post-processing settings, class names and provenance. Written
by ``tools/deployment/export_onnx.py`` as ``<model>.json`` beside
``<model>.onnx`` and embedded in the model's metadata (key ``meddet_mm``)."""
import json
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Tuple

FORMAT_VERSION = 1
METADATA_KEY = 'meddet_mm'
INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')


@dataclass
class ResizeRule:
    """The test pipeline's ``Resize`` (mmdet semantics).

    Args:
        scale_wh (tuple[int, int]): Target ``(width, height)``. With
            ``keep_ratio`` the image is scaled by one factor so that its long
            edge fits ``max(scale_wh)`` and its short edge ``min(scale_wh)``.
        keep_ratio (bool): Keep the aspect ratio. Defaults to True.
        interpolation (str): OpenCV interpolation name. Defaults to
            'bilinear'.
    """
    scale_wh: Tuple[int, int]
    keep_ratio: bool = True
    interpolation: str = 'bilinear'

    def __post_init__(self):
        self.scale_wh = tuple(int(v) for v in self.scale_wh)
        if len(self.scale_wh) != 2 or min(self.scale_wh) < 1:
            raise ValueError(f'resize.scale_wh must be two positive ints, '
                             f'got {self.scale_wh}')
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(f'resize.interpolation {self.interpolation!r} '
                             f'is not one of {INTERPOLATIONS}')


@dataclass
class PostprocessConfig:
    """The detector's ``test_cfg`` (mmdet ``GFLHead`` semantics).

    Args:
        score_thr (float): Candidates need ``score > score_thr``.
        nms_pre (int): Candidates kept per pyramid level, best first
            (<= 0 keeps all).
        nms_iou (float): IoU above which a box of the same class with a
            lower score is suppressed.
        max_per_img (int): Detections kept after NMS (<= 0 keeps all).
        min_bbox_size (float): Boxes need width and height above it
            (< 0 disables the filter).
    """
    score_thr: float = 0.05
    nms_pre: int = 1000
    nms_iou: float = 0.6
    max_per_img: int = 100
    min_bbox_size: float = 0.0


@dataclass
class DeploySpec:
    """Everything the runner reads besides the ONNX graph.

    The graph takes one ``uint8`` image ``(1, H, W, 3)`` in BGR order, already
    resized by :attr:`resize`, and does the rest of the preprocessing itself
    (channel order, mean/std, padding to :attr:`pad_size_divisor`). It
    returns ``boxes`` ``(1, N, 4)`` (x1, y1, x2, y2 in input pixels, not yet
    clipped), ``scores`` ``(1, N, num_classes)`` (sigmoid) and
    ``level_sizes`` ``(L,)`` (priors per pyramid level, in order).

    Args:
        class_names (list[str]): Name of each label.
        resize (ResizeRule, optional): Resize applied before the graph; None
            feeds images at their own size.
        postprocess (PostprocessConfig): Score filter and NMS settings.
        input_name (str): Name of the graph input. Defaults to 'image'.
        pad_size_divisor (int): Padding done inside the graph (for the
            record). Defaults to 1.
        normalize (dict): Mean, std and channel order applied inside the
            graph (for the record).
        strides (list[int]): Stride of each pyramid level.
        precision (str): 'fp32' or 'int8'.
        quantization (dict, optional): INT8 settings and which op types
            stayed float.
        source (dict): Config path and digest, checkpoint path and SHA-256.
        format_version (int): Version of this layout.
    """
    class_names: List[str]
    resize: Optional[ResizeRule]
    postprocess: PostprocessConfig = field(default_factory=PostprocessConfig)
    input_name: str = 'image'
    pad_size_divisor: int = 1
    normalize: dict = field(default_factory=dict)
    strides: List[int] = field(default_factory=list)
    precision: str = 'fp32'
    quantization: Optional[dict] = None
    source: dict = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict, origin: str = '<dict>') -> 'DeploySpec':
        """Build from a sidecar dict, naming ``origin`` in errors."""
        data = dict(data)
        version = data.get('format_version')
        if version != FORMAT_VERSION:
            raise ValueError(f'{origin}: format_version {version!r} is not '
                             f'supported (expected {FORMAT_VERSION}); '
                             're-export the model')
        for key in ('class_names', 'resize'):
            if key not in data:
                raise KeyError(f'{origin}: missing key {key!r}')
        try:
            if data['resize'] is not None:
                data['resize'] = ResizeRule(**data['resize'])
            data['postprocess'] = PostprocessConfig(
                **data.get('postprocess', {}))
            return cls(**data)
        except TypeError as exc:
            raise ValueError(f'{origin}: {exc}') from exc

    def save(self, path: str) -> None:
        with open(path, 'w') as f:
            f.write(self.to_json() + '\n')

    @classmethod
    def load(cls, path: str) -> 'DeploySpec':
        if not osp.isfile(path):
            raise FileNotFoundError(f'deploy sidecar not found: {path}')
        with open(path) as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as exc:
                raise ValueError(f'{path}: not valid JSON ({exc})') from exc
        return cls.from_dict(data, path)


def sidecar_path(model_path: str) -> str:
    """``model.onnx`` -> ``model.json``."""
    return osp.splitext(model_path)[0] + '.json'


def embed_metadata(onnx_path: str, spec: DeploySpec) -> None:
    """Store ``spec`` in the model's metadata (key ``meddet_mm``), so that
    a model separated from its sidecar still runs. Needs ``onnx``."""
    import onnx
    model = onnx.load(onnx_path)
    kept = [p for p in model.metadata_props if p.key != METADATA_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(spec.to_dict())
    onnx.save(model, onnx_path)
