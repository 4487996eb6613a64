"""Registered runner hooks (mmdet HOOKS)."""
from .distill_weight_ramp_hook import DistillWeightRampHook
from .guarded_checkpoint_hook import (GuardedCheckpointHook,
                                      UnstableWeightsError)
from .loss_guard_hook import LossGuardHook, UnstableLossError
from .strict_load_hook import StrictLoadHook
from .teacher_feature_cache_hook import TeacherFeatureCacheHook

__all__ = [
    'DistillWeightRampHook', 'GuardedCheckpointHook', 'LossGuardHook', 'StrictLoadHook',
    'TeacherFeatureCacheHook', 'UnstableLossError', 'UnstableWeightsError'
]
