"""PNG plots of a clinical summary: ROC with its operating point, FROC, and
rates against the score threshold. matplotlib's Agg canvas, no pyplot, so no
display is needed."""
import math
import os
import os.path as osp
from typing import Optional


def _figure():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - matplotlib comes with mmdet
        raise RuntimeError('plots need matplotlib: pip install matplotlib'
                           ) from e
    fig = Figure(figsize=(5, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(1, 1, 1)


def _save(fig, path: str) -> str:
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_roc(summary: dict, path: str) -> Optional[str]:
    """ROC curve PNG of the summary's positive class, with the AUC (and its
    interval) and the ``score_thr`` operating point.

    Returns:
        str | None: ``path``, or None when the AUC is undefined.
    """
    roc = summary.get('roc')
    if roc is None or math.isnan(roc['auc']):
        return None
    fig, ax = _figure()
    label = f'AUC = {roc["auc"]:.3f}'
    lo, hi = summary.get('auc_ci', (float('nan'), ) * 2)
    if not math.isnan(lo):
        label += f' [{lo:.3f}, {hi:.3f}]'
    ax.plot(roc['fpr'], roc['tpr'], marker='.', label=label)
    ax.plot([0, 1], [0, 1], ls='--', color='grey', lw=0.8)
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


def plot_froc(summary: dict, path: str) -> Optional[str]:
    """FROC curve PNG (sensitivity against false positives per image, log
    axis) with the sensitivities at the standard rates.

    Returns:
        str | None: ``path``, or None when the summary has no FROC.
    """
    froc = summary.get('froc')
    if not froc or not froc['num_lesions']:
        return None
    fig, ax = _figure()
    # the first point (0 false positives) cannot sit on a log axis
    ax.step(froc['fp_per_image'][1:], froc['sensitivity'][1:], where='post',
            label=f'mean sensitivity at 1/8..8 FP/image = '
            f'{froc["mean_sensitivity"]:.3f}')
    ax.plot(froc['fp_rates'], froc['sensitivity_at'], 'o', color='red')
    ax.set_xscale('log', base=2)
    ax.set_xlim(min(froc['fp_rates']) / 2, max(froc['fp_rates']) * 2)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(froc['fp_rates'])
    ax.set_xticklabels([f'{r:g}' for r in froc['fp_rates']])
    ax.set_xlabel('false positives per image')
    ax.set_ylabel('sensitivity')
    ax.set_title(f'FROC of {froc["class"]} ({froc["num_lesions"]} discs, '
                 f'{froc["num_images"]} images)')
    ax.legend(loc='lower right', fontsize='small')
    return _save(fig, path)


def plot_threshold_sweep(sweep: dict, positive_class: Optional[str],
                         path: str) -> str:
    """Sensitivity / specificity (and detection sensitivity) against the
    score threshold PNG, for the positive class or every class."""
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
