"""The KD baselines of Table I (LD, MGD, FGD, MSKD) build without
checkpoints, keep the shipped teacher and student, start the student from
the teacher where their authors did, and train one step on a tiny input."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import meddet_mm  # noqa: F401
from conftest import REPO_ROOT
from tiny_models import demo_batch

KD_DIR = osp.join(REPO_ROOT, 'configs', 'kd_baselines')
TEACHER = osp.join(REPO_ROOT, 'configs', 'teachers',
                   'gfl_r101_fpn_nmode2_1x_cdh.py')
STUDENT = osp.join(REPO_ROOT, 'configs', 'students', 'gfl_mbv2_fpn_1x_cdh.py')
# config -> distillation losses expected in one step's log_vars
EXPECTED_LOSSES = {
    'ld_head_gfl-r101_gfl-mbv2_1x_cdh.py': ['loss_ld'],
    'mgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py':
    [f'distill.loss_mgd_fpn{i}' for i in range(5)],
    'fgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py':
    [f'distill.loss_fgd_fpn{i}' for i in range(5)],
}
FPN_CONFIGS = [n for n in EXPECTED_LOSSES if '_fpn_' in n] + [
    'mskd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py'
]
# the authors of these start the student's neck and head from the teacher
INIT_FROM_TEACHER = ('mgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py',
                     'fgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py')


def load(name):
    return Config.fromfile(osp.join(KD_DIR, name))


def without_checkpoints(cfg):
    """Drop pretrained init and the teacher checkpoint from a model dict."""
    if isinstance(cfg, dict):
        if cfg.get('type') == 'Pretrained':
            return None
        out = {k: without_checkpoints(v) for k, v in cfg.items()}
        if 'teacher_ckpt' in out:
            out['teacher_ckpt'] = None
        return out
    if isinstance(cfg, list):
        return [without_checkpoints(v) for v in cfg]
    return cfg


def student_without_init(model_cfg):
    """The student dict of a KD config without the init from the teacher."""
    student = copy.deepcopy(model_cfg['architecture'])
    for part in ('neck', 'bbox_head'):
        student[part].pop('init_cfg', None)
    return student


@pytest.mark.parametrize('name', list(EXPECTED_LOSSES))
def test_teacher_checkpoint_is_a_top_variable(name):
    cfg = load(name)
    assert cfg.teacher_ckpt.endswith('.pth')
    assert cfg.model.teacher_ckpt == cfg.teacher_ckpt


@pytest.mark.parametrize('name', FPN_CONFIGS)
def test_fpn_configs_use_the_shipped_teacher_and_student(name):
    cfg = load(name).model.to_dict()
    # the teacher is named by path, the student is the inherited config's
    assert cfg['teacher']['type'] == 'mmrazor.DetectorFromConfig'
    assert osp.samefile(cfg['teacher']['cfg_path'], TEACHER)
    assert student_without_init(cfg) == Config.fromfile(
        STUDENT).model.to_dict(), 'student differs from ' + STUDENT


@pytest.mark.parametrize('name', INIT_FROM_TEACHER)
def test_mgd_fgd_start_the_student_neck_and_head_from_the_teacher(name):
    cfg = load(name)
    student = cfg.model.architecture
    for part in ('neck', 'bbox_head'):
        assert student[part].init_cfg == dict(
            type='Pretrained', prefix=f'{part}.',
            checkpoint=cfg.teacher_ckpt), part
    assert 'init_cfg' not in student.backbone or \
        student.backbone.init_cfg is None


def test_fgd_uses_separate_gcblocks_like_the_reference():
    losses = load('fgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py'
                  ).model.distiller.distill_losses
    assert all(v.separate_context for v in losses.values())


def test_mskd_spider_config_distils_like_the_cdh_one():
    cdh = load('mskd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py')
    spider = load('mskd_fpn_gfl-r101_gfl-mbv2_1x_spider-protrusion.py')
    assert spider.model.distiller == cdh.model.distiller
    assert spider.model.teacher.cfg_path.endswith(
        'teachers/gfl_r101_fpn_nmode2_1x_spider-protrusion.py')
    assert 'spider-protrusion' in spider.teacher_ckpt
    assert spider.train_dataloader.dataset.ann_file == \
        'protrusion_train.json'


def test_ld_uses_the_shipped_teacher_and_student():
    cfg = load('ld_head_gfl-r101_gfl-mbv2_1x_cdh.py')
    assert osp.samefile(cfg.model.teacher_config, TEACHER)
    student = Config.fromfile(STUDENT).model.to_dict()
    ld = cfg.model.to_dict()
    for key in ('backbone', 'neck', 'train_cfg', 'test_cfg'):
        assert ld[key] == student[key]
    head = dict(ld['bbox_head'], type='GFLHead')
    head.pop('loss_ld')
    assert head == student['bbox_head']


@pytest.mark.parametrize('name', list(EXPECTED_LOSSES))
def test_builds_and_trains_one_step(name):
    cfg = load(name)
    from mmdet.registry import MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(without_checkpoints(cfg.model.to_dict()))
        model.init_weights()
        model.train()
        teacher = (model.teacher if hasattr(model, 'teacher') else
                   model.teacher_model)
        assert type(teacher.bbox_head).__name__ == 'NmODE2GFLHead'
        frozen = {k: v.clone() for k, v in teacher.state_dict().items()}
        optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
        log_vars = model.train_step(demo_batch(batch_size=2, size=64), optim)
    assert torch.isfinite(log_vars['loss'])
    for key in EXPECTED_LOSSES[name]:
        assert torch.isfinite(log_vars[key]) and log_vars[key] >= 0, key
    # the teacher is not trained: weights and BN statistics unchanged
    for key, value in teacher.state_dict().items():
        torch.testing.assert_close(value, frozen[key], msg=key)
    if name.startswith('fgd'):
        # the FGD losses got the student's data samples with their GT boxes
        recorder = model.distiller.student_recorders.get_recorder(
            'data_samples')
        samples = recorder.get_record_data(0, 1)
        assert len(samples) == 2
        assert samples[0].batch_input_shape == (64, 64)
        assert len(samples[0].gt_instances.bboxes) == 3
        assert all(log_vars[k] > 0 for k in EXPECTED_LOSSES[name])
