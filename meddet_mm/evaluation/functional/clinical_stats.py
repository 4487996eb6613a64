"""Statistics of per-disc clinical results: Wilson intervals of proportions,
ROC / AUC, a cluster (patient) bootstrap of F1 and AUC, and FROC.

Wilson score interval of k successes in n trials, z = 1.96 for 95%:
``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``. It treats the
trials (discs) as independent. The bootstrap resamples whole clusters
(patients, or images) with replacement and takes the 2.5th and 97.5th
percentiles of the statistic over the resamples.
"""
import math
from typing import Dict, Sequence, Tuple

import numpy as np

#: false positives per image at which FROC sensitivity is read
FROC_FP_RATES = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95
                    ) -> Tuple[float, float]:
    """Wilson score interval of a proportion.

    Args:
        successes (int): Number of successes k.
        trials (int): Number of trials n.
        z (float): Normal quantile; 1.96 gives a 95% interval.

    Returns:
        tuple[float, float]: (low, high); (nan, nan) when n is 0.
    """
    if successes < 0 or trials < 0 or successes > trials:
        raise ValueError(f'need 0 <= successes <= trials, got {successes} '
                         f'of {trials}')
    if trials == 0:
        return float('nan'), float('nan')
    p = successes / trials
    z2 = z * z
    denom = 1. + z2 / trials
    center = (p + z2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z2 /
                         (4 * trials * trials)) / denom
    return max(0., center - half), min(1., center + half)


def _trapezoid(y, x) -> float:
    fn = getattr(np, 'trapezoid', None) or getattr(np, 'trapz')
    return float(fn(y, x))


def roc_curve(scores, is_positive):
    """ROC of ``scores`` against boolean labels (call positive when
    score >= threshold).

    Args:
        scores: (N, ) scores.
        is_positive: (N, ) booleans.

    Returns:
        tuple: ``fpr``, ``tpr``, ``thresholds`` (descending; the first point
        is (0, 0) at threshold +inf; tied scores enter together) and the
        AUC (trapezoid rule; NaN when there are no positives or no
        negatives).
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


def weighted_auc(scores, is_positive, weights) -> np.ndarray:
    """AUC (Mann-Whitney, ties count one half) under sample weights.

    Equals the trapezoid AUC of the ROC curve of the weighted samples, so
    integer weights act like repeating a sample.

    Args:
        scores: (N, ) scores.
        is_positive: (N, ) booleans.
        weights: (N, ) or (B, N) non-negative weights, one row per
            resample.

    Returns:
        np.ndarray: (B, ) AUCs (a 0-d array for 1-D weights); NaN where the
        positives or the negatives have zero total weight.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    pos = np.asarray(is_positive, dtype=bool).reshape(-1)
    w = np.asarray(weights, dtype=np.float64)
    single = w.ndim == 1
    w = np.atleast_2d(w)
    if w.shape[1] != len(scores):
        raise ValueError(f'{w.shape[1]} weights for {len(scores)} scores')
    if not len(scores):
        out = np.full(len(w), np.nan)
        return out[0] if single else out
    order = np.argsort(scores, kind='mergesort')
    s_sorted = scores[order]
    starts = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]
    w_sorted = w[:, order]
    pos_sorted = pos[order]
    pos_w = np.add.reduceat(w_sorted * pos_sorted, starts, axis=1)
    neg_w = np.add.reduceat(w_sorted * ~pos_sorted, starts, axis=1)
    neg_below = np.cumsum(neg_w, axis=1) - neg_w
    total = pos_w.sum(axis=1) * neg_w.sum(axis=1)
    with np.errstate(invalid='ignore', divide='ignore'):
        auc = (pos_w * (neg_below + 0.5 * neg_w)).sum(axis=1) / total
    auc = np.where(total > 0, auc, np.nan)
    return auc[0] if single else auc


