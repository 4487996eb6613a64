"""Registered meddet_mm layers."""
from .nmode import BaseNmODE, NmODE, NmODE2, NmODELevels, build_nmode_block
from .nmode_bottleneck import NmODEBottleneck

__all__ = [
    'BaseNmODE', 'NmODE', 'NmODE2', 'NmODEBottleneck', 'NmODELevels',
    'build_nmode_block'
]
