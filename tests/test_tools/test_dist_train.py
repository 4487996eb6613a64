"""tools/dist_train.sh with 2 CPU processes (gloo): plain GFL and MedDet."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from conftest import REPO_ROOT
from tiny_data import tiny_train_config, write_tiny_coco
from tiny_models import MEDDET_OPTIM, tiny_mbv2_gfl, tiny_meddet

pytestmark = pytest.mark.slow


def _config(root, model, extra=''):
    _, ann = write_tiny_coco(root, num_images=8)
    text = tiny_train_config(root + '/', ann, model, root + '/work',
                             max_iters=3)
    text += ("custom_imports = dict(imports=['meddet_mm', 'ddp_probe_hook'], "
             "allow_failed_imports=False)\n")
    text += (f"custom_hooks = [dict(type='MeddetTestRankWeightsDumpHook', "
             f"out_dir='{root}/ranks')]\n") + extra
    path = osp.join(root, 'cfg.py')
    with open(path, 'w') as f:
        f.write(text)
    return path


@pytest.mark.parametrize('kind', ['gfl', 'meddet'])
def test_two_processes_keep_ranks_identical(tmp_path, kind):
    root = str(tmp_path)
    if kind == 'gfl':
        cfg = _config(root, tiny_mbv2_gfl())
    else:
        cfg = _config(root, tiny_meddet(),
                      f'optim_wrapper = {MEDDET_OPTIM!r}\n'
                      "model_wrapper_cfg = dict(type="
                      "'MMSeparateDistributedDataParallel')\n")
    env = dict(os.environ,
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ['PATH'],
               PYTHONPATH=osp.join(REPO_ROOT, 'tests'),
               PORT=str(29600 + (kind == 'meddet')))
    proc = subprocess.run(['bash', 'tools/dist_train.sh', cfg, '2'],
                          cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # one checkpoint, written once (by rank 0)
    assert [osp.basename(p) for p in glob.glob(root + '/work/*.pth')] == [
        'iter_3.pth']
    r0 = torch.load(f'{root}/ranks/end_rank0.pth')
    r1 = torch.load(f'{root}/ranks/end_rank1.pth')
    start = torch.load(f'{root}/ranks/start_rank0.pth')
    expected = {'backbone', 'neck', 'bbox_head'} if kind == 'gfl' else {
        'architecture', 'distiller', 'discriminator', 'teachers'}
    assert expected <= set(r0)
    learning = ['backbone', 'bbox_head'] if kind == 'gfl' else [
        'architecture', 'distiller', 'discriminator']
    for child in learning:  # training really changed them ...
        assert any(not torch.equal(v, start[child][k])
                   for k, v in r0[child].items()), child
    if kind == 'meddet':  # ... but never the frozen teachers
        for k, v in r0['teachers'].items():
            assert torch.equal(v, start['teachers'][k]), k
    for child in r0:
        assert r0[child].keys() == r1[child].keys()
        for key, value in r0[child].items():
            assert torch.equal(value, r1[child][key]), f'{child}.{key}'
