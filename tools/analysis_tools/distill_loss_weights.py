"""Distillation loss weights of a KD config by the rule of docs/mskd.md: on
the first training batch, at initialisation, each loss group weighs
fraction / groups of the student's detection loss.

    python tools/analysis_tools/distill_loss_weights.py CONFIG \
        --groups ffd=loss_ffd rgd=loss_rgd [--fraction 0.25]

e.g. CONFIG = configs/kd_baselines/mskd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py.
Prints one weight per group as ``<group>_weight = ...`` lines; the MSKD
configs read them from configs/_base_/distillers/mskd_fpn.py.
The teacher is loaded from the config's teacher_ckpt; --no-teacher-ckpt
builds it at its own init (for a check of the procedure only).
"""
import argparse
import sys

import meddet_mm  # noqa: F401
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from meddet_mm.utils.distill_loss_weights import (measure_losses,
                                                  weights_from_losses)


def parse_groups(items):
    groups = {}
    for item in items:
        name, sep, prefix = item.partition('=')
        if not sep or not name or not prefix:
            raise SystemExit(f'--groups: expected NAME=PREFIX, got {item!r}')
        groups[name] = prefix
    return groups


def first_batch(cfg, seed):
    """The first batch of the config's train dataloader (no workers)."""
    loader = dict(cfg.train_dataloader)
    loader.update(num_workers=0, persistent_workers=False)
    torch.manual_seed(seed)
    return next(iter(Runner.build_dataloader(loader, seed=seed)))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--groups', nargs='+', required=True,
                        metavar='NAME=PREFIX',
                        help='loss groups: name and the prefix of their '
                        'names in distiller.distill_losses')
    parser.add_argument('--fraction', type=float, default=0.25)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-teacher-ckpt', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    groups = parse_groups(args.groups)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.no_teacher_ckpt:
        cfg.model.teacher_ckpt = None
    from mmdet.registry import MODELS
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'mmdet')):
        torch.manual_seed(args.seed)
        model = MODELS.build(cfg.model)
        model.init_weights()
        batch = first_batch(cfg, args.seed)
        det, raw = measure_losses(model, batch, groups)
    weights = weights_from_losses(det, raw, args.fraction)
    teacher = 'its own init' if args.no_teacher_ckpt else \
        cfg.model.get('teacher_ckpt')
    print(f'{args.config}: fraction {args.fraction}, teacher {teacher}, '
          f"batch of {len(batch['inputs'])}")
    print(f'detection loss at init: {det:.4g}; unweighted group sums: ' +
          ', '.join(f'{g} {v:.4g}' for g, v in raw.items()))
    for name, weight in weights.items():
        print(f'{name}_weight = {weight:.3g}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
