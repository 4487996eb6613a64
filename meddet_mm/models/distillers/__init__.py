"""Registered distillers (mmrazor MODELS)."""
from .meddet_distiller import MedDetDistiller, build_razor_module, resize_to

__all__ = ['MedDetDistiller', 'build_razor_module', 'resize_to']
