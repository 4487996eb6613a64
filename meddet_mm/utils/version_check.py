"""Check the installed OpenMMLab stack against the versions meddet_mm supports.

Each package is found by importing it and reading its ``__version__``, not by
its distribution name, so maintained forks that keep the import names (e.g.
``onedl-mmcv`` installs the module ``mmcv``) pass. The windows mirror
``install_requires`` in ``setup.cfg``; a version outside a window gives a
warning, a package that cannot be imported an ImportError, each saying what
to install.
"""
import importlib
import warnings
from typing import Optional

from packaging.version import InvalidVersion, Version

# import name -> (minimum inclusive, maximum exclusive, install hint)
SUPPORTED_VERSIONS = {
    'mmengine': ('0.10.0', '0.11.0', 'pip install "mmengine==0.10.7"'),
    'mmcv': ('2.0.0', '2.2.0',
             'bash tools/setup_env.sh  (builds mmcv 2.1.0 with its ops)'),
    'mmdet': ('3.3.0', '3.4.0', 'pip install "mmdet==3.3.0"'),
    'mmrazor': ('1.0.0', '1.1.0', 'pip install "mmrazor==1.0.0"'),
}


class _ImportFailed(Exception):
    """``import module`` raised something other than ImportError."""


def installed_version(module: str) -> Optional[str]:
    """Return ``module.__version__`` of the importable module, or None.

    Args:
        module (str): Import name, e.g. ``'mmcv'``.

    Returns:
        str | None: The version string (``'unknown'`` when the module has
        no ``__version__``); None when the module is not installed.

    Raises:
        _ImportFailed: The module exists but importing it raised another
            error (for example an upstream assertion on another package's
            version).
    """
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    except Exception as e:  # upstream __init__ asserts, broken builds
        raise _ImportFailed(f'{type(e).__name__}: {e}') from e
    return str(getattr(mod, '__version__', 'unknown'))


def check_versions(strict_missing: bool = True) -> dict:
    """Check the OpenMMLab packages meddet_mm depends on.

    Args:
        strict_missing (bool): Raise ImportError when a package cannot be
            imported. Defaults to True.

    Returns:
        dict: import name -> version found (None if missing).
    """
    found = {}
    for name, (low, high, hint) in SUPPORTED_VERSIONS.items():
        try:
            version = installed_version(name)
        except _ImportFailed as e:
            raise ImportError(
                f'meddet_mm needs {name}>={low},<{high}, but "import {name}" '
                f'failed with {e}. Install a supported version with: {hint}'
            ) from e
        found[name] = version
        if version is None:
            if strict_missing:
                raise ImportError(
                    f'meddet_mm needs {name}>={low},<{high} but it is not '
                    f'installed. Install it with: {hint}')
            continue
        try:
            supported = Version(low) <= Version(version) < Version(high)
        except InvalidVersion:
            supported = False
        if not supported:
            warnings.warn(
                f'meddet_mm is tested with {name}>={low},<{high} but found '
                f'{name}=={version}; things may break. Install a supported '
                f'version with: {hint}',
                stacklevel=2)
    return found