def bootstrap_counts(units: Sequence, num_resamples: int, seed: int = 0
                     ) -> Tuple[np.ndarray, np.ndarray]:
    """How often each cluster is drawn in each bootstrap resample.

    Args:
        units (Sequence): Cluster (patient or image) of each item.
        num_resamples (int): Number of resamples B.
        seed (int): Seed of the generator. Defaults to 0.

    Returns:
        tuple[np.ndarray, np.ndarray]: (B, U) draw counts of the U distinct
        clusters (sorted), and the (N, ) cluster index of each item.
    """
    keys = np.array([str(u) for u in units], dtype=str)
    names, index = np.unique(keys, return_inverse=True)
    rng = np.random.default_rng(seed)
    u = len(names)
    draws = rng.integers(0, u, size=(num_resamples, u))
    counts = np.zeros((num_resamples, u))
    np.add.at(counts, (np.arange(num_resamples)[:, None], draws), 1.)
    return counts, index.astype(np.int64).reshape(-1)


def percentile_interval(values, level: float = 0.95
                        ) -> Tuple[float, float]:
    """Percentile interval of the finite values; (nan, nan) if none."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return float('nan'), float('nan')
    tail = (1. - level) / 2. * 100.
    lo, hi = np.percentile(values, [tail, 100. - tail])
    return float(lo), float(hi)


def bootstrap_f1(counts_per_unit: np.ndarray, draw_counts: np.ndarray
                 ) -> np.ndarray:
    """F1 of each resample from per-cluster counts.

    F1 = 2 TP / (2 TP + FP + false alarms + FN), the harmonic mean of
    precision TP / (TP + FP + false alarms) and sensitivity TP / (TP + FN).

    Args:
        counts_per_unit (np.ndarray): (U, 4) TP, FN, FP, false alarms of
            each cluster.
        draw_counts (np.ndarray): (B, U) from :func:`bootstrap_counts`.

    Returns:
        np.ndarray: (B, ) F1, NaN where sensitivity or precision is
        undefined.
    """
    tp, fn, fp, fa = (draw_counts @ counts_per_unit).T
    with np.errstate(invalid='ignore', divide='ignore'):
        f1 = 2 * tp / (2 * tp + fp + fa + fn)
    undefined = (tp + fn == 0) | (tp + fp + fa == 0)
    return np.where(undefined, np.nan, f1)


def froc_curve(lesion_scores, fp_scores, num_images: int,
               fp_rates: Sequence[float] = FROC_FP_RATES) -> Dict:
    """Free-response ROC: lesion sensitivity against false positives per
    image, over all score thresholds.

    Args:
        lesion_scores: (L, ) score with which each lesion is found (NaN or
            None: never found).
        fp_scores: (F, ) scores of the false-positive marks.
        num_images (int): Number of images, for the per-image rate.
        fp_rates (Sequence[float]): False positives per image at which the
            sensitivity is read. Defaults to 1/8, 1/4, ..., 8.

    Returns:
        dict: ``thresholds`` (descending), ``fp_per_image``,
        ``sensitivity``; ``fp_rates``, ``sensitivity_at`` (the highest
        sensitivity reached with at most that many false positives per
        image) and ``mean_sensitivity`` (their mean); ``num_lesions``,
        ``num_images``.
    """
    if num_images <= 0:
        raise ValueError(f'froc_curve needs num_images > 0, got {num_images}')
    les = np.array([np.nan if v is None else v for v in lesion_scores],
                   dtype=np.float64).reshape(-1)
    fps = np.asarray(fp_scores, dtype=np.float64).reshape(-1)
    found_scores = np.sort(les[np.isfinite(les)])
    fps = np.sort(fps)
    thresholds = np.unique(np.r_[found_scores, fps])[::-1]
    n_found = len(found_scores) - np.searchsorted(found_scores, thresholds,
                                                  side='left')
    n_fp = len(fps) - np.searchsorted(fps, thresholds, side='left')
    sens = n_found / len(les) if len(les) else n_found * np.nan
    fppi = n_fp / float(num_images)
    # the curve starts at (0, 0): nothing called above every score
    sens = np.r_[0.0, sens] if len(les) else np.r_[np.nan, sens]
    fppi = np.r_[0.0, fppi]
    at = []
    for rate in fp_rates:
        ok = fppi <= rate
        at.append(float(np.max(sens[ok])) if len(les) else float('nan'))
    return dict(thresholds=[float('inf')] + [float(t) for t in thresholds],
                fp_per_image=[float(v) for v in fppi],
                sensitivity=[float(v) for v in sens],
                fp_rates=[float(r) for r in fp_rates],
                sensitivity_at=at,
                mean_sensitivity=float(np.mean(at)) if at else float('nan'),
                num_lesions=int(len(les)), num_images=int(num_images))
