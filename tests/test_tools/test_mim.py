"""OpenMMLab's launcher: `mim train meddet_mm`, `mim test meddet_mm` and
`mim run meddet_mm` find our tools in meddet_mm/.mim (built at install),
and `mim train mmdet` still trains our configs; one iteration each."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from meddet_mm.testing import tiny_train_config, write_tiny_coco
from meddet_mm.testing import tiny_mbv2_gfl

pytestmark = pytest.mark.slow
MIM = osp.join(osp.dirname(sys.executable), 'mim')
PACKAGE_DIR = osp.join(REPO_ROOT, 'meddet_mm')


def mim(*args, cwd=None):
    if not osp.exists(MIM):
        pytest.skip('openmim is not installed (make install installs it)')
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run([MIM, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('mim'))
    _, ann = write_tiny_coco(root, num_images=2)
    path = osp.join(root, 'tiny_gfl.py')
    with open(path, 'w') as f:
        f.write(tiny_train_config(root + '/', ann, tiny_mbv2_gfl(),
                                  osp.join(root, 'work'), max_iters=1))
    return path


def test_mim_folder_is_built_at_install():
    for item in ('tools/train.py', 'tools/test.py',
                 'tools/analysis_tools/clinical_report.py',
                 'configs/_base_/default_runtime.py'):
        assert osp.isfile(osp.join(PACKAGE_DIR, '.mim', item)), (
            f'meddet_mm/.mim/{item} is missing: install the package with '
            '`make install` (or pip install -e .), which builds .mim')


def test_mim_train_then_test_meddet_mm(tiny_config, tmp_path):
    work = str(tmp_path / 'train')
    # run from elsewhere: mim must find the tools through the package
    out = mim('train', 'meddet_mm', tiny_config, '--gpus', '0',
              '--work-dir', work, cwd=str(tmp_path))
    assert 'Iter(train) [1/1]' in out and 'coco/bbox_mAP' in out
    ckpt = osp.join(work, 'iter_1.pth')
    assert osp.isfile(ckpt), glob.glob(osp.join(work, '*'))

    test_dir = str(tmp_path / 'test')
    out = mim('test', 'meddet_mm', tiny_config, '--checkpoint', ckpt,
              '--gpus', '0', '--work-dir', test_dir, cwd=str(tmp_path))
    assert 'coco/bbox_mAP' in out
    with open(osp.join(test_dir, 'metrics.json')) as f:
        assert 'coco/bbox_mAP' in json.load(f)


def test_mim_run_meddet_mm_tool(tmp_path):
    # '--' keeps mim from answering --help itself
    out = mim('run', 'meddet_mm', 'clinical_report', '--', '--help',
              cwd=str(tmp_path))
    assert 'per-disc clinical report' in out.lower()


def test_mim_train_mmdet_still_works(tiny_config, tmp_path):
    work = str(tmp_path / 'mmdet_train')
    out = mim('train', 'mmdet', tiny_config, '--gpus', '0', '--work-dir',
              work, cwd=REPO_ROOT)
    assert 'coco/bbox_mAP' in out
    assert osp.isfile(osp.join(work, 'iter_1.pth'))
