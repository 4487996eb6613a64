"""The frozen teachers of a multi-teacher distillation, in one ModuleDict.

Builds each teacher detector and loads its checkpoint, records which teachers
a run distils from (checkpoint SHA-256 and config digest, checked when a
distillation checkpoint is loaded), checks that teachers fit the student
(classes, pyramid levels, normalisation) and runs a teacher to get its
recorded maps. Like the teachers of mmrazor's ``DataFreeDistillation``.
"""
import hashlib
import json
import os.path as osp
import warnings
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.runner import load_checkpoint
from mmrazor.models.task_modules.recorder import ModuleOutputsRecorder
from mmrazor.registry import MODELS

from ..data_preprocessors import PrivilegedDetDataPreprocessor


def build_detector(cfg: Union[dict, str, nn.Module], what: str) -> nn.Module:
    """Build an mmdet detector from a model dict or a config file path."""
    if isinstance(cfg, nn.Module):
        return cfg
    if isinstance(cfg, str):
        if not osp.isfile(cfg):
            raise FileNotFoundError(f'{what}: config file not found: {cfg}')
        cfg = Config.fromfile(cfg)['model']
    if not isinstance(cfg, dict):
        raise TypeError(f'{what}: expected a model config dict, a config '
                        f'file path or an nn.Module, got {type(cfg)}')
    cfg = ConfigDict(cfg)
    cfg.setdefault('_scope_', 'mmdet')  # detectors live in mmdet's registry
    return MODELS.build(cfg)


