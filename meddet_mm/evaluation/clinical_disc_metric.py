"""Per-disc clinical metrics: sensitivity, specificity, precision, F1 per
class, missed discs, false alarms and a ROC curve for the positive class.

COCO mAP ranks boxes; a clinician asks per disc "was it found, and was it
called protrusion?". This module answers that question. The matching and the
summary are plain numpy functions so that
``tools/analysis_tools/clinical_report.py`` computes exactly the same numbers
offline from a predictions pkl.

Matching (one image at a time, in original image coordinates):

* each ground-truth (GT) disc is matched to every predicted box, of any
  class, whose IoU with it is >= ``iou_thr`` (a box may match more than one
  disc; discs rarely overlap that much);
* ``class_scores[c]`` of a disc is the highest score among its matched boxes
  predicted as class ``c`` (None when there is none; 0 in the ROC);
* a predicted box that matches no GT disc (ignored GT included) is a false
  alarm of its predicted class.
"""
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

__all__ = [
    'ClinicalDiscMetric', 'box_iou', 'match_discs', 'summarize_discs',
    'flatten_summary', 'format_summary', 'roc_curve', 'threshold_sweep',
    'plot_roc', 'plot_threshold_sweep', 'gt_coords_of_pipeline'
]


def _to_numpy(x, dtype=np.float64, shape=None) -> np.ndarray:
    """Tensor / HorizontalBoxes / list -> numpy array."""
    if hasattr(x, 'tensor'):  # mmdet BaseBoxes
        x = x.tensor
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=dtype)
    if shape is not None and x.size == 0:
        x = x.reshape(shape)
    return x


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of boxes ``a`` (N, 4) and ``b`` (M, 4), x1y1x2y2."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    w = (np.minimum(a[:, None, 2], b[None, :, 2]) -
         np.maximum(a[:, None, 0], b[None, :, 0])).clip(0)
    h = (np.minimum(a[:, None, 3], b[None, :, 3]) -
         np.maximum(a[:, None, 1], b[None, :, 1])).clip(0)
    inter = w * h
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def match_discs(gt_bboxes, gt_labels, pred_bboxes, pred_scores, pred_labels,
                num_classes: int, iou_thr: float = 0.5, ignored_bboxes=None):
    """Match the GT discs of one image to predicted boxes.

    Args:
        gt_bboxes: (N, 4) GT boxes, x1y1x2y2, same coordinates as the
            predictions.
        gt_labels: (N, ) GT class indices.
        pred_bboxes, pred_scores, pred_labels: (M, 4), (M, ), (M, ).
        num_classes (int): Number of classes.
        iou_thr (float): Minimum IoU of a match.
        ignored_bboxes: (K, 4) ignored GT boxes; a prediction matching one
            is neither a match nor a false alarm.

    Returns:
        tuple[list[dict], list[dict]]: one record per GT disc (``bbox``,
        ``gt_label``, ``class_scores`` (``num_classes`` floats, None for a
        class without a matched box), ``max_iou``) and one per false alarm
        (``bbox``, ``label``, ``score``).
    """
    gt_bboxes = _to_numpy(gt_bboxes, shape=(0, 4)).reshape(-1, 4)
    gt_labels = _to_numpy(gt_labels, np.int64).reshape(-1)
    pred_bboxes = _to_numpy(pred_bboxes, shape=(0, 4)).reshape(-1, 4)
    pred_scores = _to_numpy(pred_scores).reshape(-1)
    pred_labels = _to_numpy(pred_labels, np.int64).reshape(-1)
    if not (len(pred_bboxes) == len(pred_scores) == len(pred_labels)):
        raise ValueError(f'predictions differ in length: {len(pred_bboxes)} '
                         f'boxes, {len(pred_scores)} scores, '
                         f'{len(pred_labels)} labels')
    if len(gt_bboxes) != len(gt_labels):
        raise ValueError(f'{len(gt_bboxes)} GT boxes but {len(gt_labels)} '
                         'GT labels')
    iou = box_iou(gt_bboxes, pred_bboxes)  # (N, M)
    matched = iou >= iou_thr
    discs = []
    for i in range(len(gt_bboxes)):
        scores = [None] * num_classes
        for j in np.flatnonzero(matched[i]):
            c = int(pred_labels[j])
            if 0 <= c < num_classes:
                score = round(float(pred_scores[j]), 6)
                scores[c] = score if scores[c] is None else max(
                    scores[c], score)
        discs.append(dict(
            bbox=[round(float(v), 2) for v in gt_bboxes[i]],
            gt_label=int(gt_labels[i]),
            class_scores=scores,
            max_iou=round(float(iou[i].max()), 4) if iou.shape[1] else 0.0))
    hit = matched.any(axis=0) if len(gt_bboxes) else np.zeros(
        len(pred_bboxes), bool)
    if ignored_bboxes is not None:
        ignored = _to_numpy(ignored_bboxes, shape=(0, 4)).reshape(-1, 4)
        if len(ignored):
            hit |= (box_iou(ignored, pred_bboxes) >= iou_thr).any(axis=0)
    false_alarms = [
        dict(bbox=[round(float(v), 2) for v in pred_bboxes[j]],
             label=int(pred_labels[j]),
             score=round(float(pred_scores[j]), 6))
        for j in np.flatnonzero(~hit)
    ]
    return discs, false_alarms


