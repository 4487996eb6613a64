"""Registered meddet_mm layers."""
from .nmode import BaseNmODE, NmODE, NmODE2, NmODELevels, build_nmode_block

__all__ = ['BaseNmODE', 'NmODE', 'NmODE2', 'NmODELevels', 'build_nmode_block']
