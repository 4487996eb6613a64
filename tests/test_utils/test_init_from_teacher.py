"""The MGD/FGD recipe "student neck and head start from the teacher":
which tensors load (init_from_teacher_report), and that mmengine's
Pretrained init with a prefix does exactly that, shape mismatches keeping
the student's own init (configs/kd_baselines/README.md)."""
import os.path as osp

import torch
from mmengine.registry import DefaultScope

import meddet_mm  # noqa: F401
from conftest import REPO_ROOT
from meddet_mm.models.builders import detector_config
from meddet_mm.utils.init_from_teacher import (format_report,
                                               init_from_teacher_report)
from mmdet.registry import MODELS
from tiny_models import tiny_mbv2_gfl, tiny_resnet_gfl

LATERALS = [f'neck.lateral_convs.{i}.conv.weight' for i in range(3)]


def build(cfg):
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg)


def test_report_of_the_shipped_mgd_fgd_pair():
    """MobileNetV2 student vs the R-101 + nmODE2 teacher of the configs:
    all but the three lateral weights load; the nmODE2 blocks are unused."""
    configs = osp.join(REPO_ROOT, 'configs')
    student = build(detector_config(
        osp.join(configs, 'students', 'gfl_mbv2_fpn_1x_cdh.py')))
    teacher = build(detector_config(
        osp.join(configs, 'teachers', 'gfl_r101_fpn_nmode2_1x_cdh.py')))
    report = init_from_teacher_report(student, teacher)
    assert [k for k, _, _ in report['shape_mismatch']] == LATERALS
    assert report['shape_mismatch'][2][1:] == ((256, 1280, 1, 1),
                                              (256, 2048, 1, 1))
    assert report['missing'] == []
    assert sorted(report['unused']) == sorted(
        f'bbox_head.{b}_nmode.gamma_conv.{p}' for b in ('cls', 'reg')
        for p in ('weight', 'bias'))
    assert len(report['loaded']) == 47
    assert 'neck.lateral_convs.0.conv.bias' in report['loaded']
    assert 'bbox_head.gfl_cls.weight' in report['loaded']
    assert not any(k.startswith('backbone.') for k in report['loaded'])
    text = format_report(report)
    assert '47 tensors' in text and 'teacher only, not used' in text


def test_pretrained_prefix_init_loads_what_the_report_says(tmp_path):
    torch.manual_seed(0)
    teacher = build(tiny_resnet_gfl(18))
    ckpt = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), ckpt)
    cfg = tiny_mbv2_gfl()
    cfg['neck']['init_cfg'] = dict(type='Pretrained', prefix='neck.',
                                   checkpoint=ckpt)
    cfg['bbox_head']['init_cfg'] = dict(type='Pretrained',
                                        prefix='bbox_head.', checkpoint=ckpt)
    student = build(cfg)
    before = {k: v.clone() for k, v in student.state_dict().items()}
    report = init_from_teacher_report(student, teacher)
    assert [k for k, _, _ in report['shape_mismatch']] == LATERALS
    student.init_weights()
    after, t_state = student.state_dict(), teacher.state_dict()
    for key in report['loaded']:
        torch.testing.assert_close(after[key], t_state[key], msg=key)
    for key in LATERALS:  # skipped: the student's own init, untouched
        torch.testing.assert_close(after[key], before[key], msg=key)
    # the backbone is not initialised from the teacher
    assert not any(k.startswith('backbone.') for k in report['loaded'])
    # without the recipe nothing comes from the teacher
    plain = build(tiny_mbv2_gfl())
    plain.init_weights()
    assert not torch.equal(plain.state_dict()['bbox_head.gfl_cls.weight'],
                           t_state['bbox_head.gfl_cls.weight'])
