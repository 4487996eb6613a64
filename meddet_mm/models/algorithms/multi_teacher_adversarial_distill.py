"""MedDet multi-teacher generative adversarial distillation (mmrazor).

L = sigma * L_det + tau * L_dist + (1 - sigma - tau) * L_adv, with frozen
teachers, LWFF-fused teacher features, AFA alignment and the AATM G/D game.
This file keeps the optimisation order; the teachers are a
:class:`FrozenTeachers`, the cache exchange is
:meth:`TeacherFeatureCache.exchange` and L_dist and the other distillation
losses come from :meth:`MedDetDistiller.compute_distill_losses`.
"""
import contextlib
import warnings
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmrazor.models.algorithms.base import BaseAlgorithm
from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODELS

from ..distillers.meddet_distiller import (build_razor_module,
                                           takes_data_samples)
from ..losses.feature_distill_loss import standardize
from ...utils.init_from_teacher import (DEFAULT_PARTS, copy_from_teacher,
                                        format_report)
from .frozen_teachers import FrozenTeachers, build_detector, make_recorder
from .teacher_feature_cache import TeacherFeatureCache, take

STUDENT_KEYS = ('architecture', 'distiller')
DISTILL_PRECISIONS = ('float32', 'bfloat16', 'float16')


def _unwrap(module: nn.Module) -> nn.Module:
    """The module inside a (MM)DistributedDataParallel wrapper, if any."""
    return getattr(module, 'module', module)


