"""meddet_mm: MedDet multi-teacher generative adversarial distillation for
MRI lesion detection, as OpenMMLab (MMEngine / MMDetection / MMRazor) modules.

Importing the package applies the upstream compatibility shims
(:mod:`meddet_mm.compat`) and registers every module into the mmdet and
mmrazor registries, so configs only need
``custom_imports = dict(imports=['meddet_mm'], allow_failed_imports=False)``.
"""
from .version import __version__
from .utils.version_check import check_versions

check_versions()

from . import compat  # noqa: E402,F401  (must precede any mmrazor import)
from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__', 'check_versions']
