"""Train a detector or a MedDet distillation with an MMEngine Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]
        [--amp] [--cfg-options k=v ...] [--launcher pytorch]

Works for any config that imports meddet_mm via ``custom_imports``; for
several processes use ``tools/dist_train.sh CONFIG N``.
"""
import argparse

import meddet_mm  # noqa: F401  (compat shims + registration before mmrazor)
from mmengine.config import Config
from mmengine.runner import Runner

from meddet_mm.compat import init_cpu_process_group
from meddet_mm.utils.tool_args import (add_common_args, load_tool_config,
                                       run_tool)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        help='resume from CKPT, or from the latest checkpoint in work_dir '
        'when given without a value')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (GPU only)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the LR by the total batch size')
    add_common_args(parser)
    return parser.parse_args(argv)


def build_config(args) -> Config:
    """Load the config and apply the command-line overrides."""
    cfg = load_tool_config(args)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise KeyError(f'{args.config}: --auto-scale-lr needs an '
                           '`auto_scale_lr` entry in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = build_config(args)
    init_cpu_process_group(cfg.launcher)
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    run_tool(main)
