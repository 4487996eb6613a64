"""Markdown tables of the SPIDER evidence from the committed JSON results.

    python benchmarks/make_tables.py   # both protocols' tables, docs too

Two protocols, never mixed: a table is built from one results folder only.

- v1 (``benchmarks/run_spider.py``): ``benchmarks/results/spider_v1/*.json``
  (with noise_robustness.py's JSON) and the shared ``speed.json`` /
  ``distill_step_cost.json`` of ``benchmarks/results/``; written to
  ``spider_v1/tables.md``, between the ``results:start`` / ``results:end``
  markers of docs/results.md, and as the results table of
  configs/meddet/README.md. A run that has not finished shows "not run".
- v2 (``benchmarks/run_spider_v2.py``, rows = ``configs/spider/`` files):
  ``benchmarks/results/spider_v2/*.json``; written to
  ``spider_v2/tables.md`` and between the ``results-v2:start`` /
  ``results-v2:end`` markers of docs/results.md: calibration, a table per
  data set (mean ± sd over seeds) and MedDet against each other row, paired
  by seed, the paper's claims judged (``paper_claims.py``). A row with no
  finished seed says "not run yet". The README's short results table
  (between ``headline:start`` / ``headline:end``) comes from the same
  JSONs.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import paper_claims  # noqa: E402
import run_spider  # noqa: E402
import run_spider_v2  # noqa: E402
from speed import lean_model_name  # noqa: E402

# protocol v1's results folder (run_spider.py, noise_robustness.py)
RESULTS = run_spider.RESULTS_DIR
# protocol v2's (run_spider_v2.py)
RESULTS_V2 = run_spider_v2.RESULTS_DIR
# measurements that belong to no protocol's table rows
RESULTS_SHARED = osp.join(run_spider.REPO_ROOT, 'benchmarks', 'results')
DOCS_RESULTS = osp.join(run_spider.REPO_ROOT, 'docs', 'results.md')
# paper (CDH-1848, private data; METHOD.md): mAP, recall
PAPER = {
    'GFL (MobileNetV2)': (80.8, 0.976),
    'MedDet': (85.5, 0.972),
    'LD': (84.7, 0.970),
    'MGD': (84.2, 0.969),
    'FGD': (84.5, 0.970),
    'GFL (ResNet-152)': (86.1, 0.976),
    'GFL (ResNet-101)': (85.8, 0.974),
    'GFL (ResNet-50)': (85.6, 0.970),
}


def load(name, folder=None):
    """A v1 result JSON of ``RESULTS`` (or of ``folder``); None if absent.
    A v2 result is an error: the v1 tables never take v2 rows."""
    path = osp.join(folder or RESULTS, f'{name}.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        result = json.load(f)
    if result.get('protocol') == run_spider_v2.PROTOCOL:
        raise ValueError(f'{path} is a protocol {run_spider_v2.PROTOCOL} '
                         'result in the v1 folder; v1 and v2 never mix')
    return result


def metric(result, key):
    return None if result is None else result['metrics'].get(key)


def over_seeds(prefix, key, seeds=(0, 1)):
    values = [metric(load(f'{prefix}-s{s}'), key) for s in seeds]
    values = [v for v in values if v is not None]
    return values


def fmt_seeds(values, scale=100.0, digits=1):
    """'mean ± sd (n)' of values (x scale)."""
    if not values:
        return 'not run'
    vals = [v * scale for v in values]
    mean = statistics.mean(vals)
    if len(vals) == 1:
        return f'{mean:.{digits}f} (1 seed)'
    return (f'{mean:.{digits}f} ± {statistics.stdev(vals):.{digits}f} '
            f'({len(vals)} seeds: ' +
            ', '.join(f'{v:.{digits}f}' for v in vals) + ')')


def headline(lines, var):
    lines += [f'### Headline: MedDet student vs plain student (SPIDER {var})',
              '', 'val mAP / mAP50 / recall@0.5 in %, mean ± sd over seeds.',
              '', '| model | mAP | mAP50 | recall@0.5 |', '|---|---|---|---|']
    for label, prefix in (('GFL-MobileNetV2 (plain)', f'student_mbv2-{var}'),
                          ('MedDet student (AFA+LWFF+AATM)',
                           f'meddet_mbv2-{var}')):
        cells = [fmt_seeds(over_seeds(prefix, k))
                 for k in ('coco/bbox_mAP', 'coco/bbox_mAP_50',
                           'coco/bbox_recall@0.5')]
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    lines.append('')


def speed_rows():
    speed = load('speed', RESULTS_SHARED)
    return speed['models'] if speed else {}


def teachers_table(lines, var):
    speed = speed_rows()
    lines += [f'### Teachers vs students (Table II analogue, SPIDER {var})',
              '', 'mAP/mAP50/recall in % on val (one seed for teachers); '
              'ms and FPS: batch 1, 2 threads, 320x256, '
              '`model.predict` incl. NMS, from speed.json (one run); params '
              'and GFLOPs at 320x256. Paper: CDH, mAP and recall.', '',
              '| model | mAP | mAP50 | recall@0.5 | ms (FPS) | params M | '
              'GFLOPs | paper mAP / recall |',
              '|---|---|---|---|---|---|---|---|']
    rows = [(f'GFL R-{t[1:]} (teacher)', [f'teacher_{t}-{var}'],
             f'teacher_{t}', PAPER.get(f'GFL (ResNet-{t[1:]})'))
            for t in run_spider.TEACHERS]
    rows += [('GFL-MobileNetV2 (plain student)',
              [f'student_mbv2-{var}-s0', f'student_mbv2-{var}-s1'],
              'student_mbv2', PAPER['GFL (MobileNetV2)']),
             ('MedDet student', [f'meddet_mbv2-{var}-s0',
                                 f'meddet_mbv2-{var}-s1'],
              'student_mbv2', PAPER['MedDet'])]
    if var == 'disc':  # lean students ran on disc only
        rows += [(f'MedDet-{lean} student',
                  [f'meddet_{lean}-{var}-s{s}' for s in (0, 1)],
                  lean_model_name(lean), None)
                 for lean in run_spider.LEAN_STUDENTS]
    for label, names, speed_key, paper in rows:
        results = [load(n) for n in names]
        cells = []
        for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50',
                    'coco/bbox_recall@0.5'):
            vals = [metric(r, key) for r in results if r]
            cells.append(fmt_seeds([v for v in vals if v is not None]))
        entry = speed.get(speed_key)
        if entry and 'torch' in entry and '320x256' in entry['torch']:
            t = entry['torch']['320x256']
            cells += [f"{t['ms_median']:.0f} ({t['fps']:.1f})",
                      f"{entry['params_M']:.2f}",
                      f"{entry['gflops']['320x256']:.2f}"]
        else:
            cells += ['-', '-', '-']
        cells.append(f'{paper[0]} / {paper[1]}' if paper else '-')
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    lines.append('')


def kd_table(lines, var):
    lines += [f'### KD methods, same student (Table I analogue, SPIDER {var})',
              '', 'MGD, FGD and MSKD distil from the R-50 CPU-protocol '
              'teacher (one teacher, its FPN maps from the feature cache); '
              'LD (mmdet KnowledgeDistillationSingleStageDetector + LDHead) '
              'from the same R-50 teacher run live; MedDet from R-18/34/50.',
              '',
              '| method | mAP | mAP50 | paper mAP / recall |',
              '|---|---|---|---|']
    for label, prefix, paper in (
            ('GFL-MobileNetV2 (no KD)', f'student_mbv2-{var}',
             'GFL (MobileNetV2)'), ('LD', f'ld_mbv2-{var}', 'LD'),
            ('MGD', f'mgd_mbv2-{var}', 'MGD'),
            ('FGD', f'fgd_mbv2-{var}', 'FGD'),
            ('MSKD (FFD + RGD)', f'mskd_mbv2-{var}', None),
            ('MedDet', f'meddet_mbv2-{var}', 'MedDet')):
        cells = [fmt_seeds(over_seeds(prefix, k))
                 for k in ('coco/bbox_mAP', 'coco/bbox_mAP_50')]
        p = PAPER.get(paper)
        lines.append(f'| {label} | ' + ' | '.join(cells) +
                     (f' | {p[0]} / {p[1]} |' if p else ' | - |'))
    lines.append('')


def ablation_table(lines, var):
    lines += [f'### Ablations (Tables III-V analogues, SPIDER {var})', '',
              'Same plain GFL-MobileNetV2 student and R-18/34/50 teachers '
              'unless the row says nmODE2; mean over the seeds that '
              'ran (each cell says how many). "mean" fuses '
              'the teachers by averaging their aligned maps.', '',
              '| model | distiller | mAP | mAP50 |', '|---|---|---|---|']
    for label, distiller, prefix in (
            ('plain student', 'none', f'student_mbv2-{var}'),
            ('KD (Table III row 1)', 'AFA, mean fusion, no AATM',
             f'meddet-kd_mbv2-{var}'),
            ('+LWFF (Table III row 3)', 'AFA, LWFF, no AATM',
             f'meddet-lwff_mbv2-{var}'),
            ('+AATM = MedDet (row 4)', 'AFA, LWFF, AATM',
             f'meddet_mbv2-{var}'),
            ('fusion: sum (Table V)', 'AFA, sum, AATM',
             f'meddet-fusion-sum_mbv2-{var}'),
            ('fusion: concat + 1x1 (Table V)', 'AFA, concat, AATM',
             f'meddet-fusion-concat_mbv2-{var}'),
            ('KD + nmODE2 in backbone (Table IV)',
             'AFA, mean fusion, no AATM',
             f'meddet-kd-nmode2-backbone_mbv2-{var}'),
            ('KD + nmODE2 in FPN (Table IV)', 'AFA, mean fusion, no AATM',
             f'meddet-kd-nmode2-fpn_mbv2-{var}'),
            ('student + nmODE2 head (no KD)', 'none',
             f'student_mbv2-nmode2-head-{var}'),
            ('MedDet + nmODE2 head (Table IV "head")', 'AFA, LWFF, AATM',
             f'meddet_mbv2-nmode2-head-{var}')):
        cells = [fmt_seeds(over_seeds(prefix, k))
                 for k in ('coco/bbox_mAP', 'coco/bbox_mAP_50')]
        lines.append(f'| {label} | {distiller} | ' + ' | '.join(cells) +
                     ' |')
    lines.append('')


def fusion_fix_table(lines):
    """MedDet and LWFF-without-AATM before and after the fusion fix
    (run_spider.py table ``fusion_fix``)."""
    lines += ['### Fusion fix: the fused teacher target before and after '
              '(SPIDER disc, seed 0)', '',
              'v1 wiring: the fused map is not detached and the learned fuser '
              'has no objective of its own; fixed: detached target plus the '
              "fuser's reconstruction loss (`loss_fuse`). fused / generated "
              'ratio: `fused_spatial_ratio_last` / '
              '`generated_spatial_ratio_last`, mean over the last epoch '
              '(1: as spatially informative as the teachers\' own maps, 0: '
              'collapsed). s/iter: median logged step time at '
              '`OMP_NUM_THREADS=1` beside one other run.', '',
              '| model | wiring | mAP | mAP50 | fused ratio | generated ratio '
              '| s/iter |', '|---|---|---|---|---|---|---|']
    for label, prefix in (('MedDet (AFA + LWFF + AATM)', 'meddet'),
                          ('LWFF without AATM', 'meddet-lwff')):
        for wiring in run_spider.WIRINGS:
            r = load(f'{prefix}-{wiring}_mbv2-disc-s0')
            if r is None:
                lines.append(f'| {label} | {wiring} | not run | | | | |')
                continue
            cells = [f"{100 * metric(r, k):.1f}"
                     for k in ('coco/bbox_mAP', 'coco/bbox_mAP_50')]
            cells += [_num(r.get('fused_spatial_ratio_last'), 2),
                      _num(r.get('generated_spatial_ratio_last'), 2),
                      _num(r.get('s_per_iter'), 2)]
            lines.append(f'| {label} | {wiring} | ' + ' | '.join(cells) +
                         ' |')
    lines.append('')


# disc KD methods and ablations, in the order of the bar chart
DISTILL_ROWS = (('no KD', 'student_mbv2'), ('LD', 'ld_mbv2'),
                ('MGD', 'mgd_mbv2'), ('FGD', 'fgd_mbv2'),
                ('MSKD', 'mskd_mbv2'),
                ('KD mean\n(no AATM)', 'meddet-kd_mbv2'),
                ('LWFF\n(no AATM)', 'meddet-lwff_mbv2'),
                ('sum\n+AATM', 'meddet-fusion-sum_mbv2'),
                ('concat\n+AATM', 'meddet-fusion-concat_mbv2'),
                ('MedDet', 'meddet_mbv2'))
KD_PNG = 'kd_ablation.png'


def bar_plot(rows, path, title, refs=()):
    """Bar chart of val mAP per row (mean, one dot per seed) with dashed
    reference lines ``refs`` = ((label, value), ...); writes ``path``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(max(9, 0.75 * len(rows)), 3.6))
    xs = range(len(rows))
    ax.bar(xs, [statistics.mean(v) for _, v in rows], color='#8fb3d9')
    for x, (_, vals) in zip(xs, rows):
        ax.plot([x] * len(vals), vals, 'k.', ms=6)
    for (label, value), color in zip(refs, ('grey', '#c0504d')):
        ax.axhline(value, color=color, lw=0.8, ls='--', label=label)
    if refs:
        ax.legend(fontsize=7, loc='lower right')
    ax.set_xticks(list(xs), [label for label, _ in rows], fontsize=8)
    ax.set_ylabel('val mAP (%)')
    ax.set_title(title, fontsize=9)
    ax.set_ylim(0, max([max(v) for _, v in rows] +
                       [v for _, v in refs]) * 1.15)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def kd_plot(var='disc'):
    """v1: val mAP per distillation method / ablation (mean over the seeds
    that ran, one dot per seed); returns the PNG name or None."""
    rows = [(label, over_seeds(f'{prefix}-{var}', 'coco/bbox_mAP'))
            for label, prefix in DISTILL_ROWS]
    rows = [(label, [v * 100 for v in vals]) for label, vals in rows if vals]
    if not rows:
        return None
    bar_plot(rows, osp.join(RESULTS, KD_PNG),
             f'SPIDER {var}: same GFL-MobileNetV2 student, CPU protocol '
             '(dots: seeds; dashed: no KD)',
             refs=(('no KD', statistics.mean(rows[0][1])), ))
    return KD_PNG


