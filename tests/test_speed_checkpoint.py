"""benchmarks/speed.py never runs code stored in a checkpoint's pickle."""
import json
import os.path as osp
import sys

import pytest
import torch

from conftest import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'benchmarks'))
import speed  # noqa: E402


class _RunsCode:
    """Unpickling this object calls ``open(marker, 'w')``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_load_trained_refuses_pickled_code(tmp_path, monkeypatch):
    marker = tmp_path / 'code_ran'
    ckpt = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _RunsCode(str(marker))}, ckpt)
    results = tmp_path / 'benchmarks' / 'results'
    results.mkdir(parents=True)
    (results / 'evil-run.json').write_text(
        json.dumps({'checkpoint': str(ckpt)}))
    monkeypatch.setattr(speed, 'REPO_ROOT', str(tmp_path))
    monkeypatch.setitem(speed.TRAINED, 'evil_model', 'evil-run')

    with pytest.raises(SystemExit, match='evil.pth: refused to load'):
        speed.load_trained(torch.nn.Linear(1, 1), 'evil_model')
    assert not marker.exists(), 'the checkpoint pickle ran code'
