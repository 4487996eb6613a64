"""Runner-side components: hooks."""
from .hooks import LossGuardHook, UnstableLossError

__all__ = ['LossGuardHook', 'UnstableLossError']