def v2_plot_label(row):
    """A short x label: the method part of the row name."""
    method = row.name.split('_')[0]
    if row.role == 'student':
        return 'no KD'
    if method == 'gfl':
        return 'nmODE2\nhead'
    if method == 'meddet' and run_spider_v2.single_teacher(row):
        return 'MedDet\n1 teacher'
    if method == 'kd' and '_gfl-mbv2-nmode2_' in row.name:
        return 'KD +\nnmODE2'
    return {'meddet': 'MedDet', 'kd-lwff': 'KD +\nLWFF',
            'meddet-sum': 'sum +\nAATM', 'meddet-concat': 'concat +\nAATM',
            'fgd-noinherit': 'FGD, no\ninherit'}.get(method, method.upper())


def v2_plot(section='protrusion'):
    """v2: val mAP of every student row of ``section`` that finished (one
    dot per seed), the plain student and the best teacher dashed; returns
    the PNG name or None."""
    rows = []
    for row in run_spider_v2.ROWS:
        vals = run_spider_v2.metric_values(row, results_dir=RESULTS_V2)
        if row.section != section or row.role == 'teacher' or not vals:
            continue
        rows.append((v2_plot_label(row), [100 * v for v in vals.values()]))
    if not rows:
        return None
    cal = run_spider_v2.calibration(section, RESULTS_V2)
    refs = []
    if cal['student']:
        refs.append(('plain student', statistics.mean(cal['student'])))
    if cal['best_teacher']:
        refs.append(('best teacher', cal['teachers'][cal['best_teacher']]))
    png = f'rows_{section}.png'
    bar_plot(rows, osp.join(RESULTS_V2, png),
             f'SPIDER {section}, protocol v2: GFL-MobileNetV2 students '
             '(dots: seeds)', refs)
    return png


