"""COCO detection metric that also reports recall per class.

The paper reports mAP and recall; mmdet's CocoMetric gives per-class AP but
only an overall recall (AR@100). This metric adds, per class and overall,
recall averaged over IoU 0.50:0.95 and recall at IoU 0.50 (100 detections).
"""
from typing import Dict, List

import numpy as np
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.logging import MMLogger
from pycocotools.cocoeval import COCOeval


@METRICS.register_module()
class CocoRecallMetric(CocoMetric):
    """:class:`mmdet.evaluation.CocoMetric` plus per-class recall.

    Adds to the results, for ``metric='bbox'``: ``bbox_recall`` and
    ``bbox_recall@0.5`` (all classes), and ``<class>_recall`` /
    ``<class>_recall@0.5`` for each class. Same arguments as CocoMetric.
    """

    def compute_metrics(self, results: List) -> Dict[str, float]:
        eval_results = super().compute_metrics(results)
        if 'bbox' in self.metrics and not self.format_only:
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

        out['bbox_recall'] = round(mean_valid(recall), 4)
        out['bbox_recall@0.5'] = round(mean_valid(recall[0]), 4)
        rows = []
        for k, cat_id in enumerate(self.cat_ids):
            name = self._coco_api.loadCats(cat_id)[0]['name']
            out[f'{name}_recall'] = round(mean_valid(recall[:, k]), 4)
            out[f'{name}_recall@0.5'] = round(mean_valid(recall[0, k]), 4)
            rows.append(f'{name}: recall {out[f"{name}_recall"]:.3f}, '
                        f'recall@0.5 {out[f"{name}_recall@0.5"]:.3f}')
        MMLogger.get_current_instance().info('per-class recall (100 dets): '
                                             + '; '.join(rows))
        return out
