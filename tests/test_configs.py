"""Every shipped config builds (no checkpoints) and runs one training step
on a tiny input."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import meddet_mm  # noqa: F401
from conftest import REPO_ROOT
from tiny_models import demo_batch

# the deprecated one-line pointers at the configs root load their target
# (tests/test_config_layout.py checks that), so they are not built again
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in p and osp.dirname(p) != osp.join(REPO_ROOT, 'configs'))


def _no_pretrained(cfg):
    """Drop pretrained init and teacher checkpoints (nothing to download)."""
    if isinstance(cfg, dict):
        if cfg.get('type') == 'Pretrained':
            return None
        out = {k: _no_pretrained(v) for k, v in cfg.items()}
        if 'ckpt' in out and 'cfg' in out:  # our multi-teacher algorithm
            out['ckpt'] = None
        if 'teacher_ckpt' in out:  # mmrazor FpnTeacherDistill, mmdet LD
            out['teacher_ckpt'] = None
        return out
    if isinstance(cfg, list):
        return [_no_pretrained(v) for v in cfg]
    return cfg


def _after_packing(cfg, batch):
    """Apply the train pipeline's steps that follow PackDetInputs (e.g.
    AddPrivilegedChannels) to the packed demo batch."""
    from mmdet.registry import TRANSFORMS
    pipeline = cfg.get('train_dataloader', {}).get('dataset', {}).get(
        'pipeline', [])
    types = [str(step.get('type', '')) for step in pipeline]
    if 'PackDetInputs' not in types:
        return batch
    for step in pipeline[types.index('PackDetInputs') + 1:]:
        transform = TRANSFORMS.build(step)
        for i, sample in enumerate(batch['data_samples']):
            transform(dict(inputs=batch['inputs'][i], data_samples=sample))
    return batch


def test_configs_found():
    assert any(
        p.endswith('meddet/meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_'
                   'cdh.py') for p in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, REPO_ROOT) for p in CONFIGS])
def test_config_builds_and_trains_one_step(path, recwarn):
    cfg = Config.fromfile(path)
    model_cfg = _no_pretrained(cfg.model.to_dict())
    from mmdet.registry import MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'mmdet')):
        model = MODELS.build(model_cfg)
        model.init_weights()
        model.train()
        cache = getattr(model, 'teacher_feature_cache', None)
        if cache is not None:  # what TeacherFeatureCacheHook does
            from meddet_mm.engine.hooks.teacher_feature_cache_hook import \
                find_pipeline_dataset
            cache.bind_pipeline(find_pipeline_dataset(
                cfg.train_dataloader.dataset.to_dict(), 'train_dataloader'))
        detector = getattr(model, 'student', model)
        num_classes = detector.bbox_head.num_classes
        optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
        batch = _after_packing(
            cfg, demo_batch(batch_size=1, size=64, num_classes=num_classes))
        log_vars = model.train_step(batch, optim)
    assert torch.isfinite(log_vars['loss'])
