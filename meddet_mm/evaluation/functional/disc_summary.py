"""Clinical summary of matched discs (see ``disc_matching.py``): per-class
sensitivity, specificity, precision and F1 with 95% intervals, missed discs,
false alarms, ROC/AUC with a patient-bootstrap interval, FROC; the threshold
sweep, the flat scalars a metric returns, a text table and JSON output.

A disc is *detected* when any matched box has score >= ``score_thr`` and
*called* class ``c`` when ``class_scores[c] >= score_thr``. Per class ``c``
(one-vs-rest over GT discs): TP = GT c called c, FN = GT c not called c,
FP = another class called c, TN = another class not called c; sensitivity =
TP / (TP + FN), specificity = TN / (TN + FP), precision = TP / (TP + FP +
false alarms of c), F1 their harmonic mean. Definitions and the intervals:
``docs/clinical_metrics.md``.
"""
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

from .clinical_stats import (bootstrap_counts, bootstrap_f1, froc_curve,
                             percentile_interval, roc_curve, weighted_auc,
                             wilson_interval)

NAN_PAIR = (float('nan'), float('nan'))


def _ratio(num, den) -> float:
    return float(num) / float(den) if den else float('nan')


def _nanmean(values) -> float:
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else float('nan')


def _positive_index(classes: Sequence[str], positive_class: Optional[str]):
    """(index or None, notes) of the positive class."""
    if positive_class is None:
        return None, ['no positive_class given: ROC/AUC not computed']
    if positive_class in classes:
        if len(classes) < 2:
            return None, [
                f'one-class dataset {tuple(classes)}: there are no negative '
                f'discs, so specificity and ROC/AUC are NaN (detection '
                f'sensitivity, missed discs and FROC are still valid)'
            ]
        return list(classes).index(positive_class), []
    if len(classes) < 2:
        return None, [
            f'one-class dataset {tuple(classes)} (positive_class '
            f'{positive_class!r} is not one of its classes): there are no '
            f'negative discs, so specificity and ROC/AUC are NaN (detection '
            f'sensitivity, missed discs and FROC are still valid)'
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


def unit_of(record: dict) -> str:
    """Bootstrap cluster of a record: its patient, else its image."""
    if record.get('patient_id') is not None:
        return f'patient:{record["patient_id"]}'
    return f'image:{record.get("img_id", record.get("img_path"))}'


def _froc_class(classes, pos_idx, positive_class) -> Optional[int]:
    if pos_idx is not None:
        return pos_idx
    if len(classes) == 1:
        return 0
    return None


def summarize_discs(discs: List[dict], false_alarms: List[dict],
                    classes: Sequence[str], score_thr: float = 0.5,
                    positive_class: Optional[str] = 'protrusion',
                    iou_thr: Optional[float] = None,
                    num_images: Optional[int] = None,
                    num_bootstrap: int = 0, bootstrap_seed: int = 0) -> dict:
    """Clinical metrics from the records of
    :func:`~meddet_mm.evaluation.functional.match_discs`.

    Wilson 95% intervals come with every sensitivity, specificity and
    precision. With ``num_bootstrap > 0`` the F1 of each class and the AUC
    get 95% percentile intervals from a bootstrap that resamples patients
    (records' ``patient_id``, see
    :func:`~meddet_mm.evaluation.functional.assign_units`), or images for
    records without one. With ``num_images`` the FROC of the positive class
    (the only class of a one-class set) is added.

    Args:
        discs (list[dict]): Per-disc records.
        false_alarms (list[dict]): False-alarm records.
        classes (Sequence[str]): Class names in label order.
        score_thr (float): Score threshold of a call. Defaults to 0.5.
        positive_class (str, optional): Class of the ROC curve. Defaults
            to 'protrusion'.
        iou_thr (float, optional): Matching IoU, recorded in the summary.
        num_images (int, optional): Number of images evaluated; needed for
            FROC (false positives per image).
        num_bootstrap (int): Bootstrap resamples; 0 skips the bootstrap.
            Defaults to 0.
        bootstrap_seed (int): Seed of the resampling. Defaults to 0.

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

    boot = None
    if num_bootstrap > 0:
        units = [unit_of(r) for r in discs] + [unit_of(r)
                                               for r in false_alarms]
        draws, index = bootstrap_counts(units, num_bootstrap, bootstrap_seed)
        disc_unit, fa_unit = index[:len(discs)], index[len(discs):]
        kinds = {u.split(':', 1)[0] for u in units}
        boot = dict(num_resamples=int(num_bootstrap), seed=bootstrap_seed,
                    unit='patient' if kinds == {'patient'} else 'image',
                    num_units=int(draws.shape[1]), level=0.95)

    per_class = {}
    for c, name in enumerate(classes):
        gt_c = labels == c
        tp_d = gt_c & called[:, c]
        fn_d = gt_c & ~called[:, c]
        fp_d = ~gt_c & called[:, c]
        fa_d = fa_kept & (fa_labels == c)
        tp, fn, fp = int(tp_d.sum()), int(fn_d.sum()), int(fp_d.sum())
        tn = int((~gt_c).sum()) - fp
        fa = int(fa_d.sum())
        sens = _ratio(tp, tp + fn)
        spec = _ratio(tn, tn + fp)
        prec = _ratio(tp, tp + fp + fa)
        if math.isnan(sens) or math.isnan(prec):
            f1 = float('nan')
        else:
            f1 = 2 * prec * sens / (prec + sens) if prec + sens else 0.0
        f1_ci = NAN_PAIR
        if boot is not None:
            per_unit = np.zeros((boot['num_units'], 4))
            for k, mask in enumerate((tp_d, fn_d, fp_d)):
                np.add.at(per_unit[:, k], disc_unit[mask], 1.)
            np.add.at(per_unit[:, 3], fa_unit[fa_d], 1.)
            f1_ci = percentile_interval(bootstrap_f1(per_unit, draws))
        per_class[name] = dict(
            num_discs=int(gt_c.sum()), tp=tp, fn=fn, fp=fp, tn=tn,
            false_alarms=fa, sensitivity=sens, specificity=spec,
            precision=prec, f1=f1,
            sensitivity_ci=list(wilson_interval(tp, tp + fn)),
            specificity_ci=list(wilson_interval(tn, tn + fp)),
            precision_ci=list(wilson_interval(tp, tp + fp + fa)),
            f1_ci=list(f1_ci))
        if not gt_c.sum():
            notes.append(f'no GT discs of class {name!r}: its sensitivity '
                         'is NaN')
    macro = {
        k: _nanmean([per_class[n][k] for n in classes])
        for k in ('sensitivity', 'specificity', 'precision', 'f1')
    }
    roc, auc_ci = None, NAN_PAIR
    if pos_idx is not None:
        pos_scores = np.nan_to_num(scores[:, pos_idx])
        is_pos = labels == pos_idx
        fpr, tpr, thr, auc = roc_curve(pos_scores, is_pos)
        if math.isnan(auc):
            notes.append(f'ROC/AUC of {positive_class!r} needs GT discs of '
                         'that class and of another class: AUC is NaN')
        elif boot is not None:
            aucs = weighted_auc(pos_scores, is_pos, draws[:, disc_unit])
            boot['auc_valid_resamples'] = int(np.isfinite(aucs).sum())
            auc_ci = percentile_interval(aucs)
        roc = dict(positive_class=positive_class, auc=auc,
                   fpr=[float(v) for v in fpr], tpr=[float(v) for v in tpr],
                   thresholds=[float(v) for v in thr])
    froc = None
    froc_idx = _froc_class(classes, pos_idx, positive_class)
    if num_images and froc_idx is not None:
        is_les = labels == froc_idx
        fp_marks = np.r_[scores[~is_les, froc_idx],
                         fa_scores[fa_labels == froc_idx]]
        froc = froc_curve(scores[is_les, froc_idx],
                          fp_marks[np.isfinite(fp_marks)], num_images)
        froc['class'] = classes[froc_idx]
    num = len(discs)
    return dict(
        classes=classes,
        iou_thr=iou_thr,
        score_thr=score_thr,
        positive_class=positive_class,
        num_images=num_images,
        num_discs=num,
        detected_discs=int(detected.sum()),
        missed_discs=num - int(detected.sum()),
        detection_sensitivity=_ratio(detected.sum(), num),
        detection_sensitivity_ci=list(
            wilson_interval(int(detected.sum()), num)),
        false_alarms=int(fa_kept.sum()),
        per_class=per_class,
        macro=macro,
        auc=roc['auc'] if roc else float('nan'),
        auc_ci=list(auc_ci),
        roc=roc,
        froc=froc,
        bootstrap=boot,
        notes=notes)


def flatten_summary(summary: dict) -> Dict[str, float]:
    """The scalar metrics of a summary (keys without prefix)."""
    out = {k: summary[k] for k in ('num_discs', 'detected_discs',
                                   'missed_discs', 'detection_sensitivity',
                                   'false_alarms')}
    out.update(summary['macro'])
    out['auc'] = summary['auc']
    out['auc_ci_low'], out['auc_ci_high'] = summary['auc_ci']
    if summary.get('froc'):
        out['froc_mean_sensitivity'] = summary['froc']['mean_sensitivity']
    for name, row in summary['per_class'].items():
        for k in ('sensitivity', 'specificity', 'precision', 'f1'):
            out[f'{name}_{k}'] = row[k]
            out[f'{name}_{k}_ci_low'], out[f'{name}_{k}_ci_high'] = row[
                f'{k}_ci']
        out[f'{name}_false_alarms'] = row['false_alarms']
    return {k: (round(v, 4) if isinstance(v, float) and not math.isnan(v)
                else v) for k, v in out.items()}


def _fmt(v) -> str:
    return 'n/a' if isinstance(v, float) and math.isnan(v) else f'{v:.3f}'


def _fmt_ci(value, ci) -> str:
    if isinstance(value, float) and math.isnan(value):
        return 'n/a'
    lo, hi = ci
    if math.isnan(lo):
        return f'{value:.3f}'
    return f'{value:.3f} [{lo:.3f}, {hi:.3f}]'


def format_summary(summary: dict) -> str:
    """A text table: one row per class with 95% intervals, the macro mean,
    then the totals, AUC and FROC."""
    names = list(summary['per_class']) + ['macro mean']
    width = max(10, *(len(n) for n in names))
    cell = 21
    head = (f'{"class":<{width}} {"discs":>6} {"TP":>5} {"FN":>5} {"FP":>5} '
            f'{"TN":>5} {"f.alarm":>7} {"sensitivity":>{cell}} '
            f'{"specificity":>{cell}} {"precision":>{cell}} '
            f'{"F1":>{cell}}')
    lines = [head, '-' * len(head)]
    for name, r in summary['per_class'].items():
        lines.append(
            f'{name:<{width}} {r["num_discs"]:>6} {r["tp"]:>5} {r["fn"]:>5} '
            f'{r["fp"]:>5} {r["tn"]:>5} {r["false_alarms"]:>7} ' + ' '.join(
                f'{_fmt_ci(r[k], r[k + "_ci"]):>{cell}}'
                for k in ('sensitivity', 'specificity', 'precision', 'f1')))
    m = summary['macro']
    lines.append(f'{"macro mean":<{width}} {"":>6} {"":>5} {"":>5} {"":>5} '
                 f'{"":>5} {"":>7} ' + ' '.join(
                     f'{_fmt(m[k]):>{cell}}'
                     for k in ('sensitivity', 'specificity', 'precision',
                               'f1')))
    detection = _fmt_ci(summary['detection_sensitivity'],
                        summary['detection_sensitivity_ci'])
    lines.append(
        f'discs: {summary["num_discs"]}, detected {summary["detected_discs"]}'
        f' (detection sensitivity {detection}'
        f'), missed {summary["missed_discs"]}; false alarms '
        f'{summary["false_alarms"]}; IoU >= {summary["iou_thr"]}, score >= '
        f'{summary["score_thr"]}')
    lines.append('intervals: 95%; sensitivity, specificity and precision by '
                 'Wilson (discs as independent)' + (
                     f', F1 and AUC by bootstrap over '
                     f'{summary["bootstrap"]["num_units"]} '
                     f'{summary["bootstrap"]["unit"]}s '
                     f'({summary["bootstrap"]["num_resamples"]} resamples)'
                     if summary.get('bootstrap') else ''))
    if summary['roc'] is not None:
        lines.append(f'AUC ({summary["positive_class"]} vs rest, per disc): '
                     f'{_fmt_ci(summary["auc"], summary["auc_ci"])}')
    froc = summary.get('froc')
    if froc:
        pairs = ', '.join(f'{r:g}: {_fmt(s)}' for r, s in zip(
            froc['fp_rates'], froc['sensitivity_at']))
        lines.append(f'FROC ({froc["class"]}, sensitivity at false positives'
                     f' per image) {pairs}; mean '
                     f'{_fmt(froc["mean_sensitivity"])}')
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


def dump_json(obj, path: str) -> str:
    """Write ``json_safe(obj)`` to ``path`` (folders created); the path."""
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(json_safe(obj), f, indent=1)
    return path
