"""Evaluate a checkpoint on the test split, optionally benchmarking it.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out preds.pkl]
        [--benchmark [--num-images 50] [--warmup 5] [--input-size H W]]
        [--clinical [--clinical-iou-thr 0.5] [--clinical-score-thr 0.5]]
        [--cfg-options k=v ...] [--launcher pytorch]

Reports COCO mAP, mAP50, mAP75, AR@100, per-class AP and per-class recall
(CocoMetric is swapped for meddet_mm's CocoRecallMetric, a subclass). With
``--benchmark`` it also prints FPS (batch 1, on the device used, with the
thread count), parameters and GFLOPs of the evaluated detector, and writes
them to ``WORK_DIR/benchmark.json``. A MedDet distillation checkpoint is
evaluated and benchmarked as its student only.

With ``--clinical`` it also reports per-disc clinical metrics
(meddet_mm's ClinicalDiscMetric: sensitivity, specificity, precision, F1,
missed discs, false alarms, AUC; see docs/clinical_metrics.md) and writes
``clinical_roc.png``, ``clinical_froc.png``,
``clinical_threshold_sweep.png`` and
``clinical_records.json`` to the work dir.

CHECKPOINT must fit the config's model exactly (strict loading: missing,
unexpected or reshaped weights stop the run with the file named), and is
read with safe ``weights_only`` loading. ``metrics.json`` is strict JSON
(a metric that is NaN, e.g. the recall of a class without boxes, is null).
"""
import argparse
import os.path as osp
import pickle

import meddet_mm  # noqa: F401  (compat shims + registration before mmrazor)
from mmengine.config import Config
from mmengine.runner import Runner

from meddet_mm.compat import init_cpu_process_group
from meddet_mm.utils import clear_teacher_checkpoints
from meddet_mm.utils.checkpoint_io import unpickling_error
from meddet_mm.utils.safe_io import write_json
from meddet_mm.utils.tool_args import (add_common_args, load_tool_config,
                                       run_tool)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump predictions to a .pkl file')
    parser.add_argument('--benchmark', action='store_true',
                        help='also measure FPS, params and GFLOPs')
    parser.add_argument('--num-images', type=int, default=50,
                        help='timed images for FPS (after warm-up)')
    parser.add_argument('--warmup', type=int, default=5,
                        help='untimed warm-up images for FPS')
    parser.add_argument('--input-size', type=int, nargs=2,
                        metavar=('H', 'W'),
                        help='input size for GFLOPs (default: test Resize)')
    parser.add_argument('--clinical', action='store_true',
                        help='also report per-disc clinical metrics '
                        '(ClinicalDiscMetric)')
    parser.add_argument('--clinical-iou-thr', type=float, default=0.5,
                        help='IoU of a disc-box match for --clinical')
    parser.add_argument('--clinical-score-thr', type=float, default=0.5,
                        help='score threshold of a call for --clinical')
    parser.add_argument('--clinical-positive-class', default='protrusion',
                        help='ROC class for --clinical')
    add_common_args(parser)
    return parser.parse_args(argv)


def build_config(args) -> Config:
    """Load the config, apply overrides and point it at the checkpoint."""
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint file not found: {args.checkpoint}')
    cfg = load_tool_config(args)
    cfg.load_from = args.checkpoint
    # all weights, teachers included, come from CHECKPOINT
    clear_teacher_checkpoints(cfg.model)
    # a checkpoint of another model is an error, not random weights
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
        dict(type='mmdet.StrictLoadHook', source=args.checkpoint,
             config=args.config)
    ]
    evaluators = cfg.test_evaluator if isinstance(
        cfg.test_evaluator, (list, tuple)) else [cfg.test_evaluator]
    for evaluator in evaluators:
        if evaluator.get('type', '').endswith('CocoMetric'):
            # same metric plus per-class recall (meddet_mm/evaluation)
            evaluator['type'] = 'mmdet.CocoRecallMetric'
            evaluator.setdefault('classwise', True)
            evaluator.setdefault('metric_items', [
                'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l',
                'AR@100', 'recall', 'recall@0.5'
            ])
    if args.clinical:
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(
            cfg.test_evaluator, dict) else list(cfg.test_evaluator)
        cfg.test_evaluator.append(clinical_evaluator(cfg, args))
    if args.out:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must end with .pkl, got {args.out}')
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(
            cfg.test_evaluator, dict) else list(cfg.test_evaluator)
        cfg.test_evaluator.append(
            dict(type='DumpDetResults', out_file_path=args.out))
    return cfg


