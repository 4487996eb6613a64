"""Compatibility shims for the upstream OpenMMLab stack, all in one place.

Imported by ``meddet_mm/__init__.py`` before anything from mmrazor, so a config
with ``custom_imports=dict(imports=['meddet_mm'])`` gets a working stack. Each
shim checks for the problem first and does nothing where upstream is fine.
No upstream file or class is modified.

1. mmrazor 1.0.0 quantization backend configs vs torch >= 2.x (seen with
   torch 2.14): ``mmrazor.structures.quantization.backend_config`` calls torch
   APIs that no longer exist (``fuser_method_mappings.reverse2``,
   ``BackendPatternConfig._set_overwrite_output_fake_quantize``), so *any*
   ``import mmrazor.models`` fails. meddet_mm only uses mmrazor's distillation
   API, so we register a stand-in module under that name whose entries raise a
   clear error when MMRazor quantization is actually used.
2. mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; torch >= 2.6
   defaults to ``weights_only=True`` and refuses the ``HistoryBuffer`` and
   numpy objects that a Runner checkpoint pickles, so ``--resume`` fails with
   ``UnpicklingError``. We keep safe loading on and add just those types to
   torch's allow-list (``torch.serialization.add_safe_globals``): any other
   pickled object in a checkpoint (e.g. a teacher from elsewhere) is still
   refused. ``builtins.getattr`` is on the list because torch pickles
   ``HistoryBuffer``'s statistics methods as ``getattr(HistoryBuffer,
   'min')``; the weights-only unpickler still refuses to *call* anything
   that is not itself allow-listed, so getattr can only look up attributes.
3. mmengine 0.10.7 ``init_dist('pytorch')`` always calls
   ``torch.cuda.set_device``, so a torchrun launch fails on a machine without
   a GPU. :func:`init_cpu_process_group` (called by ``tools/train.py`` and
   ``tools/test.py`` before the Runner) starts the gloo process group itself
   when there is no GPU; the Runner then finds it initialised and skips
   ``init_dist``.
"""
import sys
import types
from collections.abc import Mapping

import numpy as np
import torch

MMRAZOR_BACKEND_CONFIG = 'mmrazor.structures.quantization.backend_config'


def mmrazor_quantization_supported() -> bool:
    """Whether torch still has the APIs mmrazor 1.0.0 quantization uses."""
    try:
        from torch.ao.quantization import fuser_method_mappings
        from torch.ao.quantization.backend_config import BackendPatternConfig
    except ImportError:
        return False
    return (hasattr(fuser_method_mappings, 'reverse2') and hasattr(
        BackendPatternConfig, '_set_overwrite_output_fake_quantize'))


class QuantizationUnavailableError(RuntimeError):
    """Raised when MMRazor quantization is used on a torch that lacks it."""


def _unavailable(what: str):
    raise QuantizationUnavailableError(
        f'{what}: MMRazor 1.0.0 quantization does not work with torch '
        f'{torch.__version__} and was replaced by a placeholder in '
        f'meddet_mm/compat.py. meddet_mm only needs MMRazor distillation; use '
        f'torch<2.0 with mmrazor 1.0.0 if you need quantization.')


class _UnavailableBackendConfigs(Mapping):
    """Stand-in for ``BackendConfigs``: any lookup raises a clear error."""

    def __getitem__(self, key):
        _unavailable(f'BackendConfigs[{key!r}]')

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


def _placeholder(name: str):

    def fn(*args, **kwargs):
        _unavailable(name)

    fn.__name__ = name
    return fn


def install_mmrazor_quantization_standin() -> bool:
    """Register the backend-config stand-in if mmrazor would fail to import.

    Returns:
        bool: True if the stand-in was installed (now or earlier).
    """
    existing = sys.modules.get(MMRAZOR_BACKEND_CONFIG)
    if existing is not None:
        return getattr(existing, '__meddet_mm_standin__', False)
    if mmrazor_quantization_supported():
        return False
    module = types.ModuleType(MMRAZOR_BACKEND_CONFIG)
    module.__doc__ = 'meddet_mm stand-in, see meddet_mm/compat.py'
    module.__meddet_mm_standin__ = True
    module.BackendConfigs = _UnavailableBackendConfigs()
    names = ['BackendConfigs']
    for backend in ('native', 'academic', 'openvino', 'tensorrt'):
        for suffix in ('', '_dict'):
            name = f'get_{backend}_backend_config{suffix}'
            setattr(module, name, _placeholder(name))
            names.append(name)
    module.__all__ = names
    sys.modules[MMRAZOR_BACKEND_CONFIG] = module
    return True


def runner_checkpoint_safe_globals() -> list:
    """Types a mmengine Runner checkpoint pickles besides tensors."""
    from mmengine.logging import HistoryBuffer
    # numpy 2 moved numpy.core to numpy._core; pickles name the module they
    # were written with, so allow the reconstructor under both names.
    multiarray = getattr(np, '_core', None) or np.core
    safe = [HistoryBuffer, getattr, np.ndarray, np.dtype,
            multiarray.multiarray._reconstruct, multiarray.multiarray.scalar]
    # numpy scalars and their dtype classes (np.dtypes exists in numpy >= 1.25)
    scalar_types = {np.dtype(c).type for c in np.typecodes['All'] if c}
    safe += sorted(scalar_types, key=str)
    if hasattr(np, 'dtypes'):
        safe += [getattr(np.dtypes, n) for n in dir(np.dtypes)
                 if n.endswith('DType')]
    return safe


def allow_runner_checkpoints() -> bool:
    """Let ``weights_only`` loading accept mmengine Runner checkpoints."""
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:  # torch < 2.4: weights_only is not the default anyway
        return False
    add(runner_checkpoint_safe_globals())
    return True


def init_cpu_process_group(launcher: str) -> bool:
    """Start a gloo process group for a torchrun launch on a CPU machine.

    Returns:
        bool: True if this function initialised the process group.
    """
    import torch.distributed as dist
    if launcher != 'pytorch' or torch.cuda.is_available() or \
            not dist.is_available() or dist.is_initialized():
        return False
    dist.init_process_group(backend='gloo')  # env:// from torchrun
    return True


install_mmrazor_quantization_standin()
allow_runner_checkpoints()