def _ratio(num, den) -> float:
    return float(num) / float(den) if den else float('nan')


def _nanmean(values) -> float:
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else float('nan')


def _trapezoid(y, x) -> float:
    fn = getattr(np, 'trapezoid', None) or getattr(np, 'trapz')
    return float(fn(y, x))


def roc_curve(scores, is_positive):
    """ROC of ``scores`` against boolean labels (call positive when
    score >= threshold).

    Returns:
        tuple: ``fpr``, ``tpr``, ``thresholds`` (descending; the first point
        is (0, 0) at threshold +inf) and the AUC (trapezoid rule; NaN when
        there are no positives or no negatives).
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    pos = np.asarray(is_positive, dtype=bool).reshape(-1)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    order = np.argsort(-scores, kind='mergesort')
    scores, pos = scores[order], pos[order]
    # last index of each distinct score: ties enter the curve together
    last = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1] \
        if len(scores) else np.zeros(0, int)
    tps = np.cumsum(pos)[last]
    fps = np.cumsum(~pos)[last]
    tpr = np.r_[0.0, tps / n_pos] if n_pos else np.r_[0.0, tps * np.nan]
    fpr = np.r_[0.0, fps / n_neg] if n_neg else np.r_[0.0, fps * np.nan]
    thresholds = np.r_[np.inf, scores[last]]
    auc = _trapezoid(tpr, fpr) if n_pos and n_neg else float('nan')
    return fpr, tpr, thresholds, auc


def _positive_index(classes: Sequence[str], positive_class: Optional[str]):
    """(index or None, notes) of the positive class."""
    if positive_class is None:
        return None, ['no positive_class given: ROC/AUC not computed']
    if positive_class in classes:
        if len(classes) < 2:
            return None, [
                f'one-class dataset {tuple(classes)}: there are no negative '
                f'discs, so specificity and ROC/AUC are NaN (detection '
                f'sensitivity and missed discs are still valid)'
            ]
        return list(classes).index(positive_class), []
    if len(classes) < 2:
        return None, [
            f'one-class dataset {tuple(classes)} (positive_class '
            f'{positive_class!r} is not one of its classes): there are no '
            f'negative discs, so specificity and ROC/AUC are NaN (detection '
            f'sensitivity and missed discs are still valid)'
        ]
    raise ValueError(f'positive_class {positive_class!r} is not one of the '
                     f'dataset classes {tuple(classes)}')


def _disc_arrays(discs, num_classes):
    """GT labels (N, ) and class scores (N, C), NaN where no box."""
    labels = np.array([d['gt_label'] for d in discs], dtype=np.int64)
    scores = np.array([[np.nan if s is None else s for s in d['class_scores']]
                       for d in discs],
                      dtype=np.float64).reshape(len(discs), num_classes)
    return labels, scores


def summarize_discs(discs: List[dict], false_alarms: List[dict],
                    classes: Sequence[str], score_thr: float = 0.5,
                    positive_class: Optional[str] = 'protrusion',
                    iou_thr: Optional[float] = None) -> dict:
    """Clinical metrics from the records of :func:`match_discs`.

    A disc is *detected* when any matched box has score >= ``score_thr``
    and *called* class ``c`` when ``class_scores[c] >= score_thr`` (it can
    be called more than one class). Per class ``c`` (one-vs-rest over GT
    discs): TP = GT c and called c; FN = GT c and not called c; FP = GT of
    another class and called c; TN = GT of another class and not called c.
    sensitivity = TP / (TP + FN), specificity = TN / (TN + FP), precision =
    TP / (TP + FP + false alarms of c with score >= score_thr), F1 their
    harmonic mean. ``macro`` averages the classes (NaN ones left out). The
    ROC uses each disc's ``class_scores[positive]`` against "GT is the
    positive class". Undefined ratios are NaN.

    Returns:
        dict: see ``docs/clinical_metrics.md``.
    """
    classes = list(classes)
    num_classes = len(classes)
    pos_idx, notes = _positive_index(classes, positive_class)
    labels, scores = _disc_arrays(discs, num_classes)
    with np.errstate(invalid='ignore'):
        called = scores >= score_thr  # NaN (no matched box): never called
    detected = called.any(axis=1) if num_classes else np.zeros(len(discs),
                                                                 bool)
    fa_labels = np.array([f['label'] for f in false_alarms], dtype=np.int64)
    fa_scores = np.array([f['score'] for f in false_alarms], dtype=np.float64)
    fa_kept = fa_scores >= score_thr
    per_class = {}
    for c, name in enumerate(classes):
        gt_c = labels == c
        tp = int((gt_c & called[:, c]).sum())
        fn = int(gt_c.sum()) - tp
        fp = int((~gt_c & called[:, c]).sum())
        tn = int((~gt_c).sum()) - fp
        fa = int((fa_kept & (fa_labels == c)).sum())
        sens = _ratio(tp, tp + fn)
        spec = _ratio(tn, tn + fp)
        prec = _ratio(tp, tp + fp + fa)
        if math.isnan(sens) or math.isnan(prec):
            f1 = float('nan')
        else:
            f1 = 2 * prec * sens / (prec + sens) if prec + sens else 0.0
        per_class[name] = dict(num_discs=int(gt_c.sum()), tp=tp, fn=fn,
                               fp=fp, tn=tn, false_alarms=fa,
                               sensitivity=sens, specificity=spec,
                               precision=prec, f1=f1)
        if not gt_c.sum():
            notes.append(f'no GT discs of class {name!r}: its sensitivity '
                         'is NaN')
    macro = {
        k: _nanmean([per_class[n][k] for n in classes])
        for k in ('sensitivity', 'specificity', 'precision', 'f1')
    }
    roc = None
    if pos_idx is not None:
        fpr, tpr, thr, auc = roc_curve(np.nan_to_num(scores[:, pos_idx]),
                                       labels == pos_idx)
        if math.isnan(auc):
            notes.append(f'ROC/AUC of {positive_class!r} needs GT discs of '
                         'that class and of another class: AUC is NaN')
        roc = dict(positive_class=positive_class, auc=auc,
                   fpr=[float(v) for v in fpr], tpr=[float(v) for v in tpr],
                   thresholds=[float(v) for v in thr])
    num = len(discs)
    return dict(
        classes=classes,
        iou_thr=iou_thr,
        score_thr=score_thr,
        positive_class=positive_class,
        num_discs=num,
        detected_discs=int(detected.sum()),
        missed_discs=num - int(detected.sum()),
        detection_sensitivity=_ratio(detected.sum(), num),
        false_alarms=int(fa_kept.sum()),
        per_class=per_class,
        macro=macro,
        auc=roc['auc'] if roc else float('nan'),
        roc=roc,
        notes=notes)


def flatten_summary(summary: dict) -> Dict[str, float]:
    """The scalar metrics of a summary (keys without prefix)."""
    out = {k: summary[k] for k in ('num_discs', 'detected_discs',
                                   'missed_discs', 'detection_sensitivity',
                                   'false_alarms')}
    out.update(summary['macro'])
    out['auc'] = summary['auc']
    for name, row in summary['per_class'].items():
        for k in ('sensitivity', 'specificity', 'precision', 'f1',
                  'false_alarms'):
            out[f'{name}_{k}'] = row[k]
    return {k: (round(v, 4) if isinstance(v, float) and not math.isnan(v)
                else v) for k, v in out.items()}


def _fmt(v) -> str:
    return 'n/a' if isinstance(v, float) and math.isnan(v) else f'{v:.3f}'


def format_summary(summary: dict) -> str:
    """A text table: one row per class, the macro mean, then the totals."""
    names = list(summary['per_class']) + ['macro mean']
    width = max(10, *(len(n) for n in names))
    head = (f'{"class":<{width}} {"discs":>6} {"TP":>5} {"FN":>5} {"FP":>5} '
            f'{"TN":>5} {"f.alarm":>7} {"sens":>6} {"spec":>6} {"prec":>6} '
            f'{"F1":>6}')
    lines = [head, '-' * len(head)]
    for name, r in summary['per_class'].items():
        lines.append(
            f'{name:<{width}} {r["num_discs"]:>6} {r["tp"]:>5} {r["fn"]:>5} '
            f'{r["fp"]:>5} {r["tn"]:>5} {r["false_alarms"]:>7} '
            f'{_fmt(r["sensitivity"]):>6} {_fmt(r["specificity"]):>6} '
            f'{_fmt(r["precision"]):>6} {_fmt(r["f1"]):>6}')
    m = summary['macro']
    lines.append(f'{"macro mean":<{width}} {"":>6} {"":>5} {"":>5} {"":>5} '
                 f'{"":>5} {"":>7} {_fmt(m["sensitivity"]):>6} '
                 f'{_fmt(m["specificity"]):>6} {_fmt(m["precision"]):>6} '
                 f'{_fmt(m["f1"]):>6}')
    lines.append(
        f'discs: {summary["num_discs"]}, detected {summary["detected_discs"]}'
        f' (detection sensitivity {_fmt(summary["detection_sensitivity"])}),'
        f' missed {summary["missed_discs"]}; false alarms '
        f'{summary["false_alarms"]}; IoU >= {summary["iou_thr"]}, score >= '
        f'{summary["score_thr"]}')
    if summary['roc'] is not None:
        lines.append(f'AUC ({summary["positive_class"]} vs rest, per disc): '
                     f'{_fmt(summary["auc"])}')
    lines += [f'note: {n}' for n in summary['notes']]
    return '\n'.join(lines)


def threshold_sweep(discs: List[dict], false_alarms: List[dict],
                    classes: Sequence[str], positive_class: Optional[str],
                    thresholds=None) -> dict:
    """Detection sensitivity and, per class, sensitivity / specificity /
    precision at each score threshold (default 0, 0.01, ..., 1)."""
    if thresholds is None:
        thresholds = np.round(np.linspace(0, 1, 101), 4)
    out = dict(thresholds=[float(t) for t in thresholds],
               detection_sensitivity=[], per_class={
                   n: dict(sensitivity=[], specificity=[], precision=[])
                   for n in classes})
    for t in thresholds:
        s = summarize_discs(discs, false_alarms, classes, float(t),
                            positive_class)
        out['detection_sensitivity'].append(s['detection_sensitivity'])
        for n in classes:
            for k in ('sensitivity', 'specificity', 'precision'):
                out['per_class'][n][k].append(s['per_class'][n][k])
    return out


def _figure():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - matplotlib comes with mmdet
        raise RuntimeError('plots need matplotlib: pip install matplotlib'
                           ) from e
    fig = Figure(figsize=(5, 4.5), dpi=100)
    FigureCanvasAgg(fig)  # Agg canvas, no pyplot / GUI backend
    return fig, fig.add_subplot(1, 1, 1)


def _save(fig, path: str) -> str:
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_roc(summary: dict, path: str) -> Optional[str]:
    """ROC curve PNG of the summary's positive class; None without ROC."""
    roc = summary.get('roc')
    if roc is None or math.isnan(roc['auc']):
        return None
    fig, ax = _figure()
    ax.plot(roc['fpr'], roc['tpr'], marker='.', label=f'AUC = '
            f'{roc["auc"]:.3f}')
    ax.plot([0, 1], [0, 1], ls='--', color='grey', lw=0.8)
    # operating point at score_thr
    row = summary['per_class'][roc['positive_class']]
    ax.plot([1 - row['specificity']], [row['sensitivity']], 'o',
            color='red', label=f'score >= {summary["score_thr"]}')
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel('1 - specificity')
    ax.set_ylabel('sensitivity')
    ax.set_title(f'{roc["positive_class"]} per disc '
                 f'(IoU >= {summary["iou_thr"]})')
    ax.legend(loc='lower right')
    return _save(fig, path)


