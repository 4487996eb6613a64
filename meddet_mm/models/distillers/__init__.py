"""Registered distillers (mmrazor MODELS)."""
from .meddet_distiller import MedDetDistiller, resize_to

__all__ = ['MedDetDistiller', 'resize_to']