def _num(value, digits=3):
    """A metric for a table cell ('n/a' for None/NaN)."""
    if value is None or value != value:
        return 'n/a'
    return f'{value:.{digits}f}'


def _clinical_intro(cls):
    return ('A disc is detected when a box with score >= 0.3 overlaps it '
            'with IoU >= 0.5 (docs/clinical_metrics.md). Sensitivity, '
            f'specificity, precision, F1 and AUC are those of the {cls!r} '
            'call (specificity and AUC need a negative class: n/a for the '
            'one-class disc set).')


def clinical_table(lines, var):
    cls = 'disc' if var == 'disc' else 'protrusion'
    lines += [f'### Per-disc clinical metrics (SPIDER {var} val)', '',
              _clinical_intro(cls) + ' One row per run.', '',
              '| run | discs | missed | false alarms | sensitivity | '
              'specificity | precision | F1 | AUC |',
              '|---|---|---|---|---|---|---|---|---|']
    names = [f'{p}-{var}-s{s}' for p in ('student_mbv2', 'meddet_mbv2',
                                         'mskd_mbv2') for s in (0, 1)]
    if var == 'disc':
        names += [f'meddet_{lean}-disc-s{s}'
                  for lean in run_spider.LEAN_STUDENTS for s in (0, 1)]
    for name in names:
        r = load(name)
        m = r['metrics'] if r else {}
        if 'clinical/num_discs' not in m:
            continue
        lines.append(
            f"| {name} | {m['clinical/num_discs']} | "
            f"{m['clinical/missed_discs']} | "
            f"{m['clinical/false_alarms']} | " + ' | '.join(
                _num(m.get(f'clinical/{cls}_{k}'))
                for k in ('sensitivity', 'specificity', 'precision', 'f1'))
            + f" | {_num(m.get('clinical/auc'))} |")
    lines.append('')


