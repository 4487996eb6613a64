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


@pytest.fixture(scope='module')
def trained(tiny_config):
    """Train the tiny config for 2 iterations; returns (config, ckpt, out)."""
    cfg, work_dir = tiny_config
    out = run([sys.executable, 'tools/train.py', cfg, '--local-rank', '0'])
    return cfg, osp.join(work_dir, 'iter_2.pth'), out


def test_train_then_resume_then_test(tiny_config, trained):
    cfg, work_dir = tiny_config
    _, ckpt, out = trained
    assert 'coco/bbox_mAP' in out  # validation ran
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
    assert 'coco/non-protrusion_recall' in out  # per-class recall
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


def test_infer_on_png_folder_and_nifti(trained, tmp_path):
    cfg, ckpt, _ = trained
    img_dir = osp.join(osp.dirname(cfg), 'images')
    out_dir = str(tmp_path / 'infer')
    out = run([sys.executable, 'tools/infer.py', img_dir, cfg, ckpt,
               '--out-dir', out_dir, '--score-thr', '0.0'])
    assert '[4/4]' in out
    with open(osp.join(out_dir, 'img_000.json')) as f:
        result = json.load(f)
    assert (result['height'], result['width']) == (64, 80)
    assert result['detections'], 'score-thr 0 keeps every detection'
    det = result['detections'][0]
    assert det['label'] in ('protrusion', 'non-protrusion')
    assert len(det['bbox']) == 4 and 0 <= det['score'] <= 1
    assert osp.getsize(osp.join(out_dir, 'img_000.png')) > 0

    nib = pytest.importorskip('nibabel')
    import numpy as np
    vol = np.random.default_rng(0).normal(300, 50, (80, 64, 5))
    nii = str(tmp_path / 'slice.nii.gz')
    nib.save(nib.Nifti1Image(vol.astype(np.float32), np.eye(4)), nii)
    out = run([sys.executable, 'tools/infer.py', nii, cfg, ckpt,
               '--out-dir', out_dir, '--slice-index', '2'])
    assert osp.isfile(osp.join(out_dir, 'slice.json'))


def test_infer_missing_checkpoint_is_named(tiny_config, tmp_path):
    cfg, _ = tiny_config
    proc = subprocess.run([sys.executable, 'tools/infer.py', cfg, cfg,
                           str(tmp_path / 'none.pth')], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and 'none.pth' in proc.stderr


def test_exploding_loss_stops_the_run_before_saving(tiny_config, tmp_path):
    cfg, _ = tiny_config
    work = str(tmp_path / 'guard')
    proc = subprocess.run([
        sys.executable, 'tools/train.py', cfg, '--work-dir', work,
        '--cfg-options', 'custom_hooks.0.max_loss=1e-6',
        'default_hooks.checkpoint.interval=1'
    ], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'UnstableLossError: loss' in proc.stderr
    assert 'at iteration 1 (above max_loss=1e-06)' in proc.stderr
    assert not glob.glob(osp.join(work, '*.pth'))  # nothing bad was saved


@pytest.mark.parametrize('case',
                         ['module_typo', 'missing_teacher', 'corrupt_image'])
def test_bad_input_gives_one_error_line(tiny_config, tmp_path, case):
    cfg, _ = tiny_config
    if case == 'corrupt_image':
        root = str(tmp_path / 'data')
        _, ann = write_tiny_coco(root)
        with open(osp.join(root, 'images', 'img_001.png'), 'wb') as f:
            f.write(b'\x89PNG truncated')
        bad = tmp_path / 'corrupt.py'
        bad.write_text(tiny_train_config(root + '/', ann, tiny_mbv2_gfl(),
                                         str(tmp_path / 'wd')))
        cmd = [str(bad)]
        expected = 'img_001.png'
    elif case == 'module_typo':
        bad = tmp_path / 'typo.py'
        bad.write_text(open(cfg).read().replace("'type': 'GFL'",
                                                "'type': 'GFLL'"))
        # its own work dir: the shared one holds checkpoints, which
        # train.py (rightly) refuses to overwrite before building the model
        cmd = [str(bad), '--work-dir', str(tmp_path / 'wd')]
        expected = "error: KeyError: GFLL is not in the mmdet::model registry"
    else:
        missing = str(tmp_path / 'r18.pth')
        cmd = ['configs/demo/meddet_gfl_mbv2_demo_synthetic.py',
               '--work-dir', str(tmp_path / 'wd'), '--cfg-options',
               f'model.teachers.r18.ckpt={missing}']
        expected = ("error: FileNotFoundError: teacher 'r18': checkpoint "
                    f'file not found: {missing}')
    proc = subprocess.run([sys.executable, 'tools/train.py', *cmd],
                          cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 1
    assert expected in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert proc.stderr.strip().splitlines()[-2].startswith('error: ')
