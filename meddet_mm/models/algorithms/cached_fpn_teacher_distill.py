"""mmrazor's FpnTeacherDistill with the teacher-feature cache.

Same losses as ``mmrazor.FpnTeacherDistill`` (the MGD, FGD and MSKD
baselines), but the frozen teacher's recorded maps come from the
:class:`TeacherFeatureCache` where it has them. Entries are keyed by the
teacher's weights and the recorded module, so a teacher shared with a MedDet
run (same checkpoint, same ``neck`` source) reads the same files.
"""
from typing import List, Optional

import torch
from mmengine.structures import BaseDataElement
from mmrazor.models.algorithms import FpnTeacherDistill
from mmrazor.models.task_modules.recorder import ModuleOutputsRecorder
from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODELS

from .teacher_feature_cache import TeacherFeatureCache, take


@MODELS.register_module()
class CachedFpnTeacherDistill(FpnTeacherDistill):
    """``FpnTeacherDistill`` reading teacher maps from a cache.

    Args:
        teacher_feature_cache (dict, optional): :class:`TeacherFeatureCache`
            arguments (``cache_dir``, ``dtype``); None behaves exactly like
            ``FpnTeacherDistill``. Needs ``TeacherFeatureCacheHook`` in
            ``custom_hooks``, a frozen teacher (``teacher_trainable=False``,
            ``teacher_norm_eval=True``; the whole teacher is then kept in
            eval mode) and teacher recorders of module outputs only
            (``mmrazor.ModuleOutputs``).
        *args, **kwargs: ``FpnTeacherDistill`` arguments.
    """

    def __init__(self, *args, teacher_feature_cache: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.teacher_feature_cache = None
        if teacher_feature_cache is None:
            return
        if self.teacher_trainable or not self.teacher_norm_eval:
            raise ValueError(
                'teacher_feature_cache needs a frozen teacher in eval mode '
                '(teacher_trainable=False, teacher_norm_eval=True)')
        recorders = self.distiller.teacher_recorders.recorders
        bad = [name for name, r in recorders.items()
               if not isinstance(r, ModuleOutputsRecorder)]
        if bad:
            raise ValueError(
                f'teacher_feature_cache: teacher recorder(s) {bad} do not '
                'record module outputs (mmrazor.ModuleOutputs); only those '
                'can be cached')
        if self.distiller.deliveries.deliveries:
            raise ValueError('teacher_feature_cache cannot be combined with '
                             'distiller deliveries')
        self.teacher_feature_cache = TeacherFeatureCache(
            **teacher_feature_cache)

    def train(self, mode: bool = True) -> 'CachedFpnTeacherDistill':
        """``FpnTeacherDistill.train``; with the cache, the whole teacher
        stays in eval mode (not only its BatchNorm layers), so Dropout or
        DropPath cannot freeze one random draw into the cache."""
        super().train(mode)
        if getattr(self, 'teacher_feature_cache', None) is not None:
            self.teacher.eval()
        return self

    def _cached_teacher_records(self, batch_inputs: torch.Tensor,
                                data_samples) -> None:
        """Fill every teacher recorder from the cache, running the teacher
        only on the images some recorder lacks."""
        cache = self.teacher_feature_cache
        manager = self.distiller.teacher_recorders
        recorders = manager.recorders

        def run(indices):
            inputs, _ = take(batch_inputs, data_samples, indices)
            with manager, torch.no_grad():
                self.teacher.extract_feat(inputs)
            return {name: r.get_record_data()
                    for name, r in recorders.items()}

        teacher_keys = {
            name: cache.teacher_key(f'teacher/{name}', self.teacher,
                                    recorder.source)
            for name, recorder in recorders.items()
        }
        maps = cache.exchange(teacher_keys, data_samples, run,
                              batch_inputs.device)
        for name, recorder in recorders.items():
            recorder.reset_data_buffer()
            recorder.data_buffer.append(maps[name])

    def loss(self,
             batch_inputs: torch.Tensor,
             data_samples: Optional[List[BaseDataElement]] = None) -> dict:
        """FpnTeacherDistill.loss with the teacher step served by the
        cache."""
        if self.teacher_feature_cache is None:
            return super().loss(batch_inputs, data_samples)
        self._cached_teacher_records(batch_inputs, data_samples)
        losses = dict()
        with self.distiller.student_recorders:
            student_losses = self.student(
                batch_inputs, data_samples, mode='loss')
        losses.update(add_prefix(student_losses, 'student'))
        if not self.distillation_stopped:
            losses.update(
                add_prefix(self.distiller.compute_distill_losses(),
                           'distill'))
        return losses
