"""meddet_mm: MedDet multi-teacher generative adversarial distillation for
MRI lesion detection, as OpenMMLab (MMEngine / MMDetection / MMRazor) modules.

Importing the package applies the upstream compatibility shims
(:mod:`meddet_mm.compat`) and registers every module into the mmdet and
mmrazor registries, so configs only need
``custom_imports = dict(imports=['meddet_mm'], allow_failed_imports=False)``.

Where torch or an OpenMMLab package is not installed (a deployment machine
with only ONNX Runtime, docs/deployment.md), nothing is registered and only
:mod:`meddet_mm.deploy` is usable.
"""
import importlib.util
import warnings

from .version import __version__

# what the registered modules are built on
OPENMMLAB_STACK = ('torch', 'mmengine', 'mmcv', 'mmdet', 'mmrazor')


def _first_missing(names):
    """The first of ``names`` that cannot be imported, or None."""
    for name in names:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


_MISSING = _first_missing(OPENMMLAB_STACK)
if _MISSING is None:
    from .utils.version_check import check_versions

    check_versions()

    from . import compat  # noqa: E402,F401  (must precede any mmrazor import)
    from . import datasets, engine, evaluation, models  # noqa: E402,F401
else:
    if _MISSING != 'torch':  # a torch install without the stack: say so
        warnings.warn(
            f'meddet_mm: {_MISSING} is not installed, so no meddet_mm module '
            'is registered and only meddet_mm.deploy works; for training and '
            'testing run: bash tools/setup_env.sh')

    def __getattr__(name):
        if name in ('check_versions', 'compat', 'datasets', 'engine',
                    'evaluation', 'models', 'utils'):
            raise ImportError(
                f'meddet_mm.{name} needs torch and the OpenMMLab stack '
                f'({_MISSING} is not installed); only meddet_mm.deploy works '
                'without them')
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

__all__ = ['__version__', 'check_versions']