def plot_threshold_sweep(sweep: dict, positive_class: Optional[str],
                         path: str) -> str:
    """Sensitivity / specificity (and detection sensitivity) vs score
    threshold PNG, for the positive class or every class."""
    fig, ax = _figure()
    t = sweep['thresholds']
    ax.plot(t, sweep['detection_sensitivity'], color='black',
            label='detection sensitivity')
    names = ([positive_class] if positive_class in sweep['per_class']
             else list(sweep['per_class']))
    for name in names:
        row = sweep['per_class'][name]
        ax.plot(t, row['sensitivity'], label=f'{name} sensitivity')
        if not all(math.isnan(v) for v in row['specificity']):
            ax.plot(t, row['specificity'], ls='--',
                    label=f'{name} specificity')
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel('score threshold')
    ax.set_ylabel('rate')
    ax.set_title('per-disc rates vs score threshold')
    ax.legend(loc='best', fontsize='small')
    return _save(fig, path)


def json_safe(obj):
    """NaN / inf -> None, numpy scalars -> Python, recursively."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def gt_coords_of_pipeline(pipeline: Sequence[dict]) -> str:
    """'resized' when a test pipeline loads the boxes before resizing the
    image (GT then follows the resize), else 'original' (mmdet's usual test
    pipeline: Resize, then LoadAnnotations)."""
    loaded = False
    for step in pipeline or []:
        kind = str(step.get('type', ''))
        if kind.endswith('LoadAnnotations'):
            loaded = True
        elif kind.endswith('Resize') and loaded:
            return 'resized'
    return 'original'


@METRICS.register_module()
class ClinicalDiscMetric(BaseMetric):
    """Per-disc clinical metrics (sensitivity / specificity), not COCO mAP.

    Matching: every ground-truth disc (``gt_instances``; ignored GT left
    out) is matched to the predicted boxes of *any* class whose IoU with it
    is >= ``iou_thr``. A disc is *detected* when a matched box has score >=
    ``score_thr``, else *missed*. ``class_scores[c]`` of a disc is the
    highest score among its matched boxes predicted as class ``c`` (None if
    none); the disc is *called* ``c`` when it is >= ``score_thr``; its
    *protrusion score* is ``class_scores[positive_class]``, 0 if none.

    Per class ``c``, one-vs-rest over GT discs: sensitivity = TP / (TP + FN)
    (GT c called c / GT c), specificity = TN / (TN + FP) over the discs of
    the other classes (FP: called c), precision = TP / (TP + FP + false
    alarms), where a false alarm is a predicted box of class ``c`` with score
    >= ``score_thr`` matching no GT disc; F1. Overall: macro means of the
    classes, ``num_discs``, ``detected_discs``, ``missed_discs``,
    ``detection_sensitivity``, ``false_alarms`` and ``auc`` (ROC of the
    per-disc protrusion score against "GT is ``positive_class``",
    trapezoid rule). Undefined values are NaN: on a one-class dataset such
    as ``('disc',)`` there are no negative discs, so specificity and AUC are
    NaN (with a logged note) while detection sensitivity, missed discs,
    sensitivity and precision still work.

    Coordinates: predictions are in original image coordinates. The GT boxes
    of a data sample are too when the test pipeline runs ``LoadAnnotations``
    after ``Resize`` (mmdet's and meddet_mm's test configs), and are in
    resized coordinates when it runs before: set ``gt_coords='resized'``
    then, and they are divided by ``scale_factor``
    (:func:`gt_coords_of_pipeline` tells from a pipeline).

    Args:
        iou_thr (float): Minimum IoU of a disc-box match. Defaults to 0.5.
        score_thr (float): Score threshold of a call. Defaults to 0.5.
        positive_class (str, optional): Class of the ROC curve. Defaults to
            'protrusion'.
        roc_plot (str, optional): Write the ROC curve to this PNG.
        sweep_plot (str, optional): Write sensitivity / specificity vs score
            threshold to this PNG.
        records_file (str, optional): Write the per-disc and false-alarm
            records (with the summary) to this json file.
        gt_coords (str): 'original' or 'resized', see above.
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
                 sweep_plot: Optional[str] = None,
                 records_file: Optional[str] = None,
                 gt_coords: str = 'original',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'clinical') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not 0 <= iou_thr <= 1:
            raise ValueError(f'iou_thr must be in [0, 1], got {iou_thr}')
        if gt_coords not in ('original', 'resized'):
            raise ValueError(f"gt_coords must be 'original' or 'resized', "
                             f'got {gt_coords!r}')
        self.iou_thr = iou_thr
        self.score_thr = score_thr
        self.positive_class = positive_class
        self.roc_plot = roc_plot
        self.sweep_plot = sweep_plot
        self.records_file = records_file
        self.gt_coords = gt_coords
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
            gt_bboxes = _to_numpy(gt['bboxes'], shape=(0, 4)).reshape(-1, 4)
            gt_labels = _to_numpy(gt['labels'], np.int64).reshape(-1)
            ignored = (sample.get('ignored_instances') or {}).get('bboxes')
            ignored = (None if ignored is None else _to_numpy(
                ignored, shape=(0, 4)).reshape(-1, 4))
            if 'ignore_flags' in gt:  # some pipelines keep them in place
                keep = ~_to_numpy(gt['ignore_flags'], bool).reshape(-1)
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
                dict(discs=[dict(info, **d) for d in discs],
                     false_alarms=[dict(info, **f) for f in false_alarms]))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        classes = list((self.dataset_meta or {}).get('classes', ()))
        if not classes:
            raise KeyError('ClinicalDiscMetric: dataset_meta has no '
                           "'classes'")
        discs = [d for r in results for d in r['discs']]
        false_alarms = [f for r in results for f in r['false_alarms']]
        summary = summarize_discs(discs, false_alarms, classes,
                                  self.score_thr, self.positive_class,
                                  self.iou_thr)
        logger = MMLogger.get_current_instance()
        logger.info('per-disc clinical metrics:\n' + format_summary(summary))
        for note in summary['notes']:
            logger.warning(f'ClinicalDiscMetric: {note}')
        if self.roc_plot:
            if plot_roc(summary, self.roc_plot):
                logger.info(f'ROC curve written to {self.roc_plot}')
            else:
                logger.warning('ClinicalDiscMetric: no ROC curve (AUC '
                               f'undefined), {self.roc_plot} not written')
        if self.sweep_plot:
            sweep = threshold_sweep(discs, false_alarms, classes,
                                    self.positive_class)
            plot_threshold_sweep(sweep, self.positive_class, self.sweep_plot)
            logger.info(f'threshold sweep written to {self.sweep_plot}')
        self.last_summary = summary
        self.last_records = dict(classes=classes, iou_thr=self.iou_thr,
                                 discs=discs, false_alarms=false_alarms)
        if self.records_file:
            if osp.dirname(self.records_file):
                os.makedirs(osp.dirname(self.records_file), exist_ok=True)
            with open(self.records_file, 'w') as f:
                json.dump(json_safe(dict(self.last_records,
                                         summary=summary)), f, indent=1)
            logger.info(f'per-disc records written to {self.records_file}')
        return flatten_summary(summary)
