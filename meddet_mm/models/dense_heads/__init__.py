"""Registered meddet_mm dense_heads."""
from .depthwise_gfl_head import DepthwiseGFLHead
from .nmode2_gfl_head import NmODE2GFLHead

__all__ = ['DepthwiseGFLHead', 'NmODE2GFLHead']
