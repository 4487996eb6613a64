"""MedDet multi-teacher generative adversarial distillation (mmrazor).

L = sigma * L_det + tau * L_dist + (1 - sigma - tau) * L_adv, with frozen
teachers, LWFF-fused teacher features, AFA alignment and the AATM G/D game.
"""
import contextlib
import hashlib
import json
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import load_checkpoint
from mmrazor.models.algorithms.base import BaseAlgorithm
from mmrazor.models.task_modules.recorder import ModuleOutputsRecorder
from mmrazor.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from ..data_preprocessors import PrivilegedDetDataPreprocessor
from ..distillers.meddet_distiller import build_razor_module
from ..losses.feature_distill_loss import standardize
from .teacher_feature_cache import TeacherFeatureCache

STUDENT_KEYS = ('architecture', 'distiller')
DISTILL_PRECISIONS = ('float32', 'bfloat16', 'float16')


def _unwrap(module: nn.Module) -> nn.Module:
    """The module inside a (MM)DistributedDataParallel wrapper, if any."""
    return getattr(module, 'module', module)


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


@MODELS.register_module()
class MultiTeacherAdversarialDistill(BaseAlgorithm):
    """MedDet: several frozen teachers, one student, AFA + LWFF + AATM.

    Children (and optimizer keys of the ``OptimWrapperDict``):
    ``architecture`` (the student detector), ``distiller``
    (:class:`MedDetDistiller`: AFA connectors, fusers, generator), and
    ``discriminator`` (AATM D, its own optimizer step). ``teachers`` is an
    ``nn.ModuleDict`` of frozen detectors with no optimizer. Build the
    optimizers with mmrazor's ``SeparateOptimWrapperConstructor``.

    One ``train_step``:
      1. teachers (eval, ``no_grad``) give their recorded maps;
      2. student loss forward records its maps, distiller fuses and
         generates; L = sigma*L_det + tau*L_dist + (1-sigma-tau)*L_adv(G)
         (+ the learned fuser's own ``loss_fuse``) is back-propagated into
         student and distiller (D is frozen here). The fused teacher maps
         are a detached target of L_dist and L_adv;
      3. D is updated on fused teacher maps (real) vs generated maps (fake),
         both detached.

    ``val_step``/``test_step``/``predict`` run the student only.

    Args:
        architecture (dict | nn.Module): Student detector (mmdet config).
        teachers (dict): ``{name: dict(cfg=model dict or config path,
            ckpt=checkpoint path or None)}``, any number of teachers. A
            teacher without ``ckpt`` keeps random weights (smoke tests only;
            a warning says so).
        distiller (dict): :class:`MedDetDistiller` config; ``num_levels`` and
            ``teacher_names`` are filled in here.
        discriminator (dict | None): AATM discriminator config (channels are
            filled in). None disables the adversarial term.
        distill_loss (dict): L_dist per level; levels are summed.
        extra_distill_losses (dict, optional): More losses on the same pairs
            of maps, ``{name: loss cfg}``, each called per level as
            ``loss(generated_student_map, fused_teacher_map, data_samples)``
            (e.g. the MSKD ``FeatureFilteringDistillLoss`` and
            ``RegionGraphDistillLoss``), summed over levels and logged as
            ``distill.loss_<name>``. Their own ``loss_weight`` scales them
            (they are not multiplied by ``tau``). Default None.
        adv_loss (dict): Adversarial loss (BCE on logits).
        sigma (float): Weight of the student's detection loss.
        tau (float): Weight of L_dist; L_adv gets ``1 - sigma - tau``.
        sigma_normalized (bool): Divide every weight by ``sigma``, so the
            detection loss keeps weight 1 and ``sigma`` only sets the
            distillation terms' share (``tau / sigma`` and
            ``(1 - sigma - tau) / sigma``). Without it, ``sigma`` scales the
            detector's gradient and MedDet trains its detector at ``sigma``
            times the plain student's step (0.7x by default). Defaults to
            False (the paper's form).
        num_levels (int): Pyramid levels distilled. Defaults to 5.
        student_source (str): Student module whose outputs are recorded.
        teacher_source (str): Teacher module whose outputs are recorded.
        adv_normalize (str | None): Standardisation of the maps D sees
            (see :func:`standardize`). Defaults to ``'sample'``.
        teacher_norm_eval (bool): Keep teachers in eval mode. Default True.
        teacher_feature_cache (dict, optional): Read the teachers' recorded
            maps from a :class:`TeacherFeatureCache` (``dict(cache_dir=...,
            dtype='float16')``; ``cache_dir=None`` keeps them in memory)
            instead of running the teachers for images already seen. Needs
            ``TeacherFeatureCacheHook`` in ``custom_hooks`` (it refuses
            random augmentation the cache cannot key). Default None (off).
        distill_precision (str): Precision of the training-only modules
            (distiller and discriminator): ``'float32'`` (default),
            ``'bfloat16'`` or ``'float16'``. Anything but float32 runs them
            under ``torch.autocast`` while the student stays float32, and
            the losses are computed in float32. On CPUs with AVX512-BF16 the
            distiller's 256-channel convs run about twice as fast in
            bfloat16 (``benchmarks/distill_step_cost.py``); use float16 only
            on GPUs.
        data_preprocessor (dict, optional): Defaults to the student's.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 architecture: Union[dict, nn.Module],
                 teachers: Dict[str, dict],
                 distiller: dict = dict(type='MedDetDistiller'),
                 discriminator: Optional[dict] = dict(
                     type='AATMDiscriminator'),
                 distill_loss: dict = dict(type='FeatureDistillMSELoss'),
                 extra_distill_losses: Optional[Dict[str, dict]] = None,
                 adv_loss: dict = dict(type='AdversarialBCELoss'),
                 sigma: float = 0.7,
                 tau: float = 0.2,
                 sigma_normalized: bool = False,
                 num_levels: int = 5,
                 student_source: str = 'neck',
                 teacher_source: str = 'neck',
                 adv_normalize: Optional[str] = 'sample',
                 teacher_norm_eval: bool = True,
                 teacher_feature_cache: Optional[dict] = None,
                 distill_precision: str = 'float32',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if not (0 <= sigma <= 1 and 0 <= tau <= 1 and sigma + tau <= 1):
            raise ValueError(
                'MultiTeacherAdversarialDistill: need 0 <= sigma, 0 <= tau '
                f'and sigma + tau <= 1 (L_adv gets 1 - sigma - tau); got '
                f'sigma={sigma}, tau={tau}')
        if not isinstance(teachers, dict) or not teachers:
            raise ValueError('MultiTeacherAdversarialDistill: teachers must '
                             'be a non-empty dict {name: dict(cfg=..., '
                             f'ckpt=...)}}, got {teachers!r}')
        if distill_precision not in DISTILL_PRECISIONS:
            raise ValueError(
                'MultiTeacherAdversarialDistill: distill_precision must be '
                f'one of {DISTILL_PRECISIONS}, got {distill_precision!r}')
        student = build_detector(architecture, 'student (architecture)')
        super().__init__(student, data_preprocessor, init_cfg)
        self.sigma = sigma
        self.sigma_normalized = sigma_normalized
        if sigma_normalized and sigma <= 0:
            raise ValueError('MultiTeacherAdversarialDistill: '
                             'sigma_normalized=True needs sigma > 0')
        self.tau = tau
        self.num_levels = num_levels
        self.adv_normalize = adv_normalize
        self.teacher_norm_eval = teacher_norm_eval
        self.teacher_source = teacher_source
        self.distill_precision = distill_precision

        self.teachers = nn.ModuleDict()
        self.teacher_ckpts = {}
        # name -> checkpoint file, its SHA-256 and the config digest; saved
        # in every checkpoint (extra state) and checked when one is loaded
        self.teacher_identity = {}
        for name, spec in teachers.items():
            self.teachers[name] = self._build_teacher(name, spec)
        self._check_compatible(student)

        self.student_recorder = self._make_recorder(student, student_source,
                                                    'student')
        self.teacher_recorders = {
            name: self._make_recorder(t, teacher_source, f'teacher {name!r}')
            for name, t in self.teachers.items()
        }

        distiller = dict(distiller)
        distiller.update(num_levels=num_levels,
                         teacher_names=list(self.teachers))
        self.distiller = build_razor_module(distiller)
        work_channels = self.distiller.distill_channels
        if discriminator is not None:
            self.discriminator = build_razor_module(
                discriminator, in_channels=work_channels)
            self.adv_loss = build_razor_module(adv_loss)
        else:
            self.discriminator = None
            self.adv_loss = None
        self.distill_loss = build_razor_module(distill_loss)
        self.extra_distill_losses = nn.ModuleDict({
            name: build_razor_module(cfg)
            for name, cfg in (extra_distill_losses or {}).items()
        })
        if teacher_feature_cache is not None and not teacher_norm_eval:
            raise ValueError(
                'teacher_feature_cache needs teacher_norm_eval=True: teachers '
                'whose BN statistics follow the batch have no fixed features')
        self.teacher_feature_cache = None if teacher_feature_cache is None \
            else TeacherFeatureCache(**teacher_feature_cache)

    # ------------------------------------------------------------------ build
    def _build_teacher(self, name: str, spec: dict) -> nn.Module:
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
        self.teacher_ckpts[name] = ckpt
        self.teacher_identity[name] = dict(
            ckpt=osp.basename(ckpt) if ckpt else None,
            sha256=file_sha256(ckpt) if ckpt else None,
            config_digest=config_digest(spec['cfg']))
        teacher.eval()
        for param in teacher.parameters():
            param.requires_grad = False
        return teacher

    def _check_compatible(self, student: nn.Module) -> None:
        self._check_normalization(student)
        n_cls = head_num_classes(student)
        for name, teacher in self.teachers.items():
            t_cls = head_num_classes(teacher)
            if n_cls is not None and t_cls is not None and t_cls != n_cls:
                raise ValueError(
                    f'teacher {name!r} predicts {t_cls} classes but the '
                    f'student predicts {n_cls}; teachers must be trained on '
                    'the same classes as the student')
        for who, model in [('student', student), *self.teachers.items()]:
            levels = neck_num_outs(model)
            if levels is not None and levels != self.num_levels:
                raise ValueError(
                    f'{who if who == "student" else f"teacher {who!r}"}: '
                    f'neck returns {levels} pyramid levels but num_levels='
                    f'{self.num_levels}')

    def _check_normalization(self, student: nn.Module) -> None:
        """Teachers see the student's preprocessed batch (plus privileged
        channels), so they must normalise images the way the student does."""
        ref = self.data_preprocessor
        for name, teacher in self.teachers.items():
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
            conv = ('_channel_conversion', )
            if getattr(ref, conv[0], None) != getattr(pre, conv[0], None):
                raise ValueError(
                    f'teacher {name!r}: bgr_to_rgb/rgb_to_bgr differs from '
                    'the student\'s data_preprocessor')

    @staticmethod
    def _make_recorder(model: nn.Module, source: str,
                       who: str) -> ModuleOutputsRecorder:
        names = dict(model.named_modules())
        if source not in names:
            top = sorted(n for n in names if n and '.' not in n)
            raise ValueError(f'{who}: recorder source {source!r} is not a '
                             f'module of the model; top-level modules: {top}')
        recorder = ModuleOutputsRecorder(source)
        recorder.initialize(model)
        return recorder

    @property
    def student(self) -> nn.Module:
        """The student detector (alias of ``architecture``)."""
        return self.architecture

    # --------------------------------------------- teacher identity in ckpts
    def get_extra_state(self) -> torch.Tensor:
        """Stored in the state dict: which teachers this run distils from.

        Encoded as a uint8 tensor of JSON, because mmengine broadcasts every
        state-dict entry as a tensor when it starts a distributed run.
        """
        text = json.dumps(dict(teachers=self.teacher_identity),
                          sort_keys=True)
        return torch.tensor(list(text.encode()), dtype=torch.uint8)

    @staticmethod
    def decode_extra_state(state) -> dict:
        """The teacher identity dict from :meth:`get_extra_state` output."""
        if isinstance(state, torch.Tensor):
            return json.loads(bytes(state.tolist()).decode())
        return dict(state or {})

    def set_extra_state(self, state) -> None:
        """Refuse a checkpoint made with other teachers under these names.

        Teachers configured without a checkpoint (e.g. by tools/test.py,
        which takes every weight from the loaded file) skip the file check.
        """
        saved = self.decode_extra_state(state).get('teachers', {})
        if set(saved) != set(self.teacher_identity):
            raise ValueError(
                'checkpoint was trained with teachers '
                f'{sorted(saved)} but the config has '
                f'{sorted(self.teacher_identity)}')
        for name, now in self.teacher_identity.items():
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

    # --------------------------------------------------------------- forward
    def train(self, mode: bool = True) -> 'MultiTeacherAdversarialDistill':
        """Training mode for student/distiller/D; teachers stay in eval."""
        super().train(mode)
        if self.teacher_norm_eval:
            self.teachers.eval()
        else:
            for m in self.teachers.modules():
                if not isinstance(m, _BatchNorm):
                    m.eval()
        return self

    @torch.no_grad()
    def teacher_features(self, inputs: torch.Tensor,
                         data_samples) -> Dict[str, Sequence[torch.Tensor]]:
        """Recorded maps of every frozen teacher for this batch.

        With the teacher-feature cache (training only), a teacher runs only
        on the images the cache does not hold. Teachers are in eval mode, so
        an image's maps do not depend on the other images of the batch
        (they share the padded batch shape, which the cache key records).
        """
        cache = self.teacher_feature_cache if self.training else None
        if cache is None:
            return {name: self._run_teacher(name, inputs, data_samples)
                    for name in self.teachers}
        keys = cache.sample_keys(data_samples)
        feats = {}
        for name, teacher in self.teachers.items():
            teacher_key = cache.teacher_key(name, teacher,
                                            self.teacher_source)
            entries = cache.lookup(teacher_key, keys)
            missing = [i for i, e in enumerate(entries) if e is None]
            if len(missing) == len(entries):
                feats[name] = self._run_teacher(name, inputs, data_samples)
                cache.put(teacher_key, keys, feats[name])
                continue
            if missing:
                live = self._run_teacher(
                    name, inputs[missing], [data_samples[i] for i in missing])
                cache.put(teacher_key, [keys[i] for i in missing], live)
                for i, entry in zip(missing, cache.split(live)):
                    entries[i] = entry
            feats[name] = cache.assemble(entries, inputs.device)
        return feats

    def _run_teacher(self, name: str, inputs: torch.Tensor, data_samples):
        """Run one teacher and return its recorded maps. A teacher with a
        :class:`PrivilegedDetDataPreprocessor` also gets its privileged
        input channels (which the student never sees)."""
        preprocessor = self.teachers[name].data_preprocessor
        if isinstance(preprocessor, PrivilegedDetDataPreprocessor):
            inputs = preprocessor.append_privileged(inputs, data_samples)
        recorder = self.teacher_recorders[name]
        with recorder:
            if self.teacher_source.startswith(('backbone', 'neck')):
                self.teachers[name].extract_feat(inputs)  # head not needed
            else:
                self.teachers[name](inputs, data_samples, mode='tensor')
        return recorder.get_record_data()

    def _student_side_losses(self, inputs, data_samples):
        teacher_feats = self.teacher_features(inputs, data_samples)
        with self.student_recorder:
            det_losses = self.architecture(inputs, data_samples, mode='loss')
        student_feats = self.student_recorder.get_record_data()
        with self._distill_autocast(inputs):
            maps = self.distiller(student_feats, teacher_feats,
                                  with_fuse_loss=True)
        loss_fuse = maps.pop('loss_fuse')
        maps = {k: [m.float() for m in v] for k, v in maps.items()}

        losses = {
            f'student.{k}': _scale(v, self.weight('det'))
            for k, v in det_losses.items()
        }
        dist = sum(
            self.distill_loss(g, t)
            for g, t in zip(maps['generated'], maps['fused']))
        losses['distill.loss_dist'] = self.weight('dist') * dist
        if loss_fuse is not None:  # the learned fuser's own objective
            losses['distill.loss_fuse'] = loss_fuse.float()
        # collapse diagnostic (logged, no gradient; 'loss' not in the key)
        for key, value in _unwrap(self.distiller).spatial_ratios(
                teacher_feats, maps).items():
            losses[f'distill.{key}'] = value
        for name, loss_fn in self.extra_distill_losses.items():
            losses[f'distill.loss_{name}'] = sum(
                loss_fn(g, t, data_samples)
                for g, t in zip(maps['generated'], maps['fused']))
        if self.discriminator is not None:
            adv_w = self.weight('adv')
            with self._distill_autocast(inputs):
                d_fake = self.discriminator(
                    [self._for_d(g) for g in maps['generated']])
            losses['distill.loss_adv'] = adv_w * sum(
                self.adv_loss(logit.float(), True) for logit in d_fake)
        return losses, maps

    def weight(self, term: str) -> float:
        """Weight of ``'det'``, ``'dist'`` or ``'adv'`` in the student
        side's loss (divided by sigma with ``sigma_normalized``)."""
        w = dict(det=self.sigma, dist=self.tau,
                 adv=1.0 - self.sigma - self.tau)[term]
        return w / self.sigma if self.sigma_normalized else w

    def _distill_autocast(self, inputs: torch.Tensor):
        """Autocast context of the distiller and D (``distill_precision``);
        a no-op for float32."""
        if self.distill_precision == 'float32':
            return contextlib.nullcontext()
        return torch.autocast(device_type=inputs.device.type,
                              dtype=getattr(torch, self.distill_precision))

    def _for_d(self, feat: torch.Tensor) -> torch.Tensor:
        return standardize(feat, self.adv_normalize)

    def discriminator_losses(self, maps: dict) -> Dict[str, torch.Tensor]:
        """D's BCE: fused teacher maps are real, generated maps fake."""
        real_maps = [self._for_d(t.detach()) for t in maps['fused']]
        fake_maps = [self._for_d(g.detach()) for g in maps['generated']]
        with self._distill_autocast(real_maps[0]):
            logits = self.discriminator(real_maps + fake_maps)  # one forward
        logits = [lg.float() for lg in logits]
        n = len(real_maps)
        real = sum(self.adv_loss(lg, True) for lg in logits[:n])
        fake = sum(self.adv_loss(lg, False) for lg in logits[n:])
        return {'disc.loss_real': 0.5 * real, 'disc.loss_fake': 0.5 * fake}

    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        """One MedDet step: student + distiller, then the discriminator."""
        wrappers = self._student_wrappers(optim_wrapper)
        data = self.data_preprocessor(data, True)
        inputs, data_samples = data['inputs'], data['data_samples']

        disc = _unwrap(self.discriminator) if self.discriminator else None
        with contextlib.ExitStack() as stack:
            for key, wrapper in wrappers.items():
                stack.enter_context(wrapper.optim_context(getattr(self, key)))
            if disc is not None:  # D is fixed while the student side learns
                stack.enter_context(_frozen(disc))
            losses, maps = self._student_side_losses(inputs, data_samples)
            loss, log_vars = self.parse_losses(losses)
        self._update_jointly(list(wrappers.values()), loss)

        if disc is not None:
            d_wrapper = optim_wrapper['discriminator']
            with d_wrapper.optim_context(self.discriminator):
                d_losses = self.discriminator_losses(maps)
                d_loss, d_log_vars = self.parse_losses(d_losses)
            d_wrapper.update_params(d_loss)
            d_log_vars.pop('loss')  # 'loss' stays the student side's total
            log_vars.update(d_log_vars)
        return log_vars

    def _student_wrappers(self, optim_wrapper) -> Dict[str, OptimWrapper]:
        needed = list(STUDENT_KEYS) + (['discriminator']
                                       if self.discriminator else [])
        if not isinstance(optim_wrapper, OptimWrapperDict) or any(
                k not in optim_wrapper for k in needed):
            have = list(optim_wrapper.keys()) if isinstance(
                optim_wrapper, OptimWrapperDict) else type(optim_wrapper)
            raise KeyError(
                'MultiTeacherAdversarialDistill needs an OptimWrapperDict '
                f'with keys {needed} (use optim_wrapper=dict(constructor='
                "'mmrazor.SeparateOptimWrapperConstructor', ...)); got "
                f'{have}')
        wrappers = {k: optim_wrapper[k] for k in STUDENT_KEYS}
        for key, wrapper in wrappers.items():
            if getattr(wrapper, '_accumulative_counts', 1) != 1:
                raise ValueError(
                    f'optim_wrapper[{key!r}]: accumulative_counts > 1 is not '
                    'supported by MultiTeacherAdversarialDistill')
        return wrappers

    @staticmethod
    def _update_jointly(wrappers: List[OptimWrapper],
                        loss: torch.Tensor) -> None:
        """One backward of ``loss``, then step every wrapper.

        The student and the distiller have separate optimizers (so each can
        have its own LR) but share one loss; the first wrapper runs the
        backward pass (its loss scaling, e.g. AMP, applies to both).
        """
        wrappers[0].backward(wrappers[0].scale_loss(loss))
        for wrapper in wrappers:
            wrapper.step()
            wrapper.zero_grad()


def _scale(value, factor: float):
    """Multiply a loss tensor or a list of per-level loss tensors."""
    if isinstance(value, (list, tuple)):
        return [v * factor for v in value]
    return value * factor


@contextlib.contextmanager
def _frozen(module: nn.Module):
    """Temporarily stop gradients into ``module``'s parameters."""
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)
