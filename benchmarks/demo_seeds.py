"""The demo (`make demo`) over several training seeds: spread and wall time.

    python benchmarks/demo_seeds.py                      # seeds 0 1 2
    python benchmarks/demo_seeds.py --seeds 0 1 2 --out \
        benchmarks/results/demo_seeds.json

Runs ``tools/pipeline.py --preset demo --seed S`` for each seed (finished
steps are reused, so an interrupted run resumes), then writes one JSON with
every model's mAP / mAP50 per seed, their min-max and mean, each seed's wall
time, the configs and the git commit, and a plot next to it.
"""
import argparse
import json
import os.path as osp
import statistics
import subprocess
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
import pipeline  # noqa: E402

METRICS = ('coco/bbox_mAP', 'coco/bbox_mAP_50')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--out', default=osp.join(
        REPO_ROOT, 'benchmarks', 'results', 'demo_seeds.json'))
    parser.add_argument('--work-dir', default=pipeline.DEMO['work_dir'],
                        help='work dir of seed 0; seed S uses '
                        '<work-dir>-seed<S> (the pipeline\'s default)')
    return parser.parse_args(argv)


def work_dir(seed, base=pipeline.DEMO['work_dir']):
    return base if seed == 0 else f'{base}-seed{seed}'


def run_seed(seed, base=pipeline.DEMO['work_dir']):
    summary = osp.join(REPO_ROOT, work_dir(seed, base), 'summary.json')
    if not osp.isfile(summary):
        subprocess.run([sys.executable, 'tools/pipeline.py', '--preset',
                        'demo', '--seed', str(seed), '--work-dir',
                        work_dir(seed, base)], cwd=REPO_ROOT, check=True)
    with open(summary) as f:
        return json.load(f)


def spread(values):
    return dict(min=min(values), max=max(values),
                mean=statistics.mean(values),
                std=statistics.stdev(values) if len(values) > 1 else 0.)


def plot(result, out_png):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    models = list(result['models'])
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for i, seed in enumerate(result['seeds']):
        values = [result['models'][m]['coco/bbox_mAP_50']['per_seed'][i]
                  for m in models]
        ax.scatter(range(len(models)), values, label=f'seed {seed}',
                   zorder=3)
    ax.set_xticks(range(len(models)), models, rotation=20)
    ax.set_ylabel('val mAP50')
    ax.set_ylim(0, 1)
    ax.grid(axis='y', alpha=.3)
    ax.legend()
    ax.set_title('make demo over training seeds (synthetic discs, CPU)')
    fig.tight_layout()
    fig.savefig(out_png, dpi=120)


def main(argv=None):
    args = parse_args(argv)
    runs = {seed: run_seed(seed, args.work_dir) for seed in args.seeds}
    first = runs[args.seeds[0]]
    models = {}
    for name in first['rows']:
        models[name] = {}
        for key in METRICS:
            per_seed = [runs[s]['rows'][name][key] for s in args.seeds]
            models[name][key] = dict(per_seed=per_seed, **spread(per_seed))
        models[name]['benchmark'] = first['rows'][name].get('benchmark')
    # the paired per-seed differences, MedDet student minus student alone
    gains = {key: [round(m - a, 4) for m, a in zip(
        models['MedDet student'][key]['per_seed'],
        models['student alone'][key]['per_seed'])] for key in METRICS}
    result = dict(
        seeds=args.seeds,
        models=models,
        meddet_minus_alone_mAP50=gains['coco/bbox_mAP_50'],
        meddet_minus_alone_mAP=gains['coco/bbox_mAP'],
        wall_time_s={s: runs[s]['wall_time_s'] for s in args.seeds},
        configs=first['configs'],
        git_commit=pipeline.git_commit())
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=2)
    plot(result, osp.splitext(args.out)[0] + '.png')
    for name, m in models.items():
        r = m['coco/bbox_mAP_50']
        print(f'{name:16s} mAP50 {r["min"]:.3f}-{r["max"]:.3f} '
              f'(mean {r["mean"]:.3f}) over seeds {args.seeds}')
    print(f'wall time per seed (s): {result["wall_time_s"]}')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
