"""COCO mAP of an exported ONNX model on a config's test split, with the
evaluator tools/test.py uses.

    python tools/deployment/test_onnx.py CONFIG model.onnx [--threads N]
        [--meta model.json] [--work-dir DIR] [--clinical] [--out preds.pkl]
        [--cfg-options k=v ...]

The test dataloader of CONFIG (a student, detector or distillation config)
loads and resizes each image; ONNX Runtime runs the graph and
:mod:`meddet_mm.deploy` filters and NMSes the boxes; the evaluators are
built by tools/test.py's ``build_config`` (CocoRecallMetric, optionally
ClinicalDiscMetric), so the numbers compare one to one with
``tools/test.py CONFIG CHECKPOINT``. Metrics go to
``WORK_DIR/metrics_onnx.json``.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import time

import meddet_mm  # noqa: F401  (registers modules and metrics)
from meddet_mm.utils.tool_args import run_tool

TOOLS_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def tools_test_module():
    """tools/test.py as a module (its ``build_config`` sets up the
    evaluators)."""
    spec = importlib.util.spec_from_file_location(
        'meddet_tools_test', osp.join(TOOLS_DIR, 'test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_spec_matches(spec, cfg, config_path):
    """The config's test Resize and classes must be the exported ones."""
    from meddet_mm.deploy.export import resize_rule
    rule = resize_rule(cfg, config_path)
    if rule != spec.resize:
        raise ValueError(f'{config_path}: test Resize {rule} differs from '
                         f'the exported model\'s {spec.resize}')


def evaluate_onnx(cfg, detector, progress_every: int = 25) -> dict:
    """Run ``detector`` (an OnnxDetector) over the test dataloader of
    ``cfg`` and return the evaluators' metrics."""
    import torch
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from mmengine.structures import InstanceData
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    loader = Runner.build_dataloader(
        dict(cfg.test_dataloader, batch_size=1, num_workers=0,
             persistent_workers=False))
    classes = list(loader.dataset.metainfo.get('classes', []))
    if classes and classes != detector.class_names:
        raise ValueError(f'test classes {classes} differ from the model\'s '
                         f'{detector.class_names}')
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = loader.dataset.metainfo
    start = time.perf_counter()
    for i, data in enumerate(loader, 1):
        for img, sample in zip(data['inputs'], data['data_samples']):
            dets = detector.predict_resized(
                img.permute(1, 2, 0).numpy(), sample.scale_factor)
            sample.pred_instances = InstanceData(
                bboxes=torch.from_numpy(dets.boxes),
                scores=torch.from_numpy(dets.scores),
                labels=torch.from_numpy(dets.labels))
        evaluator.process(data_samples=data['data_samples'], data_batch=data)
        if i % progress_every == 0 or i == len(loader):
            print(f'  {i}/{len(loader)} images, '
                  f'{(time.perf_counter() - start) / i * 1000:.0f} ms each',
                  flush=True)
    return evaluator.evaluate(len(loader.dataset))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--threads', type=int, default=None,
                        help='ONNX Runtime intra-op threads')
    parser.add_argument('--meta', help='sidecar JSON (default: beside the '
                        'model)')
    args, rest = parser.parse_known_args(argv)
    test = tools_test_module()
    targs = test.parse_args(rest)  # CONFIG MODEL and tools/test.py options
    if targs.benchmark:
        raise ValueError('--benchmark times the PyTorch model; time the ONNX '
                         'model with benchmarks/speed.py')
    if not targs.checkpoint.endswith('.onnx'):
        raise ValueError(f'expected an .onnx model, got {targs.checkpoint}')
    if not os.path.isfile(targs.checkpoint):
        raise FileNotFoundError(f'ONNX model not found: {targs.checkpoint}')
    cfg = test.build_config(targs)

    from meddet_mm.deploy import OnnxDetector
    detector = OnnxDetector(targs.checkpoint, args.meta, threads=args.threads)
    check_spec_matches(detector.spec, cfg, targs.config)
    metrics = evaluate_onnx(cfg, detector)
    metrics = dict(metrics, model=targs.checkpoint,
                   precision=detector.spec.precision)
    os.makedirs(cfg.work_dir, exist_ok=True)
    path = osp.join(cfg.work_dir, 'metrics_onnx.json')
    with open(path, 'w') as f:
        json.dump(metrics, f, indent=2, default=float)
    print(f'metrics written to {path}')
    return metrics


if __name__ == '__main__':
    run_tool(main)
