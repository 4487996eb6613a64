"""Demo students and MedDet variants over seeds, against the demo's teachers.

    python benchmarks/demo_variants.py \
        --configs configs/demo/gfl_mbv2_fpn_nmode2_demo_synthetic.py \
                  configs/demo/meddet_gfl_mbv2_demo_synthetic_region-dist_tau-0.05.py \
        --seeds 0 1 2 --out benchmarks/results/demo_variants_300it.json

Each config is trained once per seed (``randomness.seed``) in
``work_dirs/demo_variants/<config name>/seed<S>``; a MedDet config distils
from the teachers that ``tools/pipeline.py --preset demo --seed S`` trained
(``work_dirs/demo`` or ``work_dirs/demo-seed<S>``), so run the demo first.
``--teachers r18=CONFIG`` replaces a pipeline teacher by CONFIG, trained
here for the same seed (and reported as a run of its own). A finished run is
reused and an interrupted one resumes. The distilled
student is exported and evaluated with its student config; the val metrics,
the last logged training loss_bbox, the median s/iter, the config, the seed
and the git commit of every run are merged into ``--out``, with a plot.
"""
import argparse
import fcntl
import glob
import json
import os
import os.path as osp
import statistics
import subprocess
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
import pipeline  # noqa: E402

METRICS = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--configs', nargs='+', required=True,
                        help='demo student or MedDet configs')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--out', required=True, help='result JSON (merged)')
    parser.add_argument('--runs-dir', default='work_dirs/demo_variants')
    parser.add_argument('--teachers', nargs='+', default=[],
                        metavar='NAME=CONFIG',
                        help='train CONFIG for each seed and distil from it '
                        'as teacher NAME instead of the pipeline teacher')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE',
                        help='extra training overrides (e.g. '
                        'train_cfg.max_iters=2 for a smoke run)')
    return parser.parse_args(argv)


def pipeline_dir(seed):
    """The demo pipeline's work dir of ``seed`` (its teachers live there)."""
    wd = pipeline.DEMO['work_dir']
    return osp.join(REPO_ROOT, wd if seed == 0 else f'{wd}-seed{seed}')


def distill_setup(config, seed, own_teachers=None):
    """(student config, teacher cfg-options) of a MedDet config; None for a
    plain detector config. ``own_teachers`` maps a teacher name to
    (config, checkpoint) used in place of the pipeline's teacher."""
    from mmengine.config import Config
    model = Config.fromfile(osp.join(REPO_ROOT, config)).model
    if not model.get('type', '').endswith('MultiTeacherAdversarialDistill'):
        return None
    options = []
    own_teachers = own_teachers or {}
    unknown = set(own_teachers) - set(model.teachers)
    if unknown:
        raise SystemExit(f'{config}: --teachers names {sorted(unknown)} are '
                         f'not among its teachers {sorted(model.teachers)}')
    for name, teacher in model.teachers.items():
        if name in own_teachers:
            cfg, ckpt = own_teachers[name]
            options += [f'model.teachers.{name}.cfg={cfg}',
                        f'model.teachers.{name}.ckpt={ckpt}']
            continue
        ckpt = pipeline.last_checkpoint(
            osp.join(pipeline_dir(seed), pipeline.name_of(teacher.cfg)))
        if ckpt is None:
            raise SystemExit(
                f'{config}: no trained teacher {name} for seed {seed} in '
                f'{pipeline_dir(seed)}; run `python tools/pipeline.py '
                f'--preset demo --seed {seed}` first')
        options.append(f'model.teachers.{name}.ckpt={ckpt}')
    return osp.relpath(model.architecture, REPO_ROOT), options


def run(cmd, log_file):
    with open(log_file, 'a') as log:
        if subprocess.run(cmd, cwd=REPO_ROOT, stdout=log,
                          stderr=subprocess.STDOUT).returncode != 0:
            raise SystemExit(f'failed: {" ".join(cmd)} (see {log_file})')


def train_log(wd):
    """(last logged loss_bbox, median s/iter) from mmengine's scalars."""
    entries = []
    for path in sorted(glob.glob(osp.join(wd, '*', 'vis_data',
                                          'scalars.json'))):
        with open(path) as f:
            entries += [json.loads(line) for line in f if '"iter"' in line]
    train = [e for e in entries if 'loss' in e and 'time' in e]
    if not train:
        return None, None
    loss_bbox = train[-1].get('loss_bbox', train[-1].get('student.loss_bbox'))
    return loss_bbox, round(statistics.median(e['time'] for e in train), 3)


def run_name(config, own_teachers=None):
    """Work dir name of a run: the config's name, plus the teachers that
    replace the pipeline's (``..._late-start__r18-gfl_r18_..._800it``)."""
    return pipeline.name_of(config) + ''.join(
        f'__{name}-{pipeline.name_of(cfg)}'
        for name, (cfg, _) in sorted((own_teachers or {}).items()))


