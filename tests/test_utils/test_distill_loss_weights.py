"""The MSKD loss-weight rule (docs/mskd.md): at initialisation each loss
group starts at fraction / groups of the detection loss; measured without
changing the model; the shipped MSKD constants are what the tool gives."""
import copy
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import meddet_mm  # noqa: F401
from conftest import REPO_ROOT
from meddet_mm.utils.distill_loss_weights import (distill_loss_weights,
                                                  measure_losses,
                                                  weights_from_losses)
from mmdet.registry import MODELS
from tiny_models import demo_batch, tiny_mbv2_gfl, tiny_resnet_gfl

GROUPS = dict(ffd='loss_ffd', rgd='loss_rgd')
SAMPLES = dict(from_student=True, recorder='data_samples', data_idx=1)


def tiny_mskd(ffd_weight=1.0, rgd_weight=1.0):
    """A tiny FpnTeacherDistill with FFD and RGD on 3 levels."""
    losses, mappings = {}, {}
    for i in range(3):
        losses[f'loss_ffd_fpn{i}'] = dict(
            type='mmrazor.FeatureFilteringDistillLoss',
            loss_weight=ffd_weight, standardize='sample')
        losses[f'loss_rgd_fpn{i}'] = dict(
            type='mmrazor.RegionGraphDistillLoss', loss_weight=rgd_weight)
        for kind in ('ffd', 'rgd'):
            mappings[f'loss_{kind}_fpn{i}'] = dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=i),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=i),
                data_samples=SAMPLES)
    return dict(
        type='mmrazor.FpnTeacherDistill',
        architecture=dict(tiny_mbv2_gfl(), _scope_='mmdet'),
        teacher=dict(tiny_resnet_gfl(18), _scope_='mmdet'),
        distiller=dict(
            type='mmrazor.ConfigurableDistiller',
            student_recorders=dict(
                fpn=dict(type='mmrazor.ModuleOutputs', source='neck'),
                data_samples=dict(
                    type='mmrazor.MethodInputs',
                    source='mmdet.models.detectors.base.BaseDetector.forward'
                )),
            teacher_recorders=dict(
                fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
            distill_losses=losses,
            loss_forward_mappings=mappings))


def build(cfg, seed=0):
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_groups_start_at_their_share_of_the_detection_loss():
    batch = demo_batch(batch_size=2, size=64)
    model = build(tiny_mskd(ffd_weight=0.7, rgd_weight=3.0))
    before = copy.deepcopy(model.state_dict())
    det, raw = measure_losses(model, batch, GROUPS)
    # measuring changes nothing, BN running statistics included
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, before[key], msg=key)
    assert det > 0 and raw['ffd'] > 0 and raw['rgd'] > 0
    weights = distill_loss_weights(model, batch, GROUPS, fraction=0.25)
    assert weights == pytest.approx(weights_from_losses(det, raw, 0.25))
    # the same model with those weights: each group is 1/8 of L_det
    reweighted = build(tiny_mskd(**{f'{g}_weight': w
                                    for g, w in weights.items()}))
    det2, raw2 = measure_losses(reweighted, batch, GROUPS)
    assert det2 == pytest.approx(det, rel=1e-5)
    with torch.no_grad():
        data = reweighted.data_preprocessor(batch, True)
        losses = reweighted(**data, mode='loss')
    for group, prefix in GROUPS.items():
        weighted = sum(v.item() for k, v in losses.items()
                       if k.startswith(f'distill.{prefix}'))
        assert weighted == pytest.approx(0.125 * det, rel=1e-4), group
    # the raw values do not depend on the weights the config had
    assert raw2 == pytest.approx(raw, rel=1e-5)


def test_rule_and_errors():
    assert weights_from_losses(2.0, dict(a=4.0, b=1.0), 0.5) == \
        pytest.approx(dict(a=0.125, b=0.5))
    with pytest.raises(ValueError, match='fraction must be > 0'):
        weights_from_losses(2.0, dict(a=1.0), 0.0)
    with pytest.raises(ValueError, match=r"group\(s\) \['b'\]"):
        weights_from_losses(2.0, dict(a=1.0, b=0.0))
    model = build(tiny_mskd())
    with pytest.raises(KeyError, match=r"group\(s\) \['kd'\]"):
        measure_losses(model, demo_batch(batch_size=1, size=64),
                       dict(ffd='loss_ffd', kd='loss_kd'))


def test_shipped_mskd_weights_are_what_the_tool_gives(spider_root):
    config = osp.join(REPO_ROOT, 'configs', 'kd_baselines',
                      'mskd_fpn_gfl-r101_gfl-mbv2_1x_spider-protrusion.py')
    cfg = Config.fromfile(config)
    # the SPIDER config reads the shared data from its default place
    assert osp.samefile(
        osp.join(REPO_ROOT, cfg.train_dataloader.dataset.data_root),
        spider_root)
    out = subprocess.run(
        [sys.executable, 'tools/analysis_tools/distill_loss_weights.py',
         config, '--groups', 'ffd=loss_ffd', 'rgd=loss_rgd',
         '--no-teacher-ckpt'],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert out.returncode == 0, out.stderr[-2000:]
    lines = dict(line.split(' = ') for line in out.stdout.splitlines()
                 if line.endswith(tuple('0123456789')) and ' = ' in line)
    for group in ('ffd', 'rgd'):
        shipped = cfg[f'{group}_weight']
        assert float(lines[f'{group}_weight']) == pytest.approx(
            shipped, rel=0.1), group
    cdh = Config.fromfile(config.replace('spider-protrusion', 'cdh'))
    assert (cdh.ffd_weight, cdh.rgd_weight) == (cfg.ffd_weight,
                                                cfg.rgd_weight)
