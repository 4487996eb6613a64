"""benchmarks/demo_localisation.py: per-disc best IoU and its summary."""
import os.path as osp
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'benchmarks'))
import demo_localisation as loc  # noqa: E402


def test_best_iou_per_disc():
    gt = np.array([[0, 0, 20, 6], [40, 0, 60, 6]], dtype=float)
    pred = np.array([[0, 0, 20, 3],     # half of disc 0: IoU 0.5
                     [40, 0, 60, 6],    # disc 1 exactly
                     [100, 100, 120, 106]], dtype=float)
    np.testing.assert_allclose(loc.best_ious(gt, pred), [0.5, 1.0])
    np.testing.assert_allclose(loc.best_ious(gt, pred[:0]), [0., 0.])


def test_summary_shares_and_misses():
    ious = np.array([0.2, 0.45, 0.55, 0.8])
    row = loc.summarise(ious, confident_fp=3,
                        sizes=np.array([[20., 6.]] * 4))
    assert row['missed_at_iou_05'] == 0.5
    assert row['found_at_iou_075'] == 0.25
    shares = row['best_iou_shares']
    assert shares['best_iou_0-0.3'] == 0.25
    assert shares['best_iou_0.3-0.5'] == 0.25
    assert abs(sum(shares.values()) - 1) < 1e-6
    assert row['confident_false_positives'] == 3


def test_model_spec_errors_name_the_problem(tmp_path):
    with pytest.raises(SystemExit, match='NAME=CONFIG:CHECKPOINT'):
        loc.parse_model('no-equals-sign')
    missing = str(tmp_path / 'none.pth')
    with pytest.raises(SystemExit, match='file not found: .*none.pth'):
        loc.parse_model(f'a=configs/demo/gfl_r18_fpn_nmode2_demo_synthetic.py'
                        f':{missing}')
