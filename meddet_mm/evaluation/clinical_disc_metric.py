"""``ClinicalDiscMetric``: per-disc clinical metrics (sensitivity,
specificity, precision, F1 with 95% intervals, missed discs, false alarms,
ROC/AUC, FROC) as an mmdet metric, next to COCO mAP.

The metric only collects and hands over: matching, statistics and plots are
the plain functions of :mod:`meddet_mm.evaluation.functional`, which
``tools/analysis_tools/clinical_report.py`` runs offline on a predictions pkl
with the same numbers.
"""
from typing import Dict, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.fileio import load
from mmengine.logging import MMLogger

from .functional import (DEFAULT_PATIENT_ID_PATTERN, assign_units, dump_json,
                         flatten_summary, format_summary, match_discs,
                         patient_ids_of_coco, plot_froc, plot_roc,
                         plot_threshold_sweep, summarize_discs,
                         threshold_sweep, to_numpy)
# tools/test.py imports it from here
from .functional import gt_coords_of_pipeline  # noqa: F401

__all__ = ['ClinicalDiscMetric']


@METRICS.register_module()
class ClinicalDiscMetric(BaseMetric):
    """Per-disc clinical metrics (sensitivity / specificity), not COCO mAP.

    Every ground-truth disc (``gt_instances``; ignored GT left out) is
    matched to the predicted boxes of *any* class whose IoU with it is >=
    ``iou_thr``. A disc is *detected* when a matched box has score >=
    ``score_thr``, and *called* class ``c`` when its best matched box of
    class ``c`` has score >= ``score_thr``. Per class, one-vs-rest over GT
    discs: sensitivity, specificity, precision (false alarms, i.e. boxes
    matching no disc, count against it) and F1, each with a 95% interval
    (Wilson; F1 by bootstrap). Overall: macro means, missed discs, false
    alarms, the AUC of ``positive_class`` with a 95% interval from a
    bootstrap that resamples patients, and the FROC of ``positive_class``
    (of the only class on a one-class set). Definitions:
    ``docs/clinical_metrics.md``; the computation:
    :mod:`meddet_mm.evaluation.functional`.

    Patient of an image (for the bootstrap): ``images[].patient_id`` of
    ``ann_file`` when given, else the id that ``patient_id_pattern`` finds
    in the file name; images without one are resampled on their own, with
    a logged note.

    Coordinates: predictions are in original image coordinates. The GT boxes
    of a data sample are too when the test pipeline runs ``LoadAnnotations``
    after ``Resize`` (mmdet's and meddet_mm's test configs), and are in
    resized coordinates when it runs before: set ``gt_coords='resized'``
    then, and they are divided by ``scale_factor``
    (:func:`~meddet_mm.evaluation.functional.gt_coords_of_pipeline` tells
    from a pipeline).

    Args:
        iou_thr (float): Minimum IoU of a disc-box match. Defaults to 0.5.
        score_thr (float): Score threshold of a call. Defaults to 0.5.
        positive_class (str, optional): Class of the ROC and FROC curves.
            Defaults to 'protrusion'.
        roc_plot (str, optional): Write the ROC curve to this PNG.
        froc_plot (str, optional): Write the FROC curve to this PNG.
        sweep_plot (str, optional): Write sensitivity / specificity vs score
            threshold to this PNG.
        records_file (str, optional): Write the per-disc and false-alarm
            records (with the summary) to this json file.
        gt_coords (str): 'original' or 'resized', see above.
        ann_file (str, optional): COCO json whose ``images[].patient_id``
            gives each image's patient. Defaults to None.
        patient_id_pattern (str, optional): Regular expression whose first
            group in the image file name is the patient id. Defaults to the
            part before the first underscore (``011_052.png`` -> ``011``).
        num_bootstrap (int): Bootstrap resamples of the F1 and AUC
            intervals; 0 turns them off. Defaults to 1000.
        bootstrap_seed (int): Seed of the bootstrap. Defaults to 0.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str): Prefix of the metric names. Defaults to 'clinical'.

    After :meth:`compute_metrics`, ``last_summary`` holds the full summary
    and ``last_records`` the per-disc and false-alarm records.
    """
    default_prefix = 'clinical'

    def __init__(self,
                 iou_thr: float = 0.5,
                 score_thr: float = 0.5,
                 positive_class: Optional[str] = 'protrusion',
                 roc_plot: Optional[str] = None,
                 froc_plot: Optional[str] = None,
                 sweep_plot: Optional[str] = None,
                 records_file: Optional[str] = None,
                 gt_coords: str = 'original',
                 ann_file: Optional[str] = None,
                 patient_id_pattern: Optional[
                     str] = DEFAULT_PATIENT_ID_PATTERN,
                 num_bootstrap: int = 1000,
                 bootstrap_seed: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'clinical') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not 0 <= iou_thr <= 1:
            raise ValueError(f'iou_thr must be in [0, 1], got {iou_thr}')
        if gt_coords not in ('original', 'resized'):
            raise ValueError(f"gt_coords must be 'original' or 'resized', "
                             f'got {gt_coords!r}')
        if num_bootstrap < 0:
            raise ValueError(f'num_bootstrap must be >= 0, got '
                             f'{num_bootstrap}')
        self.iou_thr = iou_thr
        self.score_thr = score_thr
        self.positive_class = positive_class
        self.roc_plot = roc_plot
        self.froc_plot = froc_plot
        self.sweep_plot = sweep_plot
        self.records_file = records_file
        self.gt_coords = gt_coords
        self.patient_id_pattern = patient_id_pattern
        self.num_bootstrap = num_bootstrap
        self.bootstrap_seed = bootstrap_seed
        self.patient_ids = {}
        if ann_file is not None:
            self.patient_ids = patient_ids_of_coco(load(ann_file))
            if not self.patient_ids:
                raise KeyError(f'ClinicalDiscMetric: ann_file {ann_file} has '
                               'no images[].patient_id; leave ann_file unset '
                               'to take patient ids from the file names')
        self.last_summary: Optional[dict] = None
        self.last_records: Optional[dict] = None

    def _num_classes(self) -> int:
        return len((self.dataset_meta or {}).get('classes', ())) or 1

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            gt = sample.get('gt_instances') or {}
            if 'bboxes' not in gt:
                raise KeyError(
                    f'ClinicalDiscMetric: the data sample of '
                    f'{sample.get("img_path", sample.get("img_id"))} has no '
                    f'gt_instances boxes; add LoadAnnotations(with_bbox=True)'
                    f' to the test pipeline')
            gt_bboxes = to_numpy(gt['bboxes'], shape=(0, 4)).reshape(-1, 4)
            gt_labels = to_numpy(gt['labels'], np.int64).reshape(-1)
            ignored = (sample.get('ignored_instances') or {}).get('bboxes')
            ignored = (None if ignored is None else to_numpy(
                ignored, shape=(0, 4)).reshape(-1, 4))
            if 'ignore_flags' in gt:  # some pipelines keep them in place
                keep = ~to_numpy(gt['ignore_flags'], bool).reshape(-1)
                gt_bboxes, gt_labels = gt_bboxes[keep], gt_labels[keep]
            if self.gt_coords == 'resized':
                factor = np.tile(np.asarray(sample['scale_factor'],
                                            dtype=np.float64), 2)
                gt_bboxes = gt_bboxes / factor
                if ignored is not None:
                    ignored = ignored / factor
            pred = sample['pred_instances']
            discs, false_alarms = match_discs(
                gt_bboxes, gt_labels, pred['bboxes'], pred['scores'],
                pred['labels'], self._num_classes(), self.iou_thr, ignored)
            info = dict(img_id=sample.get('img_id'),
                        img_path=sample.get('img_path'))
            self.results.append(
                dict(image=info,
                     discs=[dict(info, **d) for d in discs],
                     false_alarms=[dict(info, **f) for f in false_alarms]))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        classes = list((self.dataset_meta or {}).get('classes', ()))
        if not classes:
            raise KeyError('ClinicalDiscMetric: dataset_meta has no '
                           "'classes'")
        discs = [d for r in results for d in r['discs']]
        false_alarms = [f for r in results for f in r['false_alarms']]
        # images without any record still decide the bootstrap unit
        images = [dict(r['image']) for r in results]
        unit, unit_notes = assign_units(images + discs + false_alarms,
                                        self.patient_ids,
                                        self.patient_id_pattern)
        summary = summarize_discs(discs, false_alarms, classes,
                                  self.score_thr, self.positive_class,
                                  self.iou_thr, num_images=len(results),
                                  num_bootstrap=self.num_bootstrap,
                                  bootstrap_seed=self.bootstrap_seed)
        summary['notes'] += unit_notes if self.num_bootstrap else []
        logger = MMLogger.get_current_instance()
        logger.info('per-disc clinical metrics:\n' + format_summary(summary))
        for note in summary['notes']:
            logger.warning(f'ClinicalDiscMetric: {note}')
        for path, plot in ((self.roc_plot, plot_roc),
                           (self.froc_plot, plot_froc)):
            if not path:
                continue
            if plot(summary, path):
                logger.info(f'{plot.__name__[5:].upper()} curve written to '
                            f'{path}')
            else:
                logger.warning(f'ClinicalDiscMetric: {path} not written (the'
                               ' curve is undefined, see the notes)')
        if self.sweep_plot:
            sweep = threshold_sweep(discs, false_alarms, classes,
                                    self.positive_class)
            plot_threshold_sweep(sweep, self.positive_class, self.sweep_plot)
            logger.info(f'threshold sweep written to {self.sweep_plot}')
        self.last_summary = summary
        self.last_records = dict(classes=classes, iou_thr=self.iou_thr,
                                 bootstrap_unit=unit, discs=discs,
                                 false_alarms=false_alarms)
        if self.records_file:
            dump_json(dict(self.last_records, summary=summary),
                      self.records_file)
            logger.info(f'per-disc records written to {self.records_file}')
        return flatten_summary(summary)
