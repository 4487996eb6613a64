"""benchmarks/deploy_parity.py end to end on a tiny 'experiment': export,
INT8, tools/test.py and test_onnx.py, and the deploy.json it writes."""
import json
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from deploy_helpers import exported_fixture, tiny_data_fixture  # noqa: F401

pytestmark = pytest.mark.slow


def test_deploy_parity_writes_fp32_and_int8_deltas(tmp_path, exported):
    config, ckpt, _ = exported('nmode2')
    results = tmp_path / 'results'
    results.mkdir()
    (results / 'tiny-s0.json').write_text(json.dumps(
        dict(name='tiny-s0', config=config, checkpoint=ckpt, metrics={})))
    (results / 'gone-s0.json').write_text(json.dumps(
        dict(name='gone-s0', config=config,
             checkpoint=str(tmp_path / 'gone.pth'))))
    out = tmp_path / 'deploy.json'
    proc = subprocess.run(
        [sys.executable, 'benchmarks/deploy_parity.py', '--models',
         'tiny-s0', 'gone-s0', '--results-dir', str(results),
         '--calib-images', '2', '--threads', '1', '--keep',
         str(tmp_path / 'work'), '--out', str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    models = json.loads(out.read_text())['models']
    assert 'gone.pth' in models['gone-s0']['missing']
    tiny = models['tiny-s0']
    assert tiny['torch']['source'] == 'tools/test.py'
    fp32, int8 = tiny['onnx_fp32'], tiny['onnx_int8']
    assert abs(fp32['delta_mAP_points']) <= 0.1 and fp32['goal_met']
    assert fp32['parity']['max_abs_box_diff_px'] < 1e-3
    assert 0 <= int8['coco/bbox_mAP'] <= 1
    assert int8['quantization']['ops']['int8']['Conv'] > 10
