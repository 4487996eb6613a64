"""Evaluation metrics (registered in mmdet METRICS)."""
from .coco_recall_metric import CocoRecallMetric

__all__ = ['CocoRecallMetric']