@MODELS.register_module()
class MultiTeacherAdversarialDistill(BaseAlgorithm):
    """MedDet: several frozen teachers, one student, AFA + LWFF + AATM.

    Children (and optimizer keys of the ``OptimWrapperDict``):
    ``architecture`` (the student detector), ``distiller``
    (:class:`MedDetDistiller`: AFA connectors, fusers, generator), and
    ``discriminator`` (AATM D, its own optimizer step). ``teachers`` is a
    :class:`FrozenTeachers` (an ``nn.ModuleDict`` of frozen detectors) with
    no optimizer. Build the optimizers with mmrazor's
    ``SeparateOptimWrapperConstructor``.

    One ``train_step``:
      1. teachers (eval, ``no_grad``) give their recorded maps;
      2. student loss forward records its maps, distiller fuses and
         generates, and computes L_dist and the other distillation losses
         (``compute_distill_losses``);
         L = sigma*L_det + tau*L_dist + (1-sigma-tau)*L_adv(G)
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
        distill_loss (dict): L_dist per level; levels are summed. Called as
            ``loss(generated, fused, data_samples=data_samples)`` when its
            ``forward`` has a ``data_samples`` parameter, else
            ``loss(generated, fused)``.
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
        init_student_from (dict, optional): ``dict(teacher=NAME,
            parts=('neck', 'bbox_head'))``: after the student's own init,
            its tensors under ``parts`` whose name and shape match teacher
            NAME's start from that teacher (the MGD/FGD authors' "student
            neck and head start from the teacher"; the teacher must share
            the student's neck width and head). Skipped on resume, whose
            checkpoint replaces them. Default None (the student's own init).
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
                 init_student_from: Optional[dict] = None,
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
        self.distill_precision = distill_precision

        self.teachers = FrozenTeachers(teachers, teacher_source,
                                       teacher_norm_eval)
        self.teachers.check_compatible(student, self.data_preprocessor,
                                       num_levels)
        self.student_recorder = make_recorder(student, student_source,
                                              'student')

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
        # L_dist gets the data samples if its forward takes them
        self.distill_loss_takes_samples = takes_data_samples(
            self.distill_loss)
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
        self.init_student_from = self._check_init_student_from(
            init_student_from)

    def _check_init_student_from(self, spec: Optional[dict]):
        if spec is None:
            return None
        if not isinstance(spec, dict) or set(spec) - {'teacher', 'parts'} \
                or 'teacher' not in spec:
            raise ValueError(
                'MultiTeacherAdversarialDistill: init_student_from must be '
                "dict(teacher=NAME, parts=('neck', 'bbox_head')), got "
                f'{spec!r}')
        if spec['teacher'] not in self.teachers:
            raise ValueError(
                'MultiTeacherAdversarialDistill: init_student_from teacher '
                f"{spec['teacher']!r} is not one of the teachers "
                f'{list(self.teachers)}')
        if not self.teachers.ckpts.get(spec['teacher']):  # smoke tests
            warnings.warn(
                'MultiTeacherAdversarialDistill: init_student_from teacher '
                f"{spec['teacher']!r} has no checkpoint: the student's neck "
                'and head start from its random weights')
        return dict(teacher=spec['teacher'],
                    parts=tuple(spec.get('parts', DEFAULT_PARTS)))

    def init_weights(self) -> None:
        """The student's own init, then (``init_student_from``) its neck and
        head from the named teacher."""
        first = not self._is_init
        super().init_weights()
        if first and self.init_student_from is not None:
            spec = self.init_student_from
            report = copy_from_teacher(self.architecture,
                                       self.teachers[spec['teacher']],
                                       spec['parts'])
            print_log(f"student init from teacher {spec['teacher']!r}: " +
                      format_report(report), logger='current')

    @property
    def student(self) -> nn.Module:
        """The student detector (alias of ``architecture``)."""
        return self.architecture

    # --------------------------------------------- teacher identity in ckpts
    def get_extra_state(self) -> torch.Tensor:
        """Stored in the state dict (key ``_extra_state``): which teachers
        this run distils from (:meth:`FrozenTeachers.identity_state`)."""
        return self.teachers.identity_state()

    decode_extra_state = staticmethod(FrozenTeachers.decode_identity)

    def set_extra_state(self, state) -> None:
        """Refuse a checkpoint made with other teachers under these names
        (:meth:`FrozenTeachers.check_identity`)."""
        self.teachers.check_identity(state)

    # --------------------------------------------------------------- forward
    @torch.no_grad()
    def teacher_features(self, inputs: torch.Tensor,
                         data_samples) -> Dict[str, tuple]:
        """Recorded maps of every frozen teacher for this batch.

        With the teacher-feature cache (training only), a teacher runs only
        on the images the cache does not hold. Teachers are in eval mode, so
        an image's maps do not depend on the other images of the batch
        (they share the padded batch shape, which the cache key records).
        """
        cache = self.teacher_feature_cache if self.training else None
        if cache is None:
            return {name: self.teachers.run(name, inputs, data_samples)
                    for name in self.teachers}
        keys = cache.sample_keys(data_samples)
        feats = {}
        for name, teacher in self.teachers.items():

            def run(indices, name=name):
                return {name: self.teachers.run(
                    name, *take(inputs, data_samples, indices))}

            key = cache.teacher_key(name, teacher, self.teachers.source)
            feats.update(cache.exchange({name: key}, data_samples, run,
                                        inputs.device, sample_keys=keys))
        return feats

    def _student_side_losses(self, inputs, data_samples):
        teacher_feats = self.teacher_features(inputs, data_samples)
        with self.student_recorder:
            det_losses = self.architecture(inputs, data_samples, mode='loss')
        student_feats = self.student_recorder.get_record_data()
        with self._distill_autocast(inputs):
            maps = self.distiller(student_feats, teacher_feats,
                                  with_fuse_loss=True)
        for key in ('fused', 'generated', 'fused_live'):
            maps[key] = [m.float() for m in maps[key]]

        losses = {
            f'student.{k}': _scale(v, self.weight('det'))
            for k, v in det_losses.items()
        }
        losses.update(add_prefix(
            _unwrap(self.distiller).compute_distill_losses(
                maps, teacher_feats, data_samples, self.distill_loss,
                self.extra_distill_losses, dist_weight=self.weight('dist'),
                loss_takes_samples=self.distill_loss_takes_samples),
            'distill'))
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
