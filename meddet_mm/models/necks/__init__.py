"""Registered meddet_mm necks."""
from .nmode_neck import NmODENeck

__all__ = ['NmODENeck']
