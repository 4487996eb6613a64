"""Plain functions behind the clinical metric: disc matching, statistics,
summary and plots (no registry, no runner), shared by ``ClinicalDiscMetric``
and ``tools/analysis_tools/clinical_report.py``."""
from .clinical_plots import plot_froc, plot_roc, plot_threshold_sweep
from .clinical_stats import (FROC_FP_RATES, bootstrap_counts, bootstrap_f1,
                             froc_curve, percentile_interval, roc_curve,
                             weighted_auc, wilson_interval)
from .disc_matching import (DEFAULT_PATIENT_ID_PATTERN, assign_units,
                            box_iou, gt_coords_of_pipeline, match_discs,
                            patient_id_from_path, patient_ids_of_coco,
                            to_numpy)
from .disc_summary import (dump_json, flatten_summary, format_summary,
                           json_safe, summarize_discs, threshold_sweep)

__all__ = [
    'FROC_FP_RATES', 'DEFAULT_PATIENT_ID_PATTERN', 'assign_units',
    'bootstrap_counts', 'bootstrap_f1', 'box_iou', 'dump_json',
    'flatten_summary', 'format_summary', 'froc_curve',
    'gt_coords_of_pipeline', 'json_safe', 'match_discs',
    'patient_id_from_path', 'patient_ids_of_coco', 'percentile_interval',
    'plot_froc', 'plot_roc', 'plot_threshold_sweep', 'roc_curve',
    'summarize_discs', 'threshold_sweep', 'to_numpy', 'weighted_auc',
    'wilson_interval'
]
