"""Registered meddet_mm dense_heads."""
from .nmode2_gfl_head import NmODE2GFLHead

__all__ = ['NmODE2GFLHead']
