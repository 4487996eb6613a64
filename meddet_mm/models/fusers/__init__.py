"""Registered teacher-feature fusers (mmrazor MODELS)."""
from .base_fuser import BaseTeacherFuser
from .concat_fuser import ConcatFuser
from .lwff_fuser import LWFFFuser
from .sum_fuser import SumFuser

__all__ = ['BaseTeacherFuser', 'ConcatFuser', 'LWFFFuser', 'SumFuser']
