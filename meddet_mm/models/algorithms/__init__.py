"""Registered distillation algorithms (mmrazor MODELS)."""
from .cached_fpn_teacher_distill import CachedFpnTeacherDistill
from .multi_teacher_adversarial_distill import MultiTeacherAdversarialDistill

__all__ = ['CachedFpnTeacherDistill', 'MultiTeacherAdversarialDistill']
