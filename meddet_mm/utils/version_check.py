"""Check the installed OpenMMLab stack against the versions meddet_mm supports.

The windows here mirror ``install_requires`` in ``setup.cfg``; a mismatch gives
a warning (or an ImportError for a missing package) that says what to install.
"""
import warnings
from importlib import metadata

from packaging.version import Version

# name on PyPI -> (minimum inclusive, maximum exclusive, install hint)
SUPPORTED_VERSIONS = {
    'mmengine': ('0.10.0', '0.11.0', 'pip install "mmengine==0.10.7"'),
    'mmcv': ('2.0.0', '2.2.0',
             'bash tools/setup_env.sh  (builds mmcv 2.1.0 with its ops)'),
    'mmdet': ('3.3.0', '3.4.0', 'pip install "mmdet==3.3.0"'),
    'mmrazor': ('1.0.0', '1.1.0', 'pip install "mmrazor==1.0.0"'),
}


def installed_version(package: str):
    """Return the installed version string of ``package`` or None."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def check_versions(strict_missing: bool = True) -> dict:
    """Check the OpenMMLab packages meddet_mm depends on.

    Args:
        strict_missing (bool): Raise ImportError when a package is absent.
            Defaults to True.

    Returns:
        dict: package name -> installed version (None if missing).
    """
    found = {}
    for name, (low, high, hint) in SUPPORTED_VERSIONS.items():
        version = installed_version(name)
        found[name] = version
        if version is None:
            if strict_missing:
                raise ImportError(
                    f'meddet_mm needs {name}>={low},<{high} but it is not '
                    f'installed. Install it with: {hint}')
            continue
        if not Version(low) <= Version(version) < Version(high):
            warnings.warn(
                f'meddet_mm is tested with {name}>={low},<{high} but found '
                f'{name}=={version}; things may break. Install a supported '
                f'version with: {hint}',
                stacklevel=2)
    return found
