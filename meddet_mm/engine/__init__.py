"""Runner-side components: hooks."""
from .hooks import LossGuardHook, TeacherFeatureCacheHook, UnstableLossError

__all__ = ['LossGuardHook', 'UnstableLossError', 'TeacherFeatureCacheHook']