def _test_pipeline(dataset_cfg):
    """The pipeline of a (possibly wrapped) test dataset config."""
    while 'pipeline' not in dataset_cfg and 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg.get('pipeline', [])


def clinical_evaluator(cfg, args) -> dict:
    """ClinicalDiscMetric config writing its files into the work dir."""
    from meddet_mm.evaluation.clinical_disc_metric import \
        gt_coords_of_pipeline
    pipeline = _test_pipeline(cfg.test_dataloader.dataset)
    if not any(str(step.get('type', '')).endswith('LoadAnnotations')
               for step in pipeline):
        raise KeyError('--clinical needs the GT boxes: the test pipeline of '
                       f'{args.config} has no LoadAnnotations')
    return dict(
        type='mmdet.ClinicalDiscMetric',
        iou_thr=args.clinical_iou_thr,
        score_thr=args.clinical_score_thr,
        positive_class=args.clinical_positive_class,
        gt_coords=gt_coords_of_pipeline(pipeline),
        roc_plot=osp.join(cfg.work_dir, 'clinical_roc.png'),
        froc_plot=osp.join(cfg.work_dir, 'clinical_froc.png'),
        # patient ids (for the patient bootstrap) from the annotation file
        ann_file=_test_ann_file(cfg),
        sweep_plot=osp.join(cfg.work_dir, 'clinical_threshold_sweep.png'),
        records_file=osp.join(cfg.work_dir, 'clinical_records.json'))


def _test_ann_file(cfg):
    """The test set's COCO file, if it has one on disk (its
    ``images[].patient_id`` give the clinical metric's patient ids)."""
    dataset = cfg.test_dataloader.dataset
    ann = dataset.get('ann_file')
    if not ann:
        return None
    path = osp.join(dataset.get('data_root') or '', ann)
    if not osp.isfile(path):
        return None
    import json
    with open(path) as f:
        images = json.load(f).get('images', [])
    # without patient ids the metric takes them from the file names
    return path if images and all('patient_id' in im for im in images) \
        else None


def test_input_size(cfg):
    """(H, W) of the test pipeline's Resize (the largest allowed size)."""
    for step in cfg.test_dataloader.dataset.get('pipeline', []):
        if step.get('type', '').endswith('Resize') and 'scale' in step:
            w, h = step['scale']  # mmcv Resize scale is (w, h)
            return h, w
    raise KeyError('test pipeline has no Resize with a scale; pass '
                   '--input-size H W')


def benchmark(runner, args) -> dict:
    """FPS, params and GFLOPs of the (student) detector in ``runner``."""
    from mmengine.model import is_model_wrapper

    from meddet_mm.utils.benchmark import (count_params, measure_fps,
                                           model_gflops)
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    detector = getattr(model, 'student', model)
    input_hw = tuple(args.input_size or test_input_size(runner.cfg))
    loader = runner.build_dataloader(
        dict(runner.cfg.test_dataloader, batch_size=1, num_workers=0))

    def progress(done, total):
        if done % 10 == 0 or done == total:
            print(f'  timed {done}/{total} images', flush=True)

    speed = measure_fps(detector, loader, args.warmup, args.num_images,
                        progress)
    result = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        params_M=count_params(detector) / 1e6,
        gflops=model_gflops(detector, input_hw),
        input_hw=list(input_hw),
        **speed)
    rows = [('params (M)', f"{result['params_M']:.2f}"),
            (f'GFLOPs @ {input_hw[0]}x{input_hw[1]}', f"{result['gflops']:.2f}"),
            ('FPS (batch 1)', f"{result['fps']:.2f}"),
            ('ms / image', f"{result['ms_per_image']:.1f}"),
            ('device / threads', f"{result['device']} / {result['threads']}")]
    width = max(len(r[0]) for r in rows)
    print('\n'.join(f'{k:<{width}}  {v}' for k, v in rows))
    path = osp.join(runner.work_dir, 'benchmark.json')
    write_json(result, path)
    print(f'benchmark written to {path}')
    return result


def main(argv=None):
    args = parse_args(argv)
    cfg = build_config(args)
    init_cpu_process_group(cfg.launcher)
    runner = Runner.from_cfg(cfg)
    try:
        metrics = runner.test()
    except pickle.UnpicklingError as exc:
        raise unpickling_error(args.checkpoint, exc) from None
    if args.benchmark:
        metrics = dict(metrics, benchmark=benchmark(runner, args))
    path = osp.join(runner.work_dir, 'metrics.json')
    write_json(metrics, path)  # strict JSON: a NaN metric becomes null
    print(f'metrics written to {path}')
    return metrics


if __name__ == '__main__':
    run_tool(main)
