"""End to end: a tiny GFL trains two iterations on the synthetic base config
and is validated by CocoMetric(ann_file=None) inside an mmengine Runner."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import meddet_mm  # noqa: F401
from cdh_test_utils import REPO_ROOT
from tiny_models import tiny_resnet_gfl

pytestmark = pytest.mark.slow


def test_train_and_validate_on_synthetic(tmp_path):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', '_base_',
                                   'datasets', 'synthetic_cdh.py'))
    cfg.default_scope = 'mmdet'
    cfg.model = tiny_resnet_gfl()
    cfg.work_dir = str(tmp_path)
    for split, n in (('train', 4), ('val', 2), ('test', 2)):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.num_images = n
        loader.num_workers = 0
        loader.persistent_workers = False
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2,
                         val_interval=2)
    cfg.val_cfg = dict(type='ValLoop')
    cfg.test_cfg = dict(type='TestLoop')
    cfg.optim_wrapper = dict(type='OptimWrapper',
                             optimizer=dict(type='SGD', lr=1e-3))
    cfg.default_hooks = dict(logger=dict(type='LoggerHook', interval=1))
    cfg.log_processor = dict(by_epoch=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0
