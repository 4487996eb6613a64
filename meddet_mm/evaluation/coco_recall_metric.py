"""COCO detection metric that also reports recall per class.

The paper reports mAP and recall; mmdet's CocoMetric gives per-class AP but
only an overall recall (AR@100). This metric adds, per class and overall,
recall averaged over IoU 0.50:0.95 and recall at IoU 0.50 (100 detections).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.logging import MMLogger
from pycocotools.cocoeval import COCOeval


RECALL_ITEMS = ('recall', 'recall@0.5')


@METRICS.register_module()
class CocoRecallMetric(CocoMetric):
    """:class:`mmdet.evaluation.CocoMetric` plus per-class recall.

    Adds to the results, for ``metric='bbox'``: ``bbox_recall`` and
    ``bbox_recall@0.5`` (all classes) and, with ``classwise=True``,
    ``<class>_recall`` / ``<class>_recall@0.5`` for each class. A recall
    with no ground truth to recall is NaN.

    Args:
        metric_items (Sequence[str], optional): CocoMetric's items plus
            ``'recall'`` and ``'recall@0.5'``; only the listed ones are
            reported. Defaults to None: CocoMetric's defaults and both
            recalls.
        classwise (bool): Also report per-class AP (CocoMetric) and
            per-class recall. Defaults to False.
        *args, **kwargs: The other :class:`CocoMetric` arguments.
    """

    def __init__(self, *args, metric_items: Optional[Sequence[str]] = None,
                 classwise: bool = False, **kwargs) -> None:
        if metric_items is None:
            self.recall_items = RECALL_ITEMS
            coco_items = None
        else:
            metric_items = [metric_items] if isinstance(
                metric_items, str) else list(metric_items)
            self.recall_items = tuple(i for i in RECALL_ITEMS
                                      if i in metric_items)
            coco_items = [i for i in metric_items if i not in RECALL_ITEMS]
        super().__init__(*args, metric_items=coco_items,
                         classwise=classwise, **kwargs)

    def compute_metrics(self, results: List) -> Dict[str, float]:
        eval_results = super().compute_metrics(results)
        if 'bbox' in self.metrics and not self.format_only and \
                self.recall_items:
            eval_results.update(self._recall_per_class(results))
        return eval_results

    def _recall_per_class(self, results: List) -> Dict[str, float]:
        dets = []
        for _, pred in results:
            for box, score, label in zip(pred['bboxes'], pred['scores'],
                                         pred['labels']):
                x1, y1, x2, y2 = (float(v) for v in box)
                dets.append(dict(image_id=pred['img_id'],
                                 bbox=[x1, y1, x2 - x1, y2 - y1],
                                 score=float(score),
                                 category_id=self.cat_ids[int(label)]))
        out = {}
        if not dets:
            return out
        coco_dt = self._coco_api.loadRes(dets)
        coco_eval = COCOeval(self._coco_api, coco_dt, 'bbox')
        coco_eval.params.catIds = self.cat_ids
        coco_eval.params.imgIds = self.img_ids
        coco_eval.params.maxDets = [100]
        coco_eval.params.iouThrs = np.linspace(.5, .95, 10)
        coco_eval.evaluate()
        coco_eval.accumulate()
        recall = coco_eval.eval['recall'][:, :, 0, 0]  # (iou, class) all area

        def mean_valid(values):
            values = values[values > -1]
            return float(np.mean(values)) if values.size else float('nan')

        # recall has IoU thresholds first: r[0] is recall at IoU 0.5
        values = {'recall': mean_valid,
                  'recall@0.5': lambda r: mean_valid(r[0])}
        for item in self.recall_items:
            out[f'bbox_{item}'] = round(values[item](recall), 4)
        if not self.classwise:
            return out
        rows = []
        for k, cat_id in enumerate(self.cat_ids):
            name = self._coco_api.loadCats(cat_id)[0]['name']
            for item in self.recall_items:
                out[f'{name}_{item}'] = round(values[item](recall[:, k]), 4)
            rows.append(f'{name}: ' + ', '.join(
                f'{item} {out[f"{name}_{item}"]:.3f}'
                for item in self.recall_items))
        MMLogger.get_current_instance().info('per-class recall (100 dets): '
                                             + '; '.join(rows))
        return out
