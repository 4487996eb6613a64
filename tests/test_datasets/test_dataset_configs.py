"""Each base dataset config in configs/_base_/datasets builds its train and
val datasets and yields one item through its pipeline."""
import os.path as osp

import pytest
import torch
from cdh_test_utils import REPO_ROOT, write_coco
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import meddet_mm  # noqa: F401

CFG_DIR = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets')


def build_and_fetch(cfg):
    init_default_scope('mmdet')
    shapes = []
    for split in ('train', 'val', 'test'):
        ds = DATASETS.build(cfg[f'{split}_dataloader']['dataset'])
        assert len(ds) > 0
        item = ds[0]
        assert item['inputs'].dtype == torch.uint8
        assert item['inputs'].shape[0] == 3
        shapes.append(tuple(item['inputs'].shape[1:]))
        assert len(item['data_samples'].gt_instances) > 0
    for key in ('val_evaluator', 'test_evaluator'):
        assert cfg[key]['type'] == 'CocoMetric'
        assert cfg[key]['metric'] == 'bbox'
    return shapes


def test_cdh_detection(tmp_path):
    root = tmp_path / 'cdh'
    for split in ('train', 'val', 'test'):
        write_coco(str(root), json_name=f'annotations/{split}.json',
                   size=(64, 48))
    cfg = Config.fromfile(osp.join(CFG_DIR, 'cdh_detection.py'))
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader']['dataset']['data_root'] = str(root) + '/'
    assert cfg.val_evaluator.ann_file == 'data/cdh/annotations/val.json'
    shapes = build_and_fetch(cfg)
    assert shapes[0] == (320, 240)  # 64x48 scaled into 320x256


def test_synthetic_cdh():
    cfg = Config.fromfile(osp.join(CFG_DIR, 'synthetic_cdh.py'))
    for split in ('train', 'val'):
        cfg[f'{split}_dataloader']['dataset']['num_images'] = 2
    assert cfg.val_evaluator.ann_file is None
    assert 'instances' in cfg.test_pipeline[-1]['meta_keys']
    assert build_and_fetch(cfg) == [(320, 256)] * 3


def test_synthetic_cdh_with_noise_aug():
    cfg = Config.fromfile(
        osp.join(CFG_DIR, 'synthetic_cdh.py'))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.num_images = 1
    ds_cfg.pipeline.insert(-1, dict(type='RicianNoise', sigma=0.05, seed=0))
    init_default_scope('mmdet')
    assert DATASETS.build(ds_cfg)[0]['inputs'].shape == (3, 320, 256)


@pytest.mark.real_data
@pytest.mark.parametrize('name,classes', [
    ('spider_disc', ('disc', )),
    ('spider_protrusion', ('protrusion', 'non-protrusion')),
])
def test_spider(spider_root, name, classes):
    cfg = Config.fromfile(osp.join(CFG_DIR, f'{name}.py'))
    assert cfg.data_root == '../shared/data/spider_t2space/'
    for split in ('train', 'val'):
        cfg[f'{split}_dataloader']['dataset']['data_root'] = spider_root
    assert cfg.train_dataloader.dataset.metainfo.classes == classes
    shapes = build_and_fetch(cfg)
    assert shapes[0] == (320, 256)