def noise_table(lines, noise=None,
                title='Noise robustness (SPIDER disc val, Rician noise)'):
    """The Rician sweep of ``noise`` (default: the v1 one) as a table."""
    noise = noise if noise is not None else load('noise_robustness')
    lines += [f'### {title}', '']
    if not noise:
        lines += ['not run', '']
        return
    table = noise['results']
    sigmas = sorted({s for rows in table.values() for s in rows}, key=float)
    lines += ['val mAP in % (mAP50 in brackets); sigma relative to the '
              'maximum intensity, same noisy images for every model.', '',
              '| model | ' + ' | '.join(f'σ={s}' for s in sigmas) + ' |',
              '|---|' + '---|' * len(sigmas)]
    t_end = noise.get('t_end') or {}
    for name, rows in sorted(table.items()):
        cells = [f"{100 * rows[s]['mAP']:.1f} ({100 * rows[s]['mAP50']:.1f})"
                 if s in rows else '-' for s in sigmas]
        label = name
        if name in t_end:  # nmODE2 head integrated to this end time
            label += f" (nmODE2 t_end {t_end[name]:g})"
        if noise.get('protocol') == 'v2':  # '<row>-s<seed>': its label
            row, seed = run_spider_v2.parse_run(name)
            label = f'{row.label}, seed {seed}'
            if (noise.get('retrains') or {}).get(name):
                label += ' (trained again)'
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    lines += ['', '![noise robustness](noise_robustness.png)', '']


def speed_table(lines):
    speed = load('speed', RESULTS_SHARED)
    lines += ['### CPU speed (benchmarks/speed.py, one run)', '']
    if not speed:
        lines += ['not run', '']
        return
    sizes = list(next(iter(speed['models'].values()))['gflops'])
    modes = [m for m in ('torch', 'torch_tensor', 'onnx', 'onnx_fp32',
                         'onnx_int8')
             if any(m in e for e in speed['models'].values())]
    lines += [f"batch 1, {speed['threads']} threads, median of "
              f"{speed['num_images']} images; ms per image and speed-up vs "
              'the GFL R-50 + nmODE2 teacher. torch = predict incl. NMS; '
              'torch_tensor = backbone+neck+head only; onnx_fp32 / '
              'onnx_int8 = the exported student in ONNX Runtime, decoding '
              'and NMS included (teachers are not exported). Untrained '
              'models '
              '(not run under the CPU protocol) have random weights, so '
              'their NMS input is arbitrary.', '',
              '| model | size | params M | GFLOPs | ' +
              ' | '.join(modes) + ' |',
              '|---|---|---|---|' + '---|' * len(modes)]
    for name, entry in speed['models'].items():
        if entry.get('weights') == 'random init':
            name += ' (untrained)'
        for size in sizes:
            cells = [f"{entry[m][size]['ms_median']:.1f} ms "
                     f"({entry[m][size]['speedup_vs_teacher']:.2f}x)"
                     if m in entry else '-' for m in modes]
            lines.append(f"| {name} | {size} | {entry['params_M']:.2f} | "
                         f"{entry['gflops'][size]:.2f} | " +
                         ' | '.join(cells) + ' |')
    lines.append('')
    # the fastest rows against this CPU's fp32 peak (speed.py's roofline)
    peak = speed.get('cpu', {})
    for size, rows in speed.get('roofline', {}).items():
        for key, row in rows.items():
            lines.append(
                f"- {size}, {key.replace('_', ' ')}: {row['model']} "
                f"{row['mode']}, {row['ms_median']:.1f} ms, "
                f"{row['gflops_per_s']:.1f} GFLOP/s = "
                f"{100 * row['fraction_of_peak']:.0f}% of the peak and "
                f"{100 * row['fraction_of_matmul']:.0f}% of a timed matrix "
                'product')
    if peak.get('formula'):
        lines += ['', f"Peak: {peak['formula']} (/proc/cpuinfo; INT8 rows "
                  'can exceed an fp32 peak).']
    lines.append('')


def step_cost_table(lines):
    cost = load('distill_step_cost', RESULTS_SHARED)
    lines += ['### Distillation step cost with the teacher-feature cache',
              '']
    if not cost:
        lines += ['not run', '']
        return
    lines += [f"batch {cost['batch_size']}, {cost['threads']} threads, "
              f"teachers {cost['teachers']}, median of {cost['steps']} "
              'steps (benchmarks/distill_step_cost.py).', '',
              '| step | s / step | x plain student | x nmODE2 student |',
              '|---|---|---|---|']
    for name, sec in cost['seconds_per_step'].items():
        lines.append(f"| {name} | {sec:.2f} | "
                     f"{cost['ratio_vs_student_plain'][name]:.2f} | "
                     f"{cost['ratio_vs_student_nmode2'][name]:.2f} |")
    lines += ['', '`meddet_cached_bf16` runs the distiller and discriminator '
              "with `distill_precision='bfloat16'`. Trained under the "
              'protocol, MedDet (disc val mAP / mAP50) scores '
              f"{_map_pair('meddet_mbv2-bf16-disc-s0')} with it, against "
              f"{_map_pair('meddet_mbv2-disc-s0')} in float32 (seed 0).", '']


