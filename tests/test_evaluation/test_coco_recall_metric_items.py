"""CocoRecallMetric follows ``metric_items`` and ``classwise`` for its recall
entries too (CocoMetric does for its own)."""
import pytest
from test_coco_recall_metric import _samples

import meddet_mm  # noqa: F401
from meddet_mm.evaluation import CocoRecallMetric
from tiny_data import write_tiny_coco

CLASSES = ('protrusion', 'non-protrusion')


def evaluate(ann, **kwargs):
    metric = CocoRecallMetric(ann_file=ann, metric='bbox', **kwargs)
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, _samples(ann))
    return metric.evaluate(size=4)


def per_class(res):
    return sorted(k for k in res if k.endswith(('_precision', '_recall',
                                                '_recall@0.5'))
                  and not k.startswith('coco/bbox_'))


def test_default_reports_overall_recall_only(tmp_path):
    _, ann = write_tiny_coco(str(tmp_path))
    res = evaluate(ann)
    assert res['coco/bbox_recall'] == pytest.approx(1.0)
    assert res['coco/bbox_recall@0.5'] == pytest.approx(1.0)
    assert per_class(res) == []  # classwise=False: nothing per class


def test_metric_items_select_the_recalls(tmp_path):
    _, ann = write_tiny_coco(str(tmp_path))
    res = evaluate(ann, metric_items=['mAP', 'recall@0.5'])
    assert set(res) == {'coco/bbox_mAP', 'coco/bbox_recall@0.5'}
    res = evaluate(ann, metric_items=['mAP_50'], classwise=True)
    assert 'coco/bbox_recall' not in res and 'coco/bbox_mAP_50' in res
    assert not [k for k in res if 'recall' in k]


def test_classwise_adds_per_class_recall(tmp_path):
    _, ann = write_tiny_coco(str(tmp_path))
    res = evaluate(ann, classwise=True, metric_items=['recall'])
    assert res['coco/protrusion_recall'] == pytest.approx(1.0)
    assert res['coco/non-protrusion_recall'] == pytest.approx(1.0)
    assert 'coco/protrusion_recall@0.5' not in res
    assert 'coco/protrusion_precision' in res  # CocoMetric's per-class AP


def test_unknown_item_is_still_refused(tmp_path):
    _, ann = write_tiny_coco(str(tmp_path))
    with pytest.raises(KeyError, match='recal'):
        evaluate(ann, metric_items=['recal'])
