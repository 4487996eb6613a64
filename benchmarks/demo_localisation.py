"""How well demo models localise the synthetic discs, disc by disc.

    S=configs/demo/gfl_mbv2_fpn_nmode2_demo_synthetic_600it
    python benchmarks/demo_localisation.py \
        --models "alone=$S.py:work_dirs/demo/$(basename $S)/iter_600.pth" \
        --out benchmarks/results/demo_localisation.json

For every ground-truth disc of the config's val split: the best IoU of any
prediction scoring at least ``--score-thr``. The shares of discs whose best
IoU is below 0.5 (a miss at mAP50), in [0.5, 0.75) and at least 0.75 say
whether a model's mAP50 is limited by finding discs or by placing thin boxes
(a disc is about 20 x 6 px on a 160 x 128 slice). Also the number of
predictions scoring at least 0.3 that overlap no disc by 0.5 (confident
false positives) and the discs' box size quantiles. One JSON with every
model's config, checkpoint and the git commit.
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO_ROOT, 'benchmarks'))
from run_spider_v2 import git_state  # noqa: E402

IOU_BINS = (0.3, 0.5, 0.6, 0.75)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--models', nargs='+', required=True,
                        metavar='NAME=CONFIG:CHECKPOINT')
    parser.add_argument('--score-thr', type=float, default=0.05,
                        help="lowest score a prediction may have to count "
                        "(the test_cfg's 0.05 by default)")
    parser.add_argument('--out', required=True, help='result JSON')
    return parser.parse_args(argv)


def parse_model(spec: str):
    """``NAME=CONFIG:CHECKPOINT`` -> (name, config, checkpoint)."""
    name, sep, rest = spec.partition('=')
    config, sep2, ckpt = rest.rpartition(':')
    if not (sep and sep2 and name and config and ckpt):
        raise SystemExit(f'--models: expected NAME=CONFIG:CHECKPOINT, got '
                         f'{spec!r}')
    for path in (config, ckpt):
        if not osp.isfile(osp.join(REPO_ROOT, path)) and \
                not osp.isfile(path):
            raise SystemExit(f'--models {name}: file not found: {path}')
    return name, config, ckpt


def best_ious(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """For each gt box (x1, y1, x2, y2), the best IoU with any pred box."""
    from meddet_mm.evaluation.functional import box_iou
    if len(pred) == 0:
        return np.zeros(len(gt))
    return box_iou(gt, pred).max(axis=1)


def summarise(ious: np.ndarray, confident_fp: int, sizes: np.ndarray):
    edges = (0.0, ) + IOU_BINS + (1.01, )
    shares = {
        f'best_iou_{lo:g}-{hi:g}': round(float(((ious >= lo) &
                                                (ious < hi)).mean()), 4)
        for lo, hi in zip(edges[:-1], edges[1:])
    }
    return dict(
        num_discs=int(len(ious)),
        missed_at_iou_05=round(float((ious < 0.5).mean()), 4),
        found_at_iou_075=round(float((ious >= 0.75).mean()), 4),
        median_best_iou=round(float(np.median(ious)), 4),
        best_iou_shares=shares,
        confident_false_positives=int(confident_fp),
        disc_wh_quantiles={
            str(q): [round(float(v), 1)
                     for v in np.quantile(sizes, q, axis=0)]
            for q in (0.05, 0.5, 0.95)
        })


def evaluate(config: str, ckpt: str, score_thr: float) -> dict:
    import torch
    from mmdet.apis import init_detector
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate

    import meddet_mm  # noqa: F401
    from meddet_mm.evaluation.functional import gt_coords_of_pipeline
    register_all_modules()
    cfg = Config.fromfile(config)
    model = init_detector(cfg, ckpt, device='cpu')
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    gt_coords = gt_coords_of_pipeline(cfg.val_dataloader.dataset.pipeline)
    ious, sizes, confident_fp = [], [], 0
    for i in range(len(dataset)):
        item = dataset[i]
        with torch.no_grad():
            pred = model.test_step(pseudo_collate([item]))[0].pred_instances
        sample = item['data_samples']
        gt = sample.gt_instances.bboxes
        gt = (gt.tensor if hasattr(gt, 'tensor') else gt).numpy()
        if gt_coords == 'resized':  # predictions are in original pixels
            sx, sy = sample.metainfo.get('scale_factor', (1., 1.))
            gt = gt / np.array([sx, sy, sx, sy])
        keep = (pred.scores >= score_thr).numpy()
        boxes = pred.bboxes.numpy()[keep]
        scores = pred.scores.numpy()[keep]
        if len(gt):
            ious.append(best_ious(gt, boxes))
            sizes.append(np.stack([gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]],
                                  axis=1))
        confident = boxes[scores >= 0.3]
        if len(confident):
            overlap = best_ious(confident, gt) if len(gt) else \
                np.zeros(len(confident))
            confident_fp += int((overlap < 0.5).sum())
    return summarise(np.concatenate(ious), confident_fp,
                     np.concatenate(sizes))


def main(argv=None):
    args = parse_args(argv)
    models = [parse_model(spec) for spec in args.models]
    result = dict(score_thr=args.score_thr, **git_state(), models={})
    for name, config, ckpt in models:
        row = evaluate(config, ckpt, args.score_thr)
        row.update(config=config, checkpoint=ckpt)
        result['models'][name] = row
        print(f"{name}: missed at IoU 0.5 {row['missed_at_iou_05']:.3f}, "
              f"best IoU >= 0.75 {row['found_at_iou_075']:.3f}, median "
              f"best IoU {row['median_best_iou']:.3f}, confident false "
              f"positives {row['confident_false_positives']}", flush=True)
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=1)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
