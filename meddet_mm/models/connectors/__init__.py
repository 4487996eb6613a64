"""Registered meddet_mm connectors (mmrazor MODELS)."""
from .afa_connector import AFAConnector

__all__ = ['AFAConnector']
