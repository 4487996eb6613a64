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


def evaluate(name, sigma):
    """COCO bbox mAP / mAP50 of experiment ``name`` under noise ``sigma``."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from meddet_mm.utils import clear_teacher_checkpoints
    with open(osp.join(run_spider.RESULTS_DIR, f'{name}.json')) as f:
        result = json.load(f)
    ckpt = result['checkpoint']
    cfg = Config.fromfile(osp.join(osp.dirname(ckpt), 'protocol_config.py'))
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


def plot(table, path):
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
    fig.suptitle('SPIDER disc val under Rician noise (CPU protocol)')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', nargs='+', default=list(DEFAULT_RUNS))
    parser.add_argument('--sigmas', type=float, nargs='+',
                        default=list(run_spider.NOISE_SIGMAS))
    parser.add_argument(
        '--t-end', type=float, nargs='+',
        help='evaluate the nmODE2-head students integrated to these end '
        'times (with the plain student and MedDet as references) instead of '
        '--runs')
    args = parser.parse_args(argv)
    if args.t_end:
        args.runs = ['student_mbv2-disc-s0', 'meddet_mbv2-disc-s0'
                     ] + runs_for_t_end(args.t_end)
    import meddet_mm  # noqa: F401
    table, t_end = {}, {}
    if osp.isfile(OUT_JSON):
        with open(OUT_JSON) as f:
            previous = json.load(f)
        table, t_end = previous['results'], previous.get('t_end', {})
    runs = [r for r in args.runs
            if osp.isfile(osp.join(run_spider.RESULTS_DIR, f'{r}.json'))]
    skipped = sorted(set(args.runs) - set(runs))
    if skipped:
        print(f'not trained yet (run benchmarks/run_spider.py): {skipped}')
    for name in runs:  # the nmODE2 horizon of each run that has the block
        spec = run_spider.EXPERIMENTS.get(name, {})
        if 'nmode_t_end' in spec:
            t_end[name] = spec['nmode_t_end']
    for name in runs:
        for sigma in args.sigmas:
            key = f'{sigma:g}'
            if key in table.get(name, {}):
                continue
            print(f'[noise] {name} sigma={key}', flush=True)
            table.setdefault(name, {})[key] = evaluate(name, sigma)
            print(f"    mAP {table[name][key]['mAP']:.3f} "
                  f"mAP50 {table[name][key]['mAP50']:.3f}", flush=True)
            os.makedirs(run_spider.RESULTS_DIR, exist_ok=True)
            with open(OUT_JSON, 'w') as f:
                json.dump(dict(noise='RicianNoise(sigma, seed=0) after '
                               'loading; sigma relative to max intensity',
                               results=table, t_end=t_end), f, indent=2)
    if table:
        plot(table, OUT_PNG)
        print(f'written {OUT_JSON} and {OUT_PNG}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
