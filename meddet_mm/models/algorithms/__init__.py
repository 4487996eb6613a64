"""Registered distillation algorithms (mmrazor MODELS)."""
from .multi_teacher_adversarial_distill import MultiTeacherAdversarialDistill

__all__ = ['MultiTeacherAdversarialDistill']
