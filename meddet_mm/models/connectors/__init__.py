"""Registered meddet_mm connectors (mmrazor MODELS)."""
from .afa_connector import AFAConnector, resize_to

__all__ = ['AFAConnector', 'resize_to']
