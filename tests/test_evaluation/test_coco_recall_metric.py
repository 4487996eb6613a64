import json

import pytest
import torch

import meddet_mm  # noqa: F401
from meddet_mm.evaluation import CocoRecallMetric
from tiny_data import write_tiny_coco


def _samples(ann_file, drop_label=None):
    with open(ann_file) as f:
        coco = json.load(f)
    samples = []
    for img in coco['images']:
        anns = [a for a in coco['annotations'] if a['image_id'] == img['id']
                and a['category_id'] - 1 != drop_label]
        boxes = [[x, y, x + w, y + h] for x, y, w, h in
                 (a['bbox'] for a in anns)]
        samples.append(dict(
            img_id=img['id'], ori_shape=(img['height'], img['width']),
            pred_instances=dict(
                bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                scores=torch.ones(len(anns)),
                labels=torch.tensor([a['category_id'] - 1 for a in anns]))))
    return samples


@pytest.mark.parametrize('drop_label', [None, 1])
def test_recall_per_class(tmp_path, drop_label):
    _, ann = write_tiny_coco(str(tmp_path))
    metric = CocoRecallMetric(ann_file=ann, metric='bbox', classwise=True)
    metric.dataset_meta = dict(classes=('protrusion', 'non-protrusion'))
    metric.process({}, _samples(ann, drop_label))
    res = metric.evaluate(size=4)
    assert res['coco/protrusion_recall'] == pytest.approx(1.0)
    assert res['coco/protrusion_recall@0.5'] == pytest.approx(1.0)
    expected = 1.0 if drop_label is None else 0.0
    assert res['coco/non-protrusion_recall'] == pytest.approx(expected)
    assert res['coco/bbox_recall'] == pytest.approx((1.0 + expected) / 2)
    assert res['coco/bbox_mAP'] == pytest.approx((1.0 + expected) / 2)
