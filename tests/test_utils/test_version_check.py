"""The version check finds packages by import name, so forks that install
the same modules under another distribution name (onedl-mmcv, ...) pass."""
import sys
import types
from importlib import metadata

import pytest

from meddet_mm.utils import version_check


def fake_module(name, version):
    mod = types.ModuleType(name)
    if version is not None:
        mod.__version__ = version
    return mod


@pytest.fixture
def fork(monkeypatch):
    """A fork of the stack: modules with the usual import names, and no
    distribution called mmengine / mmcv / mmdet / mmrazor."""
    versions = dict(mmengine='0.10.7', mmcv='2.1.0', mmdet='3.3.0',
                    mmrazor='1.0.0')
    for name, version in versions.items():
        monkeypatch.setitem(sys.modules, name, fake_module(name, version))

    def no_such_distribution(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, 'version', no_such_distribution)
    monkeypatch.setattr(metadata, 'distribution', no_such_distribution)
    return versions


def test_fork_with_supported_versions_passes(fork, recwarn):
    assert version_check.check_versions() == fork
    assert not [w for w in recwarn if 'meddet_mm is tested' in
                str(w.message)]


def test_fork_outside_window_warns_with_hint(fork, monkeypatch):
    monkeypatch.setitem(sys.modules, 'mmdet', fake_module('mmdet', '3.4.1'))
    with pytest.warns(UserWarning,
                      match=r'mmdet>=3.3.0,<3.4.0 but found mmdet==3.4.1.*'
                      r'pip install "mmdet==3.3.0"'):
        found = version_check.check_versions()
    assert found['mmdet'] == '3.4.1'


def test_module_without_version_warns(fork, monkeypatch):
    monkeypatch.setitem(sys.modules, 'mmcv', fake_module('mmcv', None))
    with pytest.warns(UserWarning, match='found mmcv==unknown'):
        version_check.check_versions()


def test_missing_module_names_package_and_hint(fork, monkeypatch):
    monkeypatch.setitem(sys.modules, 'mmrazor', None)  # import -> ImportError
    with pytest.raises(ImportError,
                       match=r'needs mmrazor>=1.0.0,<1.1.0 but it is not '
                       r'installed.*pip install "mmrazor==1.0.0"'):
        version_check.check_versions()
    assert version_check.check_versions(strict_missing=False)[
        'mmrazor'] is None


def test_import_error_of_another_kind_is_reported(fork, monkeypatch):
    import importlib
    real = importlib.import_module

    def broken(name, *args, **kwargs):
        if name == 'mmdet':
            raise AssertionError('MMCV==2.2.0 is used but incompatible')
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, 'import_module', broken)
    with pytest.raises(ImportError,
                       match=r'"import mmdet" failed with AssertionError: '
                       r'MMCV==2.2.0 is used but incompatible'):
        version_check.check_versions()


def test_real_stack_is_in_its_windows(recwarn):
    found = version_check.check_versions()
    assert set(found) == set(version_check.SUPPORTED_VERSIONS)
    assert all(found.values())
