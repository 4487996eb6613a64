"""A MedDet run killed with SIGKILL and resumed ends with exactly the same
weights as an uninterrupted run (CPU, fixed seed, deterministic)."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

import meddet_mm  # noqa: F401  (runner checkpoints load with weights_only)

from conftest import REPO_ROOT
from tiny_data import tiny_train_config, write_tiny_coco
from tiny_models import MEDDET_OPTIM, tiny_meddet

pytestmark = pytest.mark.slow
MAX_ITERS = 8
OPTIONS = ['--cfg-options', 'default_hooks.checkpoint.interval=1',
           'default_hooks.checkpoint.max_keep_ckpts=-1']


def _config(root):
    _, ann = write_tiny_coco(root, num_images=8)
    text = tiny_train_config(root + '/', ann, tiny_meddet(), root + '/work',
                             max_iters=MAX_ITERS)
    text += f'optim_wrapper = {MEDDET_OPTIM!r}\n'
    text += 'randomness = dict(seed=0, deterministic=True)\n'
    path = osp.join(root, 'cfg.py')
    with open(path, 'w') as f:
        f.write(text)
    return path


def _train(cfg, work_dir, *extra):
    cmd = [sys.executable, 'tools/train.py', cfg, '--work-dir', work_dir,
           *extra, *OPTIONS]
    return subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _latest(work_dir):
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return ''
    with open(marker) as f:
        return f.read().strip()


def _weights(path):
    state = torch.load(path, map_location='cpu')['state_dict']
    return {k: v for k, v in state.items() if not k.endswith('_extra_state')}


def test_kill9_then_resume_is_bit_exact(tmp_path):
    cfg = _config(str(tmp_path))
    full, killed = str(tmp_path / 'full'), str(tmp_path / 'killed')

    proc = _train(cfg, full)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()[-3000:]

    proc = _train(cfg, killed)
    deadline = time.time() + 600
    while not _latest(killed).endswith('iter_3.pth'):
        assert proc.poll() is None, 'finished before it could be killed'
        assert time.time() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert not osp.exists(osp.join(killed, f'iter_{MAX_ITERS}.pth'))

    proc = _train(cfg, killed, '--resume')
    assert proc.wait(timeout=600) == 0, proc.stderr.read()[-3000:]

    expected = _weights(osp.join(full, f'iter_{MAX_ITERS}.pth'))
    got = _weights(osp.join(killed, f'iter_{MAX_ITERS}.pth'))
    assert expected.keys() == got.keys()
    different = [k for k in expected if not torch.equal(expected[k], got[k])]
    assert not different, f'{len(different)} tensors differ: {different[:5]}'