def run_dir(runs_dir, config, seed, own_teachers=None):
    """Work dir of one run of ``config`` (see :func:`run_name`)."""
    return osp.join(REPO_ROOT, runs_dir, run_name(config, own_teachers),
                    f'seed{seed}')


def run_one(config, seed, runs_dir, cfg_options=(), own_teachers=None):
    wd = run_dir(runs_dir, config, seed, own_teachers)
    os.makedirs(wd, exist_ok=True)
    log = osp.join(wd, 'variant.log')
    setup = distill_setup(config, seed, own_teachers)
    student_cfg, teacher_opts = setup if setup else (config, [])
    ckpt = pipeline.last_checkpoint(wd)
    if ckpt is None:
        print(f'[train] {config} seed {seed}', flush=True)
        cmd = [sys.executable, 'tools/train.py', config, '--work-dir', wd,
               '--cfg-options', f'randomness.seed={seed}', *teacher_opts,
               *cfg_options]
        if any(f.endswith('.pth') for f in os.listdir(wd)):
            cmd.insert(5, '--resume')
        run(cmd, log)
        ckpt = pipeline.last_checkpoint(wd)
    if setup:
        exported = osp.join(wd, 'student.pth')
        if not osp.isfile(exported):
            run([sys.executable, 'tools/model_converters/export_student.py',
                 ckpt, exported], log)
        ckpt = exported
    test_dir = osp.join(wd, 'test')
    if not osp.isfile(osp.join(test_dir, 'metrics.json')):
        run([sys.executable, 'tools/test.py', student_cfg, ckpt,
             '--work-dir', test_dir], log)
    with open(osp.join(test_dir, 'metrics.json')) as f:
        metrics = json.load(f)
    loss_bbox, s_per_iter = train_log(wd)
    return dict(run=run_name(config, own_teachers), config=config, seed=seed,
                metrics={k: metrics.get(k, 0.0) for k in METRICS},
                final_train_loss_bbox=loss_bbox, s_per_iter=s_per_iter,
                teachers=teacher_opts or None,
                omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
                git_commit=pipeline.git_commit())


def plot(runs, out_png):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    def name(r):
        return r.get('run', pipeline.name_of(r['config']))

    names = list(dict.fromkeys(name(r) for r in runs))
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(names) + 1.5))
    for i, run_id in enumerate(names):
        for r in runs:
            if name(r) == run_id:
                ax.scatter(r['metrics']['coco/bbox_mAP_50'], i, zorder=3,
                           color=f"C{r['seed']}", label=f"seed {r['seed']}")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc='lower left')
    ax.set_yticks(range(len(names)), [n[-80:] for n in names], fontsize=6)
    ax.set_xlabel('val mAP50 (synthetic demo discs)')
    ax.set_xlim(0, 1)
    ax.grid(axis='x', alpha=.3)
    fig.tight_layout()
    fig.savefig(out_png, dpi=120)


def load_runs(out):
    """The runs recorded in ``out`` so far ([] before the first)."""
    if not osp.isfile(out):
        return []
    with open(out) as f:
        return json.load(f)['runs']


def main(argv=None):
    args = parse_args(argv)
    out = osp.join(REPO_ROOT, args.out)
    teachers = {}
    for item in args.teachers:
        name, sep, config = item.partition('=')
        if not sep or not osp.isfile(osp.join(REPO_ROOT, config)):
            raise SystemExit(f'--teachers {item!r}: want NAME=CONFIG with an '
                             'existing config file')
        teachers[name] = config

    def record(result):
        # read, merge and write under a lock: two runs of this script may
        # share --out, and each must keep the other's runs
        with open(out + '.lock', 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            runs = load_runs(out)
            runs = [r for r in runs if (r['config'], r['seed'],
                                        r['teachers']) !=
                    (result['config'], result['seed'], result['teachers'])]
            runs.append(result)
            with open(out, 'w') as f:
                json.dump(dict(what=__doc__.split('\n')[0], runs=runs), f,
                          indent=2)
        m = result['metrics']
        print(f"[done] {result['config']} seed {result['seed']}: mAP50 "
              f"{m['coco/bbox_mAP_50']:.3f} mAP {m['coco/bbox_mAP']:.3f}",
              flush=True)

    for seed in args.seeds:
        own = {}
        for name, config in teachers.items():
            record(run_one(config, seed, args.runs_dir))
            own[name] = (config, pipeline.last_checkpoint(
                run_dir(args.runs_dir, config, seed)))
        for config in args.configs:
            record(run_one(config, seed, args.runs_dir, args.cfg_options,
                           own))
    plot(load_runs(out), osp.splitext(out)[0] + '.png')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
