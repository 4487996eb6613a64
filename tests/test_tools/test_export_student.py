"""tools/model_converters/export_student.py: a distillation checkpoint becomes
a plain student checkpoint that mmdet's init_detector loads."""
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmrazor.registry import MODELS

import meddet_mm  # noqa: F401
from conftest import REPO_ROOT
from tiny_models import FPN_CHANNELS, demo_batch, tiny_mbv2_gfl, tiny_resnet_gfl


def test_export_then_init_detector(tmp_path):
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='no checkpoint'):
        algo = MODELS.build(
            dict(type='mmrazor.MultiTeacherAdversarialDistill',
                 architecture=tiny_mbv2_gfl(),
                 teachers=dict(t=dict(cfg=tiny_resnet_gfl(18))),
                 distiller=dict(type='MedDetDistiller',
                                student_channels=FPN_CHANNELS,
                                teacher_channels=FPN_CHANNELS,
                                distill_channels=FPN_CHANNELS)))
    algo.init_weights()
    ckpt = tmp_path / 'distill.pth'
    meta = dict(iter=3, dataset_meta=dict(classes=('protrusion',
                                                   'non-protrusion')))
    torch.save(dict(state_dict=algo.state_dict(), meta=meta), ckpt)
    out = tmp_path / 'student.pth'
    proc = subprocess.run([
        sys.executable, 'tools/model_converters/export_student.py',
        str(ckpt), str(out)
    ], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    exported = torch.load(out)
    assert exported['meta']['distilled_from_teachers']['t']['sha256'] is None
    assert not any(k.startswith(('teachers', 'distiller', 'discriminator',
                                 'architecture.'))
                   for k in exported['state_dict'])

    cfg_file = tmp_path / 'student_cfg.py'
    Config(dict(model=tiny_mbv2_gfl(), default_scope='mmdet',
                test_dataloader=dict(dataset=dict(type='CDHDataset')))).dump(
                    str(cfg_file))
    from mmdet.apis import init_detector
    detector = init_detector(str(cfg_file), str(out), device='cpu')
    assert detector.dataset_meta['classes'] == ('protrusion',
                                                'non-protrusion')
    algo.eval()
    data = detector.data_preprocessor(demo_batch(batch_size=1), False)
    with torch.no_grad():
        ours = detector(data['inputs'], mode='tensor')
        ref = algo.student(data['inputs'], mode='tensor')
    for a, b in zip(ours, ref):
        for x, y in zip(a, b):
            torch.testing.assert_close(x, y)


def test_export_rejects_a_plain_checkpoint(tmp_path):
    ckpt = tmp_path / 'plain.pth'
    torch.save(dict(state_dict={'backbone.w': torch.ones(1)}), ckpt)
    proc = subprocess.run([
        sys.executable, 'tools/model_converters/export_student.py',
        str(ckpt), str(tmp_path / 'o.pth')
    ], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'no "architecture.*" weights' in proc.stderr