# configs/meddet/README.md results: (label, teachers, student, experiment
# prefix without the seed); seeds 0 and 1 where they ran
MEDDET_ROWS = (
    ('plain student (no KD)', '-', 'GFL-MBV2', 'student_mbv2-{var}'),
    ('MedDet', 'R-18/34/50', 'GFL-MBV2', 'meddet_mbv2-{var}'),
    ('MedDet, nmODE2 head', 'R-18/34/50', 'GFL-MBV2 + nmODE2',
     'meddet_mbv2-nmode2-head-{var}'),
    ('KD (Table III row 1)', 'R-18/34/50', 'GFL-MBV2', 'meddet-kd_mbv2-{var}'),
    ('KD + LWFF (Table III row 3)', 'R-18/34/50', 'GFL-MBV2',
     'meddet-lwff_mbv2-{var}'),
    ('MedDet, sum fusion (Table V)', 'R-18/34/50', 'GFL-MBV2',
     'meddet-fusion-sum_mbv2-{var}'),
    ('MedDet, concat fusion (Table V)', 'R-18/34/50', 'GFL-MBV2',
     'meddet-fusion-concat_mbv2-{var}'),
    ('KD, nmODE2 in backbone (Table IV)', 'R-18/34/50', 'GFL-MBV2 + nmODE2',
     'meddet-kd-nmode2-backbone_mbv2-{var}'),
    ('KD, nmODE2 in FPN (Table IV)', 'R-18/34/50', 'GFL-MBV2 + nmODE2',
     'meddet-kd-nmode2-fpn_mbv2-{var}'),
    ('MedDet-lean (64 ch)', 'R-18/34/50', 'GFL-MBV2-lean',
     'meddet_lean-{var}'),
    ('MedDet-lean-w128', 'R-18/34/50', 'GFL-MBV2-lean-w128',
     'meddet_lean-w128-{var}'),
)
README = osp.join(run_spider.REPO_ROOT, 'README.md')
MEDDET_README = osp.join(run_spider.REPO_ROOT, 'configs', 'meddet',
                         'README.md')


def meddet_results(lines):
    """The results table of configs/meddet/README.md: config and log links
    relative to configs/meddet/, rows that have run only. A result whose
    JSON names another config path (it ran before a rename) says so."""
    readme_dir = osp.dirname(MEDDET_README)
    lines += ['| method | teachers | student | data | mAP | config | log |',
              '|---|---|---|---|---|---|---|']
    notes = {}
    for var in ('disc', 'protrusion'):
        for label, teachers, student, prefix in MEDDET_ROWS:
            prefix = prefix.format(var=var)
            names = [f'{prefix}-s{s}' for s in (0, 1)
                     if load(f'{prefix}-s{s}') is not None]
            if not names:
                continue
            spec = run_spider.EXPERIMENTS[names[0]]
            config = osp.relpath(osp.join(run_spider.REPO_ROOT,
                                          spec['config']), readme_dir)
            ran_as = load(names[0]).get('config', spec['config'])
            mark = ''
            if ran_as != spec['config']:
                notes.setdefault(ran_as, f'[{len(notes) + 1}]')
                mark = ' ' + notes[ran_as]
            logs = ', '.join(
                f'[s{n[-1]}]({osp.relpath(osp.join(RESULTS, n), readme_dir)}'
                '.json)' for n in names)
            mean = fmt_seeds(over_seeds(prefix, 'coco/bbox_mAP'))
            lines.append(f'| {label}{mark} | {teachers} | {student} | '
                         f'SPIDER {var} | {mean} | [config]({config}) | '
                         f'{logs} |')
    lines.append('')
    if notes:
        lines += ['Ran before the rename of issue 15 '
                  '(docs/config_renames.md) as: ' + '; '.join(
                      f'{mark} `{path}`' for path, mark in notes.items()) +
                  '.', '']


def write_between_markers(path, text, start='<!-- results:start -->',
                          end='<!-- results:end -->'):
    """Replace what lies between the markers of ``path`` with ``text``;
    False (and nothing written) when the markers are missing."""
    with open(path) as f:
        content = f.read()
    if start not in content or end not in content:
        return False
    head, rest = content.split(start, 1)
    tail = rest.split(end, 1)[1]
    with open(path, 'w') as f:
        f.write(f'{head}{start}\n{text}\n{end}{tail}')
    return True


def _map_pair(name):
    r = load(name)
    if r is None:
        return 'not run'
    return (f"{100 * metric(r, 'coco/bbox_mAP'):.1f} / "
            f"{100 * metric(r, 'coco/bbox_mAP_50'):.1f}")


def v1_tables():
    """The protocol v1 tables (markdown text)."""
    p = run_spider.PROTOCOL
    lines = ['<!-- generated by benchmarks/make_tables.py; do not edit -->',
             '', f"CPU protocol v1: {p['epochs']} epochs, batch "
             f"{p['batch_size']}, SGD lr {p['lr']}, native 256x320, no "
             'pretrained weights, last-epoch checkpoint, val split only '
             '(see benchmarks/run_spider.py).', '']
    headline(lines, 'disc')
    teachers_table(lines, 'disc')
    kd_table(lines, 'disc')
    ablation_table(lines, 'disc')
    fusion_fix_table(lines)
    if kd_plot('disc'):
        lines += [f'![KD methods and ablations]({KD_PNG})', '']
    clinical_table(lines, 'disc')
    headline(lines, 'protrusion')
    teachers_table(lines, 'protrusion')
    kd_table(lines, 'protrusion')
    clinical_table(lines, 'protrusion')
    noise_table(lines)
    speed_table(lines)
    step_cost_table(lines)
    return '\n'.join(lines)


# ------------------------------------------------------------ protocol v2
NOT_RUN = 'not run yet'
V2_METRICS = (('mAP', 'coco/bbox_mAP'), ('mAP50', 'coco/bbox_mAP_50'),
              ('recall@0.5', 'coco/bbox_recall@0.5'))


