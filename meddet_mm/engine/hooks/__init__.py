"""Registered runner hooks (mmdet HOOKS)."""
from .loss_guard_hook import LossGuardHook, UnstableLossError
from .teacher_feature_cache_hook import TeacherFeatureCacheHook

__all__ = ['LossGuardHook', 'UnstableLossError', 'TeacherFeatureCacheHook']
