"""Registered runner hooks (mmdet HOOKS)."""
from .loss_guard_hook import LossGuardHook, UnstableLossError

__all__ = ['LossGuardHook', 'UnstableLossError']