def v2_results(row):
    """{seed: result} of the finished seeds of a v2 row."""
    out = {}
    for seed in row.seeds:
        result = run_spider_v2.load_result(row, seed, RESULTS_V2)
        if result is not None:
            out[seed] = result
    return out


def _mean_sd(values, digits=1):
    """'mean ± sd' (or the one value) of ``values``, in points."""
    vals = [100 * v for v in values]
    if len(vals) == 1:
        return f'{vals[0]:.{digits}f}'
    return (f'{statistics.mean(vals):.{digits}f} ± '
            f'{statistics.stdev(vals):.{digits}f}')


def _mean_of(results, key, fmt):
    vals = [r[key] for r in results if r.get(key) is not None]
    return fmt(statistics.mean(vals)) if vals else '-'


def v2_row_cells(row):
    """Cells of one v2 row: seeds, each metric as mean ± sd over the
    seeds that finished (per-seed values after), s/iter, train minutes and
    the fused map's spatial ratio over the last epoch."""
    results = v2_results(row)
    seeds = f'{len(results)} / {len(row.seeds)}'
    if not results:
        return [seeds] + [NOT_RUN] * len(V2_METRICS) + ['-', '-', '-']
    cells = [seeds]
    for _, key in V2_METRICS:
        vals = [r['metrics'].get(key) for r in results.values()]
        vals = [v for v in vals if v is not None]
        if not vals:
            cells.append('-')
            continue
        cell = _mean_sd(vals)
        if len(vals) > 1:
            cell += ' (' + ', '.join(f'{100 * v:.1f}' for v in vals) + ')'
        # a run trained again on a new machine (a teacher: the checkpoint
        # the students read; a student: the one the noise sweep reads)
        for seed, r in results.items():
            again = (r.get('retrains') or [{}])[-1].get(key)
            if again is not None:
                which = f's{seed} ' if len(results) > 1 else ''
                cell += f'; {which}trained again: {_pts(again)}'
        cells.append(cell)
    done = list(results.values())
    cells += [_mean_of(done, 's_per_iter', lambda v: f'{v:.2f}'),
              _mean_of(done, 'train_wall_s', lambda v: f'{v / 60:.0f}'),
              _mean_of(done, 'fused_spatial_ratio_last',
                       lambda v: f'{v:.2f}')]
    return cells


def v2_rows_table(lines, section, title):
    lines += [f'### {title}', '',
              'val mAP / mAP50 / recall@0.5 in %, mean ± sd over the seeds '
              'that finished (each seed in brackets); s/iter: median '
              'logged iteration time; train: minutes of training (all '
              'invocations of a resumed run); fused ratio: '
              '`fused_spatial_ratio_last`, the spatially varying share of '
              "the fused teacher map's variance over the teachers' own, "
              'mean over the last epoch (1: as informative as the teachers, '
              '0: collapsed).', '',
              '| row | config | seeds | ' +
              ' | '.join(n for n, _ in V2_METRICS) +
              ' | s/iter | train min | fused ratio |',
              '|---|---|---|' + '---|' * len(V2_METRICS) + '---|---|---|']
    for row in run_spider_v2.ROWS:
        if row.section == section:
            lines.append(f'| {row.label} | `{row.name}` | ' +
                         ' | '.join(v2_row_cells(row)) + ' |')
    lines.append('')
    compute = v2_compute(section)
    if compute:
        lines += [compute, '']
    png = v2_plot(section)
    if png:
        lines += [f'![v2 {section} rows]({png})', '']


def v2_compute(section):
    """One sentence on the training time of the section's finished runs
    (the issue's compute budget), or None before any."""
    first, again, runs = 0.0, 0.0, 0
    for row in run_spider_v2.ROWS:
        if row.section != section:
            continue
        for r in v2_results(row).values():
            runs += 1
            first += r.get('train_wall_s') or 0.0
            again += sum(x.get('train_wall_s') or 0.0
                         for x in r.get('retrains') or [])
    if not runs:
        return None
    text = (f'Compute: the {runs} finished runs trained for '
            f'{first / 3600:.1f} h in all, one thread each')
    if again:
        text += (f', and their retrains on a new machine for '
                 f'{again / 3600:.1f} h more')
    return (text + f'; two at a time on the 2 cores, that is about '
            f'{(first + again) / 7200:.1f} h of the machine.')


def paired_differences(row_a, row_b, key='coco/bbox_mAP'):
    """{seed: a - b} in points over the seeds both rows finished."""
    a = run_spider_v2.metric_values(row_a, key, RESULTS_V2)
    b = run_spider_v2.metric_values(row_b, key, RESULTS_V2)
    return {s: 100 * (a[s] - b[s]) for s in sorted(set(a) & set(b))}


def v2_paired_table(lines, section, title):
    meddet = next(r for r in run_spider_v2.ROWS
                  if r.section == section and r.role == 'meddet')
    lines += [f'### {title}', '',
              f'{meddet.label} minus each other row, val mAP in '
              'points, on the seeds both finished: the difference per seed, '
              'its mean and its range. Positive: MedDet better.', '',
              '| MedDet vs | shared seeds | per seed | mean | range |',
              '|---|---|---|---|---|']
    for row in run_spider_v2.ROWS:
        if row.section != section or row.role in ('meddet', 'teacher'):
            continue
        diffs = paired_differences(meddet, row)
        if not diffs:
            lines.append(f'| {row.label} | 0 | {NOT_RUN} | - | - |')
            continue
        vals = list(diffs.values())
        lines.append(
            f'| {row.label} | {len(diffs)} | ' +
            ', '.join(f's{s}: {d:+.1f}' for s, d in diffs.items()) +
            f' | {statistics.mean(vals):+.1f} | '
            f'[{min(vals):+.1f}, {max(vals):+.1f}] |')
    lines.append('')


