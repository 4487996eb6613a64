"""Train a detector or a MedDet distillation with an MMEngine Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]
        [--overwrite] [--amp] [--cfg-options k=v ...] [--launcher pytorch]

Works for any config that imports meddet_mm via ``custom_imports``; for
several processes use ``tools/dist_train.sh CONFIG N``.

A run holds a lock on its work dir (``WORK_DIR/train.lock``), so a second
run in the same folder stops at once; a work dir that already has
checkpoints needs ``--resume`` (continue) or ``--overwrite`` (start over).
Checkpoints are written by ``GuardedCheckpointHook``: weights are checked
before each save and files are written atomically.
"""
import argparse
import os
import os.path as osp
import pickle

import meddet_mm  # noqa: F401  (compat shims + registration before mmrazor)
from mmengine.config import Config
from mmengine.runner import Runner, find_latest_checkpoint

from meddet_mm.compat import init_cpu_process_group
from meddet_mm.utils.checkpoint_io import unpickling_error
from meddet_mm.utils.tool_args import (add_common_args, load_tool_config,
                                       run_tool)
from meddet_mm.utils.work_dir import (CheckpointsExistError, WorkDirLock,
                                      existing_checkpoints)

CHECKPOINT_HOOKS = ('CheckpointHook', 'mmengine.CheckpointHook')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        help='resume from CKPT, or from the latest checkpoint in work_dir '
        'when given without a value')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='start a new run in a work dir that already holds checkpoints '
        '(they are overwritten as the new run saves its own)')
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
        if not osp.isfile(args.resume):
            raise FileNotFoundError(
                f'--resume: checkpoint file not found: {args.resume}')
        cfg.resume, cfg.load_from = True, args.resume
    checkpoint_hook = cfg.get('default_hooks', {}).get('checkpoint')
    if checkpoint_hook and checkpoint_hook.get('type') in CHECKPOINT_HOOKS:
        # same arguments; checks the weights and writes atomically
        checkpoint_hook['type'] = 'mmdet.GuardedCheckpointHook'
    if cfg.get('resume'):
        # a checkpoint of another model is an error, not a warning
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
            dict(type='mmdet.StrictLoadHook', source=checkpoint_source(cfg),
                 config=args.config)
        ]
    return cfg


def checkpoint_source(cfg) -> str:
    """The checkpoint the runner will read: ``load_from`` or, for
    ``--resume`` without a path, the latest one in the work dir."""
    if cfg.get('load_from'):
        return cfg.load_from
    if cfg.get('resume'):
        return find_latest_checkpoint(cfg.work_dir) or \
            f'the latest checkpoint in {cfg.work_dir}'
    return 'the checkpoint'


def checkpoint_dirs(cfg) -> list:
    """Folders the checkpoint hook writes to (work_dir or its out_dir)."""
    dirs = [cfg.work_dir]
    out_dir = cfg.get('default_hooks', {}).get('checkpoint', {}).get(
        'out_dir')
    if out_dir and '://' not in str(out_dir):
        dirs.append(osp.join(out_dir,
                             osp.basename(cfg.work_dir.rstrip(osp.sep))))
    return dirs


def refuse_overwrite(cfg, args) -> None:
    """Stop a fresh run in a work dir that has another run's checkpoints."""
    if cfg.get('resume') or args.overwrite:
        return
    found = [p for d in checkpoint_dirs(cfg) for p in existing_checkpoints(d)]
    if found:
        names = ', '.join(osp.basename(p) for p in found[:4])
        more = f' and {len(found) - 4} more' if len(found) > 4 else ''
        raise CheckpointsExistError(
            f'work dir {osp.dirname(found[0])} already holds checkpoints of '
            f'an earlier run ({names}{more}); a new run would overwrite them.'
            ' Pass --resume to continue that run, --overwrite to start over '
            'anyway, or another --work-dir')


def is_rank_zero() -> bool:
    """Whether this process is rank 0 (or the only process)."""
    for var in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        if var in os.environ:
            return int(os.environ[var]) == 0
    return True


def main(argv=None):
    args = parse_args(argv)
    cfg = build_config(args)
    lock = WorkDirLock(cfg.work_dir)
    if is_rank_zero():
        lock.acquire()  # before the Runner writes anything in the work dir
    try:
        refuse_overwrite(cfg, args)
        init_cpu_process_group(cfg.launcher)
        runner = Runner.from_cfg(cfg)
        try:
            runner.train()
        except pickle.UnpicklingError as exc:
            raise unpickling_error(checkpoint_source(cfg), exc) from None
    finally:
        lock.release()


if __name__ == '__main__':
    run_tool(main)
