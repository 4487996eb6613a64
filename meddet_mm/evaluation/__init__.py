"""Evaluation metrics (registered in mmdet METRICS)."""
from .clinical_disc_metric import ClinicalDiscMetric
from .coco_recall_metric import CocoRecallMetric

__all__ = ['ClinicalDiscMetric', 'CocoRecallMetric']