def file_sha256(path: str) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def config_digest(cfg) -> Optional[str]:
    """Short digest of a teacher's model config (None for a built module)."""
    if isinstance(cfg, nn.Module):
        return None
    if isinstance(cfg, str):
        cfg = Config.fromfile(cfg)['model']
    cfg = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
    text = json.dumps(cfg, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def head_num_classes(model: nn.Module) -> Optional[int]:
    """Class count of a detector's bbox head (None if it has none)."""
    head = getattr(model, 'bbox_head', None)
    return getattr(head, 'num_classes', None)


def neck_num_outs(model: nn.Module) -> Optional[int]:
    """Number of pyramid levels a detector's neck returns (if known)."""
    neck = getattr(model, 'neck', None)
    return getattr(neck, 'num_outs', None)


def make_recorder(model: nn.Module, source: str,
                  who: str) -> ModuleOutputsRecorder:
    """A recorder of the outputs of ``model``'s module ``source``."""
    names = dict(model.named_modules())
    if source not in names:
        top = sorted(n for n in names if n and '.' not in n)
        raise ValueError(f'{who}: recorder source {source!r} is not a '
                         f'module of the model; top-level modules: {top}')
    recorder = ModuleOutputsRecorder(source)
    recorder.initialize(model)
    return recorder


class FrozenTeachers(nn.ModuleDict):
    """Frozen teacher detectors by name, with their recorders.

    State-dict keys are those of an ``nn.ModuleDict`` of the detectors
    (``<name>.backbone...``). Teachers get no gradient and stay in eval mode
    whatever ``train()`` asks.

    Args:
        teachers (dict): ``{name: dict(cfg=model dict or config path,
            ckpt=checkpoint path or None)}``. A teacher without ``ckpt``
            keeps random weights (smoke tests only; a warning says so).
        source (str): Teacher module whose outputs are recorded. Defaults
            to ``'neck'``.
        norm_eval (bool): Keep the teachers in eval mode. Defaults to True.
    """

    def __init__(self, teachers: Dict[str, dict], source: str = 'neck',
                 norm_eval: bool = True) -> None:
        super().__init__()
        self.source = source
        self.norm_eval = norm_eval
        # name -> checkpoint file, its SHA-256 and the config digest; saved
        # in every distillation checkpoint and checked when one is loaded
        self.identity: Dict[str, dict] = {}
        self.ckpts: Dict[str, Optional[str]] = {}
        self.recorders: Dict[str, ModuleOutputsRecorder] = {}
        reserved = sorted(n for n in teachers if hasattr(self, n))
        if reserved:
            raise ValueError(f'teacher name(s) {reserved} clash with '
                             'FrozenTeachers attributes; rename the teachers')
        for name, spec in teachers.items():
            self[name] = self._build(name, spec)
        for name, teacher in self.items():
            self.recorders[name] = make_recorder(teacher, source,
                                                 f'teacher {name!r}')

    # ------------------------------------------------------------------ build
    def _build(self, name: str, spec: dict) -> nn.Module:
        if not isinstance(spec, dict) or 'cfg' not in spec:
            raise ValueError(f'teacher {name!r}: expected dict(cfg=..., '
                             f'ckpt=...), got {spec!r}')
        unknown = set(spec) - {'cfg', 'ckpt'}
        if unknown:
            raise ValueError(f'teacher {name!r}: unknown key(s) '
                             f'{sorted(unknown)}; allowed: cfg, ckpt')
        teacher = build_detector(spec['cfg'], f'teacher {name!r}')
        ckpt = spec.get('ckpt')
        if ckpt:
            if not osp.isfile(ckpt):
                raise FileNotFoundError(
                    f'teacher {name!r}: checkpoint file not found: {ckpt}. '
                    'Train the teacher first or fix the path (e.g. '
                    '--cfg-options with the checkpoint variable).')
            teacher.init_weights()
            try:
                load_checkpoint(teacher, ckpt, map_location='cpu',
                                strict=True, logger='silent')
            except Exception as exc:  # noqa: BLE001 - re-raised with context
                raise RuntimeError(
                    f'teacher {name!r}: cannot load checkpoint {ckpt}: '
                    f'{type(exc).__name__}: {exc}') from exc
            teacher._is_init = True  # keep loaded weights on init_weights()
        else:
            warnings.warn(
                f'teacher {name!r} has no checkpoint (ckpt=None): it keeps '
                'random weights. Only use this for smoke tests.')
        self.ckpts[name] = ckpt
        self.identity[name] = dict(
            ckpt=osp.basename(ckpt) if ckpt else None,
            sha256=file_sha256(ckpt) if ckpt else None,
            config_digest=config_digest(spec['cfg']))
        teacher.eval()
        for param in teacher.parameters():
            param.requires_grad = False
        return teacher

    def check_compatible(self, student: nn.Module, preprocessor: nn.Module,
                         num_levels: int) -> None:
        """Raise if a teacher's classes, pyramid levels or image
        normalisation differ from the student's (``preprocessor`` is the
        one that prepares the batch every teacher sees)."""
        self._check_normalization(preprocessor)
        n_cls = head_num_classes(student)
        for name, teacher in self.items():
            t_cls = head_num_classes(teacher)
            if n_cls is not None and t_cls is not None and t_cls != n_cls:
                raise ValueError(
                    f'teacher {name!r} predicts {t_cls} classes but the '
                    f'student predicts {n_cls}; teachers must be trained on '
                    'the same classes as the student')
        for who, model in [('student', student), *self.items()]:
            levels = neck_num_outs(model)
            if levels is not None and levels != num_levels:
                raise ValueError(
                    f'{who if who == "student" else f"teacher {who!r}"}: '
                    f'neck returns {levels} pyramid levels but num_levels='
                    f'{num_levels}')

    def _check_normalization(self, ref: nn.Module) -> None:
        """Teachers see the student's preprocessed batch (plus privileged
        channels), so they must normalise images the way the student does."""
        for name, teacher in self.items():
            pre = teacher.data_preprocessor
            for attr in ('mean', 'std'):
                a, b = getattr(ref, attr, None), getattr(pre, attr, None)
                if a is not None and b is not None and (
                        a.shape != b.shape
                        or not torch.allclose(a.float(), b.float())):
                    raise ValueError(
                        f'teacher {name!r}: its data_preprocessor {attr} '
                        f'{b.flatten().tolist()} differs from the student\'s '
                        f'{a.flatten().tolist()}; teachers receive the '
                        'student\'s preprocessed images')
            conv = '_channel_conversion'
            if getattr(ref, conv, None) != getattr(pre, conv, None):
                raise ValueError(
                    f'teacher {name!r}: bgr_to_rgb/rgb_to_bgr differs from '
                    'the student\'s data_preprocessor')

    # --------------------------------------------------------------- identity
    def identity_state(self) -> torch.Tensor:
        """Which teachers these are, as a uint8 tensor of JSON (mmengine
        broadcasts every state-dict entry as a tensor in distributed runs).
        """
        text = json.dumps(dict(teachers=self.identity), sort_keys=True)
        return torch.tensor(list(text.encode()), dtype=torch.uint8)

    @staticmethod
    def decode_identity(state) -> dict:
        """The identity dict from :meth:`identity_state` output."""
        if isinstance(state, torch.Tensor):
            return json.loads(bytes(state.tolist()).decode())
        return dict(state or {})

    def check_identity(self, state) -> None:
        """Refuse a checkpoint made with other teachers under these names.

        Teachers configured without a checkpoint (e.g. by tools/test.py,
        which takes every weight from the loaded file) skip the file check.
        """
        saved = self.decode_identity(state).get('teachers', {})
        if set(saved) != set(self.identity):
            raise ValueError(
                'checkpoint was trained with teachers '
                f'{sorted(saved)} but the config has '
                f'{sorted(self.identity)}')
        for name, now in self.identity.items():
            old = saved[name]
            for key, what in (('sha256', 'checkpoint file'),
                              ('config_digest', 'model config')):
                if old.get(key) and now.get(key) and old[key] != now[key]:
                    raise ValueError(
                        f'teacher {name!r}: its {what} differs from the one '
                        f'this checkpoint was trained with ({old.get("ckpt")}'
                        f' {key}={old[key][:12]}... vs now {now.get("ckpt")} '
                        f'{key}={now[key][:12]}...); give the teacher another '
                        'name or use the original teacher')

    # ---------------------------------------------------------------- forward
    def train(self, mode: bool = True) -> 'FrozenTeachers':
        """Teachers stay in eval mode, whatever ``mode`` is.

        ``norm_eval=False`` was meant to leave their BatchNorm layers in
        training mode, but MedDet has always put every teacher module in
        eval (its loop called ``Module.eval()``, which recurses into the BN
        layers); kept so, the flag only forbids the feature cache.
        """
        return super().train(False)

    @torch.no_grad()
    def run(self, name: str, inputs: torch.Tensor, data_samples):
        """Run teacher ``name`` and return its recorded maps. A teacher with
        a :class:`PrivilegedDetDataPreprocessor` also gets its privileged
        input channels (which the student never sees)."""
        teacher = self[name]
        if isinstance(teacher.data_preprocessor,
                      PrivilegedDetDataPreprocessor):
            inputs = teacher.data_preprocessor.append_privileged(
                inputs, data_samples)
        recorder = self.recorders[name]
        with recorder:
            if self.source.startswith(('backbone', 'neck')):
                teacher.extract_feat(inputs)  # head not needed
            else:
                teacher(inputs, data_samples, mode='tensor')
        return recorder.get_record_data()
