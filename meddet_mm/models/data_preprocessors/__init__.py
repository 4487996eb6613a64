"""Data preprocessors (mmdet MODELS): privileged teacher inputs."""
from .privileged_data_preprocessor import PrivilegedDetDataPreprocessor

__all__ = ['PrivilegedDetDataPreprocessor']