CLINICAL_KEYS = ('sensitivity', 'specificity', 'precision', 'f1')


def v2_clinical_table(lines, section):
    """Per-disc clinical metrics (tools/test.py --clinical, in every v2
    result JSON) of the plain student, MedDet and the KD baselines: the
    mean over the seeds that finished."""
    cls = 'disc' if section == 'disc' else 'protrusion'
    lines += [f'### v2 SPIDER {section}: per-disc clinical metrics', '',
              _clinical_intro(cls) + ' The mean over the seeds that '
              'finished.', '',
              '| row | seeds | discs | missed | false alarms | ' +
              ' | '.join(CLINICAL_KEYS) + ' | AUC |',
              '|---|---|---|---|---|' + '---|' * len(CLINICAL_KEYS) + '---|']
    for row in run_spider_v2.ROWS:
        if row.section != section or row.role not in (
                'student', 'meddet', 'baseline'):
            continue
        done = [r['metrics'] for r in v2_results(row).values()
                if 'clinical/num_discs' in r['metrics']]
        if not done:
            lines.append(f'| {row.label} | 0 | {NOT_RUN} |' + ' - |' * (
                3 + len(CLINICAL_KEYS)))
            continue

        def mean(key, digits=3):
            vals = [m.get(key) for m in done]
            vals = [v for v in vals if v is not None and v == v]
            return _num(statistics.mean(vals), digits) if vals else 'n/a'
        lines.append(
            f'| {row.label} | {len(done)} | '
            f"{mean('clinical/num_discs', 0)} | "
            f"{mean('clinical/missed_discs', 1)} | "
            f"{mean('clinical/false_alarms', 1)} | " + ' | '.join(
                mean(f'clinical/{cls}_{k}') for k in CLINICAL_KEYS) +
            f" | {mean('clinical/auc')} |")
    lines.append('')


def v2_noise_table(lines, section='protrusion'):
    path = osp.join(RESULTS_V2, 'noise_robustness.json')
    noise = None
    if osp.isfile(path):
        with open(path) as f:
            noise = json.load(f)
    noise_table(lines, noise or {}, f'v2 SPIDER {section}: noise robustness '
                '(Rician noise; `python benchmarks/noise_robustness.py '
                '--protocol v2`)')
    if noise and noise.get('protocol') == 'v2':
        v2_noise_summary(lines, noise, section)


def v2_noise_summary(lines, noise, section='protrusion'):
    """Each row's sweep over its seeds (mean ± sd of val mAP) with its drop
    from sigma 0 to the strongest sigma, and the noise claims judged."""
    drops, top = paper_claims.noise_drops(noise)
    if top is None:  # no clean (sigma 0) sweep to measure a drop from
        return
    sigmas, by_row = paper_claims.complete_sweeps(noise['results'])
    lines += [f'Over the seeds swept at every σ (the latest training of '
              f'each): val mAP mean ± sd in %; drop = mAP at σ=0 minus at '
              f'σ={top} (points).', '',
              '| model | seeds | ' + ' | '.join(f'σ={s}' for s in sigmas) +
              ' | drop |', '|---|---|' + '---|' * (len(sigmas) + 1)]
    for name, (row, seeds) in sorted(by_row.items(),
                                     key=lambda kv: kv[1][0].label):
        cells = [_mean_sd([r[s]['mAP'] for r in seeds.values()])
                 for s in sigmas]
        cells.append(_mean_sd([drops[name][seed] / 100 for seed in seeds]))
        lines.append(f'| {row.label} | {len(seeds)} | ' + ' | '.join(cells) +
                     ' |')
    lines += ['', 'Does nmODE2 (in MedDet\'s head, or alone) keep more '
              'mAP under noise? d = drop(B) - drop(A) over the seeds both '
              'were swept at; one run\'s drop varies with the seed by the '
              'pooled sd of the drops of every row swept at two or more '
              'seeds (`paper_claims.judge_noise`).', '',
              '| claim | drop A | drop B | seeds | d | ± 2 se | verdict |',
              '|---|---|---|---|---|---|---|']
    for claim in paper_claims.NOISE_CLAIMS:
        res = paper_claims.judge_noise(claim, noise, section)
        if res is None:
            lines.append(f'| {claim.text} | - | - | - | {NOT_RUN} | - | - |')
            continue
        lines.append(
            f"| {claim.text} | {res['a']:.1f} | {res['b']:.1f} | "
            f"{res['n']} | {res['d']:+.1f} | {2 * res['se']:.1f} "
            f"(sd {res['sd']:.1f}, {res['dof']} dof) | {res['verdict']} |")
    lines.append('')


def _pts(value):
    """A 0-1 metric in points, one decimal ('-' for None)."""
    return '-' if value is None else f'{100 * value:.1f}'


