"""ONNX fp32 / INT8 accuracy of trained students against PyTorch on SPIDER
val: writes benchmarks/results/deploy.json.

    python benchmarks/deploy_parity.py                  # default students
    python benchmarks/deploy_parity.py --models student_lean-w128-disc-s0 \
        --calib-images 64 --threads 2 --out benchmarks/results/deploy.json

For each finished benchmarks/run_spider.py experiment named in --models it
takes the checkpoint and the exact config of that run (the dumped
``protocol_config.py`` beside the checkpoint, else the shipped config),
exports the student (tools/deployment/export_onnx.py), quantises it
calibrated on SPIDER *training* slices, and evaluates both ONNX models with
tools/deployment/test_onnx.py. PyTorch's mAP is re-measured with
tools/test.py on the same config and checkpoint (``--reuse-torch`` takes the
experiment's stored metrics instead). Goals (issue 17): fp32 within 0.3 mAP
points of PyTorch, INT8 within 1.0. Nothing is trained here: an experiment
without its checkpoint is reported as missing.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import run_spider  # noqa: E402

REPO_ROOT = run_spider.REPO_ROOT
# the paper-size student (nmODE2 head) and the best lean student, trained
# alone: export fidelity depends on the architecture, not on how the
# weights were learned, and these need no teachers
DEFAULT_MODELS = ('student_mbv2-nmode2-head-disc-s0',
                  'student_lean-w128-disc-s0')
GOALS_POINTS = dict(fp32=0.3, int8=1.0)
METRIC_KEYS = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75',
               'coco/bbox_recall')


def run(cmd, log):
    """Run a tool from the repository root; its output goes to ``log``."""
    with open(log, 'a') as f:
        f.write('$ ' + ' '.join(cmd) + '\n')
        f.flush()
        proc = subprocess.run(cmd, cwd=REPO_ROOT, stdout=f,
                              stderr=subprocess.STDOUT,
                              env=dict(os.environ, PYTHONWARNINGS='ignore'))
    if proc.returncode != 0:
        raise RuntimeError(f'{cmd[1]} failed (exit {proc.returncode}); see '
                           f'{log}')


def experiment(name, results_dir):
    """(config, checkpoint, stored metrics) of a run_spider experiment."""
    path = osp.join(results_dir, f'{name}.json')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: run benchmarks/'
                                f'run_spider.py --only {name} first')
    with open(path) as f:
        result = json.load(f)
    ckpt = result['checkpoint']
    if not osp.isfile(ckpt):
        raise FileNotFoundError(f'checkpoint {ckpt} (named by {path}) does '
                                'not exist on this machine')
    dumped = osp.join(osp.dirname(ckpt), 'protocol_config.py')
    config = dumped if osp.isfile(dumped) else osp.join(REPO_ROOT,
                                                        result['config'])
    return config, ckpt, result.get('metrics', {})


def calibration_dir(config, num_images, tmp):
    """A folder of links to ``num_images`` training slices of ``config``
    (spread over the training annotation file)."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    dataset = cfg.train_dataloader.dataset
    while 'ann_file' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset
    root = dataset.get('data_root', '')
    with open(osp.join(root, dataset.ann_file)) as f:
        names = [img['file_name'] for img in json.load(f)['images']]
    step = max(1, len(names) // num_images)
    folder = osp.join(tmp, 'calib')
    os.makedirs(folder, exist_ok=True)
    for name in names[::step][:num_images]:
        src = osp.join(root, dataset.data_prefix.get('img', ''), name)
        os.symlink(osp.abspath(src), osp.join(folder, osp.basename(name)))
    return folder


def pick(metrics):
    return {k: metrics[k] for k in METRIC_KEYS if k in metrics}


def evaluate(name, args, tmp, log):
    config, ckpt, stored = experiment(name, args.results_dir)
    work = osp.join(tmp, name)
    onnx_path = osp.join(work, 'model.onnx')
    os.makedirs(work, exist_ok=True)
    run([sys.executable, 'tools/deployment/export_onnx.py', config, ckpt,
         '--out', onnx_path, '--int8', '--calib-dir',
         calibration_dir(config, args.calib_images, work),
         '--calib-images', str(args.calib_images), '--calib-method',
         args.calib_method], log)
    entry = dict(config=osp.relpath(config, REPO_ROOT)
                 if config.startswith(REPO_ROOT) else config,
                 checkpoint=ckpt)
    if args.reuse_torch:
        entry['torch'] = dict(pick(stored), source='stored run_spider '
                              'metrics')
    else:
        run([sys.executable, 'tools/test.py', config, ckpt, '--work-dir',
             osp.join(work, 'torch')], log)
        with open(osp.join(work, 'torch', 'metrics.json')) as f:
            entry['torch'] = dict(pick(json.load(f)), source='tools/test.py')
    for precision, model in (('fp32', onnx_path),
                             ('int8', onnx_path[:-5] + '.int8.onnx')):
        out = osp.join(work, precision)
        run([sys.executable, 'tools/deployment/test_onnx.py', config, model,
             '--work-dir', out, '--threads', str(args.threads)], log)
        with open(osp.join(out, 'metrics_onnx.json')) as f:
            metrics = pick(json.load(f))
        with open(model[:-5] + '.json') as f:
            sidecar = json.load(f)
        delta = 100 * (metrics['coco/bbox_mAP'] -
                       entry['torch']['coco/bbox_mAP'])
        entry[f'onnx_{precision}'] = dict(
            metrics, delta_mAP_points=round(delta, 2),
            goal_points=GOALS_POINTS[precision],
            goal_met=abs(delta) <= GOALS_POINTS[precision],
            parity=sidecar['source'].get('verify'),
            quantization=sidecar.get('quantization'))
    return entry


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--models', nargs='+', default=list(DEFAULT_MODELS),
                        help='run_spider experiment names')
    parser.add_argument('--calib-images', type=int, default=64)
    parser.add_argument('--calib-method', default='minmax',
                        choices=['minmax', 'entropy', 'percentile'])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--reuse-torch', action='store_true',
                        help="use the experiment's stored PyTorch metrics")
    parser.add_argument('--results-dir', default=run_spider.RESULTS_DIR,
                        help='where the run_spider result JSONs are')
    parser.add_argument('--keep', help='keep the exported models here')
    parser.add_argument('--out', default=osp.join(
        REPO_ROOT, 'benchmarks', 'results', 'deploy.json'))
    args = parser.parse_args(argv)
    tmp = args.keep or tempfile.mkdtemp(prefix='meddet_deploy_')
    os.makedirs(tmp, exist_ok=True)
    log = osp.join(tmp, 'deploy_parity.log')
    results = dict(goals_mAP_points=GOALS_POINTS, threads=args.threads,
                   calib_images=args.calib_images,
                   calib_method=args.calib_method, models={})
    for name in args.models:
        print(f'[deploy] {name}', flush=True)
        try:
            results['models'][name] = evaluate(name, args, tmp, log)
        except (FileNotFoundError, RuntimeError) as exc:
            print(f'[missing] {name}: {exc}', flush=True)
            results['models'][name] = dict(missing=str(exc))
            continue
        entry = results['models'][name]
        print(f"[done] {name}: mAP torch {entry['torch']['coco/bbox_mAP']} "
              f"fp32 {entry['onnx_fp32']['coco/bbox_mAP']} "
              f"int8 {entry['onnx_int8']['coco/bbox_mAP']}", flush=True)
    with open(args.out, 'w') as f:
        json.dump(results, f, indent=2)
    print(f'wrote {args.out} (models and logs in {tmp})')


if __name__ == '__main__':
    main()
