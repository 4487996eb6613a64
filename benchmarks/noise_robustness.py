"""Val mAP under Rician noise of increasing sigma (Table 4 of the evidence).

    python benchmarks/noise_robustness.py                      # all trained
    python benchmarks/noise_robustness.py --runs student_mbv2-disc-s0 \
        meddet_mbv2-disc-s0 --sigmas 0 0.03 0.06 0.1
    python benchmarks/noise_robustness.py --t-end 1 3   # nmODE2 horizons

For every finished experiment of benchmarks/run_spider.py (its result JSON
names the checkpoint; the dumped protocol config is next to it), the val
split is evaluated once per sigma with ``RicianNoise(sigma, seed=0)`` right
after image loading: sigma is relative to the image's maximum value, and the
noise of an image depends only on the seed and the image, so every model
sees the same noisy images. Writes ``benchmarks/results/noise_robustness.json``
and a plot ``benchmarks/results/noise_robustness.png``; finished
(model, sigma) pairs are kept and skipped when the script runs again.

``--protocol v2`` sweeps the v2 runs of ``benchmarks/run_spider_v2.py``
instead (by default every finished seed of the plain student, MedDet and the
baseline with the best mean val mAP of ``--section``): each run is rebuilt
from its config file and the options its result JSON records, and the
results go to ``benchmarks/results/spider_v2/noise_robustness.json`` (+ PNG).
A run whose checkpoint this machine lost is skipped with the command that
trains it again (``run_spider_v2.py --retrain``); the JSON records how many
retrains each swept run had (``retrains``).

``--t-end 1 3`` evaluates the students with the nmODE2 head whose block is
integrated to those end times (``t_end=3`` runs 9 RK4 steps instead of 3,
the same step size; run_spider.py's ``noise_t_end`` table trains them),
the plain student and MedDet under the same noise included; the JSON
records each run's ``t_end`` (docs/nmode.md).
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import run_spider  # noqa: E402
import run_spider_v2  # noqa: E402

OUT_JSON = osp.join(run_spider.RESULTS_DIR, 'noise_robustness.json')
OUT_PNG = osp.join(run_spider.RESULTS_DIR, 'noise_robustness.png')
DEFAULT_RUNS = ('student_mbv2-disc-s0', 'student_mbv2-disc-s1',
                'meddet_mbv2-disc-s0', 'meddet_mbv2-disc-s1',
                'student_mbv2-nmode2-head-disc-s0',
                'meddet_mbv2-nmode2-head-disc-s0', 'meddet_lean-disc-s0',
                'meddet_lean-w128-disc-s0')


def runs_for_t_end(t_ends):
    """run_spider experiments whose student has the nmODE2 head integrated
    to one of ``t_ends`` (``nmode_t_end`` of the spec), disc variant."""
    wanted = {float(t) for t in t_ends}
    known = {spec['nmode_t_end'] for spec in run_spider.EXPERIMENTS.values()
             if 'nmode_t_end' in spec}
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(f'--t-end {unknown}: no run_spider experiment has '
                         f'an nmODE2 head with that t_end (known: '
                         f'{sorted(known)})')
    return [name for name, spec in run_spider.EXPERIMENTS.items()
            if spec.get('nmode_t_end') in wanted
            and spec['variant'] == 'disc']


V2_OUT_JSON = osp.join(run_spider_v2.RESULTS_DIR, 'noise_robustness.json')
V2_OUT_PNG = osp.join(run_spider_v2.RESULTS_DIR, 'noise_robustness.png')


def v2_default_runs(section='protrusion', results_dir=None):
    """``<row>-s<seed>`` of every finished seed of the plain student, MedDet
    and the baseline with the best mean val mAP (a KD method other than
    MedDet) of ``section``."""
    rows = [r for r in run_spider_v2.ROWS if r.section == section]
    picked = [r for r in rows if r.role in ('student', 'meddet')]
    means = []
    for row in rows:
        if row.role == 'baseline':
            values = run_spider_v2.metric_values(row,
                                                 results_dir=results_dir)
            if values:
                means.append((sum(values.values()) / len(values), row.name))
    if means:
        best = max(means)[1]
        picked += [r for r in rows if r.name == best]
    return [f'{row.name}-s{seed}' for row in picked for seed in
            run_spider_v2.metric_values(row, results_dir=results_dir)]


def v2_every_run(section='protrusion', results_dir=None):
    """Every finished seed of every student-size row of ``section``: the
    defaults first, then the rows that isolate nmODE2 (its head without KD,
    KD with and without it), the other baselines, then the rest."""
    first = v2_default_runs(section, results_dir)

    def order(row):
        if 'nmode2-head' in row.name or row.name.startswith('kd_'):
            return 0
        return 1 if row.role == 'baseline' else 2

    rows = sorted((r for r in run_spider_v2.ROWS
                   if r.section == section and r.role != 'teacher'),
                  key=order)  # stable: ROWS order within a group
    rest = [f'{row.name}-s{seed}' for row in rows for seed in
            run_spider_v2.metric_values(row, results_dir=results_dir)]
    return first + [name for name in rest if name not in first]


def v2_result(name, results_dir=None):
    """The result JSON of the v2 run ``<row>-s<seed>`` (None while it has
    not finished); SystemExit naming ``name`` when no row has that name."""
    try:
        row, seed = run_spider_v2.parse_run(name)
    except KeyError:
        row_name = name.rpartition('-s')[0]
        raise SystemExit(f'--runs {name}: no v2 row {row_name!r} '
                         '(python benchmarks/run_spider_v2.py --list)')
    if seed is None:
        return None
    return run_spider_v2.load_result(row, seed, results_dir)


def v2_run_config(name, results_dir=None):
    """(config, checkpoint) of the v2 run ``<row>-s<seed>``: its config file
    with the options the runner added, teacher checkpoints left out (only
    the student is evaluated)."""
    from mmengine.config import Config, DictAction
    result = v2_result(name, results_dir)
    if result is None:
        folder = results_dir or run_spider_v2.RESULTS_DIR
        raise FileNotFoundError(
            f'{name}: no result JSON in {folder} '
            '(python benchmarks/run_spider_v2.py --list)')
    cfg = Config.fromfile(osp.join(run_spider_v2.REPO_ROOT, result['config']))
    # the runner passed these with --cfg-options: parse them the same way
    cfg.merge_from_dict({k: DictAction._parse_iterable(v)
                         for k, v in result['cfg_options'].items()
                         if k != 'work_dir'})
    return cfg, v2_checkpoint(name, cfg)


def v2_checkpoint(name, cfg=None):
    """The last checkpoint of v2 run ``<row>-s<seed>`` in this machine's
    runs dir: its latest training (a retrain writes to the same place)."""
    row, seed = run_spider_v2.parse_run(name)
    wd = run_spider_v2.work_dir(run_spider_v2.DEFAULT_RUNS, row, seed)
    return run_spider_v2.last_checkpoint(
        cfg or run_spider_v2.load_config(row), wd)


def v2_lost(runs, table, sigmas):
    """Runs that still need a sigma but whose checkpoint this machine lost
    (a new machine has the result JSONs, not the checkpoints)."""
    lost = []
    for name in runs:
        todo = [s for s in sigmas if f'{s:g}' not in table.get(name, {})]
        if todo and not osp.isfile(v2_checkpoint(name)):
            lost.append(name)
    return lost


def v1_run_config(name):
    """(config, checkpoint) of v1 experiment ``name`` (its dumped protocol
    config beside the checkpoint)."""
    from mmengine.config import Config
    with open(osp.join(run_spider.RESULTS_DIR, f'{name}.json')) as f:
        result = json.load(f)
    ckpt = result['checkpoint']
    return (Config.fromfile(osp.join(osp.dirname(ckpt),
                                     'protocol_config.py')), ckpt)


def evaluate(name, sigma, protocol='v1'):
    """COCO bbox mAP / mAP50 of run ``name`` under noise ``sigma``."""
    from mmengine.runner import Runner

    from meddet_mm.utils import clear_teacher_checkpoints
    cfg, ckpt = (v2_run_config(name) if protocol == 'v2'
                 else v1_run_config(name))
    clear_teacher_checkpoints(cfg.model)
    pipeline = list(cfg.test_dataloader.dataset.pipeline)
    if sigma > 0:
        pipeline.insert(1, dict(type='RicianNoise', sigma=sigma, seed=0))
    cfg.test_dataloader.dataset.pipeline = pipeline
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    cfg.load_from = ckpt
    cfg.work_dir = tempfile.mkdtemp(prefix='meddet_noise_')
    cfg.default_hooks.pop('visualization', None)
    cfg.log_level = 'WARNING'
    metrics = Runner.from_cfg(cfg).test()
    return dict(mAP=metrics.get('coco/bbox_mAP', 0.0),
                mAP50=metrics.get('coco/bbox_mAP_50', 0.0))


def plot(table, path, title='SPIDER disc val under Rician noise (CPU '
         'protocol)'):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, rows in sorted(table.items()):
        sigmas = sorted(float(s) for s in rows)
        for ax, key in zip(axes, ('mAP', 'mAP50')):
            ax.plot(sigmas, [rows[f'{s:g}'][key] for s in sigmas],
                    marker='o', label=name)
    for ax, key in zip(axes, ('mAP', 'mAP50')):
        ax.set_xlabel('Rician noise sigma (fraction of max intensity)')
        ax.set_ylabel(f'val {key}')
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_v2(table, path, title):
    """One line a v2 row: the mean over its seeds swept at every sigma,
    bars from the lowest seed to the highest; the plain student and MedDet
    drawn thick, ablations and controls dashed. Returns the legend's
    labels."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from paper_claims import complete_sweeps
    sigmas, by_row = complete_sweeps(table)  # a half-swept run would skew
    ordered = sorted(((row, list(seeds.values()))
                      for row, seeds in by_row.values()),
                     key=lambda item: item[0].label)
    legend_in = 0.3 + 0.2 * ((len(ordered) + 1) // 2)  # 2 columns
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2 + legend_in))
    colours = plt.get_cmap('tab20')
    key_colours = dict(student='black', meddet='crimson')
    xs = [float(s) for s in sigmas]
    for i, (row, sweeps) in enumerate(ordered):
        style = dict(
            color=key_colours.get(row.role, colours(i % 20)), marker='o',
            capsize=3,
            linewidth=2.8 if row.role in ('student', 'meddet') else 1.2,
            linestyle='-' if row.role in ('student', 'meddet', 'baseline')
            else '--', label=f'{row.label} ({len(sweeps)} seed'
            f"{'s' if len(sweeps) > 1 else ''})")
        for ax, key in zip(axes, ('mAP', 'mAP50')):
            values = [[100 * sweep[s][key] for sweep in sweeps]
                      for s in sigmas]
            means = [sum(v) / len(v) for v in values]
            ax.errorbar(xs, means, yerr=[
                [m - min(v) for m, v in zip(means, values)],
                [max(v) - m for m, v in zip(means, values)]], **style)
            style.pop('label', None)  # one legend entry a row
    for ax, key in zip(axes, ('mAP', 'mAP50')):
        ax.set_xlabel('Rician noise sigma (fraction of max intensity)')
        ax.set_ylabel(f'val {key} (%)')
        ax.grid(alpha=0.3)
    legend = fig.legend(loc='lower center', ncol=2, fontsize=8,
                        frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, legend_in / (4.2 + legend_in), 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [text.get_text() for text in legend.get_texts()]


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--protocol', choices=('v1', 'v2'), default='v1',
                        help='v1: run_spider.py experiments (default); v2: '
                        'run_spider_v2.py rows, as ROW-sSEED')
    parser.add_argument('--section', default='protrusion',
                        choices=('protrusion', 'disc'),
                        help='v2: the section whose default runs to sweep')
    parser.add_argument('--runs', nargs='+',
                        help='runs to sweep (default: v1 DEFAULT_RUNS; v2 '
                        'the plain student, MedDet and the best baseline)')
    parser.add_argument('--every-row', action='store_true',
                        help='v2: every finished student-size run of the '
                        'section, not only the default three rows')
    parser.add_argument('--sigmas', type=float, nargs='+',
                        default=list(run_spider.NOISE_SIGMAS))
    parser.add_argument(
        '--t-end', type=float, nargs='+',
        help='evaluate the nmODE2-head students integrated to these end '
        'times (with the plain student and MedDet as references) instead of '
        '--runs (v1)')
    args = parser.parse_args(argv)
    v2 = args.protocol == 'v2'
    if v2 and args.t_end:
        parser.error('--t-end is a v1 option')
    if args.every_row and (not v2 or args.runs):
        parser.error('--every-row is a v2 option, instead of --runs')
    if args.t_end:
        args.runs = ['student_mbv2-disc-s0', 'meddet_mbv2-disc-s0'
                     ] + runs_for_t_end(args.t_end)
    if v2:
        out_json, out_png = V2_OUT_JSON, V2_OUT_PNG
        runs = args.runs or (v2_every_run if args.every_row
                             else v2_default_runs)(args.section)
        finished = {r for r in runs if v2_result(r) is not None}
        title = (f'SPIDER {args.section} val under Rician noise '
                 '(protocol v2)')
    else:
        out_json, out_png = OUT_JSON, OUT_PNG
        runs = args.runs or list(DEFAULT_RUNS)
        finished = {r for r in runs if osp.isfile(
            osp.join(run_spider.RESULTS_DIR, f'{r}.json'))}
        title = 'SPIDER disc val under Rician noise (CPU protocol)'
    import meddet_mm  # noqa: F401
    table, t_end = {}, {}
    if osp.isfile(out_json):
        with open(out_json) as f:
            previous = json.load(f)
        table, t_end = previous['results'], previous.get('t_end', {})
    skipped = sorted(set(runs) - finished)
    runs = [r for r in runs if r in finished]
    if skipped:
        print(f'not trained yet (run benchmarks/run_spider'
              f"{'_v2' if v2 else ''}.py): {skipped}")
    if v2:
        lost = v2_lost(runs, table, args.sigmas)
        runs = [r for r in runs if r not in lost]
        for name in lost:
            row, seed = run_spider_v2.parse_run(name)
            print(f'[lost] {name}: checkpoint {v2_checkpoint(name)} is not '
                  'on this machine; train it again with python benchmarks/'
                  f'run_spider_v2.py --retrain {row.name} --seed {seed}')
    for name in runs:  # the nmODE2 horizon of each run that has the block
        spec = {} if v2 else run_spider.EXPERIMENTS.get(name, {})
        if 'nmode_t_end' in spec:
            t_end[name] = spec['nmode_t_end']
    for name in runs:
        for sigma in args.sigmas:
            key = f'{sigma:g}'
            if key in table.get(name, {}):
                continue
            print(f'[noise] {name} sigma={key}', flush=True)
            table.setdefault(name, {})[key] = evaluate(name, sigma,
                                                       args.protocol)
            print(f"    mAP {table[name][key]['mAP']:.3f} "
                  f"mAP50 {table[name][key]['mAP50']:.3f}", flush=True)
            os.makedirs(osp.dirname(out_json), exist_ok=True)
            record = dict(noise='RicianNoise(sigma, seed=0) after '
                          'loading; sigma relative to max intensity',
                          results=table, t_end=t_end)
            if v2:
                # which training of each run was swept: the latest, after
                # this many retrains (run_spider_v2.py --retrain)
                record['retrains'] = {
                    r: len((v2_result(r) or {}).get('retrains') or [])
                    for r in table}
                record.update(protocol='v2',
                              git_commit=run_spider_v2.git_state().get(
                                  'git_commit'))
            with open(out_json, 'w') as f:
                json.dump(record, f, indent=2)
    if table:
        (plot_v2 if v2 else plot)(table, out_png, title)
        print(f'written {out_json} and {out_png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
