"""SyntheticCDHDataset through the mmdet pipeline, and mmdet's CocoMetric on
it with perfect predictions (proves the ann_file-free evaluation path)."""
import numpy as np
import pytest
import torch
from mmdet.evaluation import CocoMetric
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import meddet_mm  # noqa: F401
from meddet_mm.datasets import SyntheticCDHDataset, SyntheticSpineGenerator

TEST_PIPELINE = [
    dict(type='LoadSyntheticCDHImage'),
    dict(type='Resize', scale=(256, 320), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor', 'instances'))
]


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


def test_items_match_generator():
    ds = SyntheticCDHDataset(num_images=3, seed=7, pipeline=TEST_PIPELINE,
                             test_mode=True)
    assert len(ds) == 3
    item = ds[1]
    assert item['inputs'].shape == (3, 320, 256)
    img, anns = SyntheticSpineGenerator().generate([7, 1])
    assert np.array_equal(item['inputs'][0].numpy(), img)
    gt = item['data_samples'].gt_instances
    assert np.allclose(gt.bboxes.tensor.numpy(),
                       np.array([a['bbox'] for a in anns]), atol=1e-4)
    expected = [0 if a['protrusion'] else 1 for a in anns]
    assert gt.labels.tolist() == expected
    # the same index renders the same image again (workers, epochs)
    assert torch.equal(ds[1]['inputs'], item['inputs'])


def test_one_class_and_reordered_classes():
    ds = SyntheticCDHDataset(num_images=2, metainfo=dict(classes=('disc', )))
    assert {i['bbox_label'] for i in ds.get_data_info(0)['instances']} == {0}
    ds2 = SyntheticCDHDataset(
        num_images=2, metainfo=dict(classes=('non-protrusion',
                                             'protrusion')))
    ds1 = SyntheticCDHDataset(num_images=2)
    a = [i['bbox_label'] for i in ds1.get_data_info(0)['instances']]
    b = [i['bbox_label'] for i in ds2.get_data_info(0)['instances']]
    assert b == [1 - x for x in a]
    with pytest.raises(ValueError, match='one class'):
        SyntheticCDHDataset(num_images=1, metainfo=dict(classes=('a', 'b')))


def test_train_pipeline_with_noise():
    pipeline = [
        dict(type='LoadSyntheticCDHImage'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='RandomFlip', prob=1.0, direction='horizontal'),
        dict(type='RicianNoise', sigma=0.03, seed=0),
        dict(type='PackDetInputs')
    ]
    ds = SyntheticCDHDataset(num_images=2, seed=1, pipeline=pipeline,
                             generator_cfg=dict(protrusion_prob=0.9))
    item = ds[0]
    assert item['inputs'].dtype == torch.uint8
    assert len(item['data_samples'].gt_instances) > 0


def test_coco_metric_perfect_predictions_is_one():
    ds = SyntheticCDHDataset(num_images=4, seed=11, pipeline=TEST_PIPELINE,
                             test_mode=True)
    metric = CocoMetric(ann_file=None, metric='bbox')
    metric.dataset_meta = ds.metainfo
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        inst = sample.metainfo['instances']
        pred = InstanceData()
        pred.bboxes = torch.tensor([x['bbox'] for x in inst])
        pred.labels = torch.tensor([x['bbox_label'] for x in inst])
        pred.scores = torch.ones(len(inst))
        sample.pred_instances = pred
        metric.process({}, [sample.to_dict()])
    results = metric.evaluate(len(ds))
    assert results['coco/bbox_mAP'] == pytest.approx(1.0)
    assert results['coco/bbox_mAP_50'] == pytest.approx(1.0)


def test_invalid_arguments():
    with pytest.raises(ValueError, match='num_images'):
        SyntheticCDHDataset(num_images=0)
    with pytest.raises(TypeError):
        SyntheticCDHDataset(num_images=1, generator_cfg=dict(bogus=1))


def test_image_cache_returns_the_rendered_slice_without_rendering_again():
    from meddet_mm.datasets.transforms import LoadSyntheticCDHImage
    ds = SyntheticCDHDataset(num_images=2, seed=3, img_size=(80, 64))
    info = ds.get_data_info(1)
    plain = LoadSyntheticCDHImage(color_type='grayscale')
    cached = LoadSyntheticCDHImage(color_type='grayscale', cache=True)
    expected = plain(dict(info))['img']
    first = cached(dict(info))['img']
    assert np.array_equal(first, expected)
    first[:] = 0  # a later transform writing into its image ...
    renders = []
    gen = next(iter(cached._generators.values()))
    original = gen.render
    gen.render = lambda *a, **k: renders.append(a) or original(*a, **k)
    second = cached(dict(info))['img']
    # ... does not reach the cache, and the slice is not rendered again
    assert np.array_equal(second, expected)
    assert renders == []
    assert plain._images == {}  # the default keeps nothing