def v2_calibration(lines, section='protrusion'):
    cal = run_spider_v2.calibration(section, RESULTS_V2)
    lines += [f'### v2 calibration (SPIDER {section})', '',
              'Criteria, on val before the tables are run: the plain '
              "student's mAP varies by at most "
              f'{run_spider_v2.MAX_STUDENT_SD:g} points (sd over its '
              f"{cal['student_seeds']} seeds), and the best teacher scores "
              f'at least {run_spider_v2.MIN_TEACHER_GAP:g} points above the '
              "student's mean. Calibration variants try other schedules "
              'when the default does not meet them.', '',
              '| row | config | seeds | ' +
              ' | '.join(n for n, _ in V2_METRICS) +
              ' | s/iter | train min | fused ratio |',
              '|---|---|---|' + '---|' * len(V2_METRICS) + '---|---|---|']
    for row in run_spider_v2.ROWS:
        if (row.section == section and row.role in ('teacher', 'student')) \
                or row.section == 'calibration':
            lines.append(f'| {row.label} | `{row.name}` | ' +
                         ' | '.join(v2_row_cells(row)) + ' |')
    lines.append('')
    if cal['met'] is None:
        done = len(cal['student']) + sum(
            v is not None for v in cal['teachers'].values())
        total = cal['student_seeds'] + len(cal['teachers'])
        lines += [f'Criteria: {NOT_RUN} ({done} of the {total} runs they '
                  'need have finished).', '']
        return
    retrained = []
    for row in run_spider_v2.ROWS:
        if row.section != section or row.role != 'teacher':
            continue
        result = run_spider_v2.load_result(row, run_spider_v2.TEACHER_SEED,
                                           RESULTS_V2) or {}
        again = [r.get('coco/bbox_mAP') for r in result.get('retrains', [])]
        if again:
            first = _pts(result['metrics'].get('coco/bbox_mAP'))
            retrained.append(
                f'{row.label}: first run {first}, trained again (same '
                'config, seed and code, new machine) '
                + ', '.join(_pts(v) for v in again))
    if retrained:
        lines += ['Teachers trained again because a new machine had lost '
                  'their checkpoints; the criteria and the choice of the '
                  'best teacher use the latest training, the checkpoint '
                  'the students distil from (val mAP):', '']
        lines += [f'- {line}' for line in retrained] + ['']
    sd_ok = cal['student_sd'] <= run_spider_v2.MAX_STUDENT_SD
    gap_ok = cal['gap'] >= run_spider_v2.MIN_TEACHER_GAP
    lines += [f"Criteria: student sd {cal['student_sd']:.1f} points "
              f"({'holds' if sd_ok else 'does not hold'}); best teacher "
              f"`{cal['best_teacher']}` {cal['gap']:+.1f} points over the "
              f"student ({'holds' if gap_ok else 'does not hold'}).", '']


def readme_headline(section='protrusion'):
    """The README's short results table: the best teacher, the plain
    student, MedDet and the KD baselines, mean ± sd over finished seeds."""
    rows = [r for r in run_spider_v2.ROWS if r.section == section]
    best = run_spider_v2.calibration(section, RESULTS_V2)['best_teacher']
    lines = ['<!-- generated by benchmarks/make_tables.py; do not edit -->',
             '', f'| SPIDER {section}, val (v2) | seeds | mAP | mAP50 |',
             '|---|---|---|---|']
    teacher = next((r for r in rows if r.name == best), None)
    if teacher is not None:
        name = teacher.label.replace(' (teacher)', '')
        latest = run_spider_v2.latest_metrics(teacher, RESULTS_V2)
        lines.append(f'| best teacher, {name} | 1 | ' +
                     ' | '.join(_pts(latest.get(key)) for key in (
                         'coco/bbox_mAP', 'coco/bbox_mAP_50')) + ' |')
    for row in rows:
        if row.role not in ('student', 'meddet', 'baseline'):
            continue
        results = v2_results(row)
        cells = [_mean_sd([r['metrics'][key] for r in results.values()])
                 if results else '-'
                 for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50')]
        lines.append(f'| {row.label} | {len(results)} of {len(row.seeds)} '
                     f'| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def v2_tables():
    """The protocol v2 tables (markdown text)."""
    lines = ['<!-- generated by benchmarks/make_tables.py; do not edit -->',
             '', 'Protocol v2: every row is a config file of '
             '`configs/spider/`, run by `benchmarks/run_spider_v2.py`; '
             'numbers from `benchmarks/results/spider_v2/*.json` only.', '']
    v2_calibration(lines, 'protrusion')
    v2_rows_table(lines, 'protrusion', 'v2 SPIDER protrusion: every row')
    v2_paired_table(lines, 'protrusion',
                    'v2 SPIDER protrusion: MedDet against each row, '
                    'paired by seed')
    paper_claims.claims_table(lines, 'protrusion', RESULTS_V2, NOT_RUN)
    v2_clinical_table(lines, 'protrusion')
    v2_noise_table(lines, 'protrusion')
    v2_rows_table(lines, 'disc', 'v2 SPIDER disc: every row')
    v2_paired_table(lines, 'disc',
                    'v2 SPIDER disc: MedDet against each row, paired by seed')
    return '\n'.join(lines)


def _write(path, text):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text + '\n')


def _for_docs(text, folder):
    """``text`` with its image links made relative to docs/."""
    rel = osp.relpath(folder, osp.dirname(DOCS_RESULTS))
    for png in ('noise_robustness.png', KD_PNG, 'rows_protrusion.png',
                'rows_disc.png'):
        text = text.replace(f']({png})', f']({rel}/{png})')
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--skip-meddet-readme', action='store_true',
                        help='leave configs/meddet/README.md as it is')
    args = parser.parse_args(argv)
    v1 = v1_tables()
    v2 = v2_tables()
    _write(osp.join(RESULTS, 'tables.md'), v1)
    _write(osp.join(RESULTS_V2, 'tables.md'), v2)
    print(v2)
    written = [osp.join(RESULTS, 'tables.md'),
               osp.join(RESULTS_V2, 'tables.md')]
    if write_between_markers(DOCS_RESULTS, _for_docs(v1, RESULTS)) and \
            write_between_markers(DOCS_RESULTS, _for_docs(v2, RESULTS_V2),
                                  '<!-- results-v2:start -->',
                                  '<!-- results-v2:end -->'):
        written.append(DOCS_RESULTS)
    if write_between_markers(README, readme_headline(),
                             '<!-- headline:start -->',
                             '<!-- headline:end -->'):
        written.append(README)
    if not args.skip_meddet_readme:
        # configs/meddet/README.md: its MedDet rows (v1), with config links
        rows = ['<!-- generated by benchmarks/make_tables.py; do not '
                'edit -->', '']
        meddet_results(rows)
        if write_between_markers(MEDDET_README, '\n'.join(rows)):
            written.append(MEDDET_README)
    print('written: ' + ', '.join(osp.relpath(p, run_spider.REPO_ROOT)
                                  for p in written))


if __name__ == '__main__':
    main()
