"""tools/train.py, tools/test.py and `mim train mmdet` on a tiny config."""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from tiny_data import tiny_train_config, write_tiny_coco
from tiny_models import tiny_mbv2_gfl

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('tinycoco'))
    _, ann = write_tiny_coco(root)
    work_dir = osp.join(root, 'work')
    path = osp.join(root, 'tiny_gfl.py')
    with open(path, 'w') as f:
        f.write(tiny_train_config(root + '/', ann, tiny_mbv2_gfl(), work_dir))
    return path, work_dir


def run(cmd, cwd=REPO_ROOT, timeout=600):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_train_then_resume_then_test(tiny_config):
    cfg, work_dir = tiny_config
    out = run([sys.executable, 'tools/train.py', cfg, '--local-rank', '0'])
    assert 'coco/bbox_mAP' in out  # validation ran
    ckpt = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(ckpt)
    # resume from it for two more iterations (runner checkpoints load with
    # torch's weights_only default thanks to meddet_mm.compat)
    out = run([sys.executable, 'tools/train.py', cfg, '--resume', ckpt,
               '--local_rank', '0', '--cfg-options',
               'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
               'default_hooks.checkpoint.interval=4'])
    assert 'resumed' in out.lower() or 'Load checkpoint' in out
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))
    test_dir = osp.join(work_dir, 'test')
    out = run([sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir',
               test_dir, '--benchmark', '--num-images', '3', '--warmup', '1'])
    assert 'coco/bbox_mAP' in out and 'coco/bbox_AR@100' in out
    assert 'protrusion_precision' in out  # per-class AP
    with open(osp.join(test_dir, 'benchmark.json')) as f:
        bench = json.load(f)
    assert bench['num_images'] == 3 and bench['fps'] > 0
    assert bench['input_hw'] == [64, 80]
    # the tiny student: a 0.25-wide MobileNetV2 GFL, well under 1 M params
    assert 0.1 < bench['params_M'] < 1.0 and bench['gflops'] > 0


def test_config_typo_is_reported(tiny_config, tmp_path):
    cfg, _ = tiny_config
    bad = tmp_path / 'typo.py'
    bad.write_text(open(cfg).read().replace('train_dataloader',
                                            'trian_dataloader'))
    proc = subprocess.run([sys.executable, 'tools/train.py', str(bad)],
                          cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "did you mean 'train_dataloader'" in proc.stderr


@pytest.mark.skipif(shutil.which('mim') is None and not osp.exists(
    osp.join(osp.dirname(sys.executable), 'mim')), reason='openmim missing')
def test_mim_train_mmdet(tiny_config, tmp_path):
    cfg, _ = tiny_config
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    work = str(tmp_path / 'mim_work')
    out = run([mim, 'train', 'mmdet', cfg, '--gpus', '0', '--work-dir',
               work])
    assert 'coco/bbox_mAP' in out
    assert glob.glob(osp.join(work, 'iter_*.pth'))
