"""Registered meddet_mm backbones."""
from .nmode_backbone import NmODEBackbone

__all__ = ['NmODEBackbone']
