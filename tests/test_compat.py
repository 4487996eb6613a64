"""The upstream shims in meddet_mm/compat.py."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import meddet_mm
from meddet_mm import compat


def test_mmrazor_distillation_api_imports():
    import mmrazor.models  # noqa: F401
    from mmrazor.models import ConfigurableDistiller, FpnTeacherDistill
    assert FpnTeacherDistill is not None and ConfigurableDistiller


@pytest.mark.skipif(compat.mmrazor_quantization_supported(),
                    reason='this torch still supports mmrazor quantization')
def test_quantization_placeholder_raises_clear_error():
    from mmrazor.structures.quantization import (BackendConfigs,
                                                 get_native_backend_config)
    with pytest.raises(compat.QuantizationUnavailableError,
                       match='meddet_mm/compat.py'):
        BackendConfigs['native']
    with pytest.raises(compat.QuantizationUnavailableError):
        get_native_backend_config()


def test_importing_mmrazor_without_meddet_fails_but_with_it_works():
    """Proves the stand-in is what makes mmrazor importable here."""
    code = 'import mmrazor.models'
    bare = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True)
    ours = subprocess.run(
        [sys.executable, '-c', 'import meddet_mm; ' + code],
        capture_output=True, text=True)
    assert ours.returncode == 0, ours.stderr
    if not compat.mmrazor_quantization_supported():
        assert bare.returncode != 0


def test_runner_checkpoint_objects_load_with_weights_only(tmp_path):
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.5)
    ckpt = dict(
        message_hub=dict(log_scalars={'loss': buf}),
        meta=dict(seed=np.int64(3), arr=np.arange(3, dtype=np.float32),
                  f=np.float64(0.5)),
        state_dict={'w': torch.ones(2)})
    path = tmp_path / 'runner.pth'
    torch.save(ckpt, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded['message_hub']['log_scalars']['loss'].current() == 1.5
    np.testing.assert_array_equal(loaded['meta']['arr'], np.arange(3))


def test_unknown_pickled_objects_are_still_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'obj': subprocess.Popen}, path)
    with pytest.raises(Exception, match='(?i)weights_only|unsupported'):
        torch.load(path, weights_only=True)
    with pytest.raises(Exception):
        torch.load(path)  # default is weights_only=True on torch >= 2.6


def test_getattr_results_cannot_be_called(tmp_path):
    """getattr is allow-listed; calling what it returns must still fail."""
    import pickle
    # getattr(HistoryBuffer, 'mro')() -- a call of a non-allow-listed result
    lookup = (b'\x80\x02cbuiltins\ngetattr\n'
              b'cmmengine.logging.history_buffer\nHistoryBuffer\n'
              b'X\x03\x00\x00\x00mro\x86R')
    got = torch.load(_as_torch_file(tmp_path, lookup + b'.'),
                     weights_only=True)
    assert callable(got)  # the lookup alone is allowed ...
    with pytest.raises(pickle.UnpicklingError, match='unrecognized function'):
        torch.load(_as_torch_file(tmp_path, lookup + b')R.'),
                   weights_only=True)  # ... calling its result is not


def _as_torch_file(tmp_path, data_pkl: bytes):
    """Wrap raw pickle bytes in torch's zip checkpoint layout."""
    import zipfile
    path = tmp_path / 'payload.pth'
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('archive/data.pkl', data_pkl)
        zf.writestr('archive/byteorder', 'little')
        zf.writestr('archive/version', '3\n')
    return path


def test_version_check_warns_with_install_hint(monkeypatch):
    from meddet_mm.utils import version_check
    monkeypatch.setattr(version_check, 'installed_version',
                        lambda name: '9.9.9' if name == 'mmdet' else '1.0.0')
    monkeypatch.setattr(version_check, 'SUPPORTED_VERSIONS', {
        'mmdet': ('3.3.0', '3.4.0', 'pip install "mmdet==3.3.0"')})
    with pytest.warns(UserWarning, match='mmdet==3.3.0'):
        version_check.check_versions()
    monkeypatch.setattr(version_check, 'installed_version', lambda name: None)
    with pytest.raises(ImportError, match='pip install'):
        version_check.check_versions()


def test_package_version():
    assert meddet_mm.__version__.count('.') == 2
