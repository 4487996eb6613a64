"""Registered model builders (mmrazor MODELS): functions that return a
module built from somewhere else, e.g. another config file."""
from .detector_from_config import DetectorFromConfig, detector_config

__all__ = ['DetectorFromConfig', 'detector_config']
