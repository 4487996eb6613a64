"""meddet_mm.deploy imports and works in an interpreter where torch, mmcv,
mmdet, mmengine and mmrazor cannot be imported; the rest of meddet_mm says
clearly that it needs them."""
import subprocess
import sys

from conftest import REPO_ROOT
from deploy_helpers import BLOCKER, run_without_stack


def test_deploy_package_needs_no_training_stack(tmp_path):
    run_without_stack(f"""
        import warnings
        warnings.simplefilter('error')  # no warning when torch is absent
        import cv2
        import numpy as np
        import meddet_mm
        import meddet_mm.deploy as deploy
        from meddet_mm.deploy import quantize, runner  # noqa: F401
        assert meddet_mm.__version__.count('.') == 2

        # reading, resizing and post-processing run without torch
        cv2.imwrite({str(tmp_path / 'a.png')!r},
                    np.full((40, 30), 128, np.uint8))
        img = deploy.to_bgr_uint8(
            deploy.read_medical_slice({str(tmp_path / 'a.png')!r}))
        resized, scale = deploy.resize_image(
            img, deploy.ResizeRule(scale_wh=(60, 80)))
        assert resized.shape == (80, 60, 3) and scale == (2.0, 2.0)
        boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11]], np.float32)
        scores = np.array([[0.9], [0.8]], np.float32)
        dets = deploy.postprocess(boxes, scores, [2], (80, 60), scale,
                                  deploy.PostprocessConfig(nms_iou=0.5))
        assert len(dets) == 1 and dets.boxes[0, 2] == 5.0

        # the training side fails with a message naming what is missing
        try:
            meddet_mm.models
        except ImportError as exc:
            assert 'torch' in str(exc) and 'meddet_mm.deploy' in str(exc)
        else:
            raise AssertionError('meddet_mm.models did not raise')
    """)


def test_partial_stack_warns():
    """torch present, mmrazor missing: a warning, no registration."""
    code = BLOCKER.replace("('torch', 'torchvision', 'mmcv', 'mmdet', "
                           "'mmengine', 'mmrazor')", "('mmrazor', )") + """
import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    import meddet_mm
assert any('mmrazor is not installed' in str(w.message) for w in caught), \
    [str(w.message) for w in caught]
assert 'meddet_mm.models' not in sys.modules
"""
    assert "('mmrazor', )" in code
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
