"""Command-line pieces shared by tools/train.py and tools/test.py: the common
arguments and loading a config with the usual overrides."""
import argparse
import os
import os.path as osp
import pickle

from mmengine.config import Config, DictAction

from .checkpoint_io import unpickling_error
from .config_check import assigned_keys, check_config, use_cpu_backend


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """--work-dir, --cfg-options, --launcher and --local_rank/--local-rank
    (torch.distributed.launch passes the first spelling, torchrun the
    second)."""
    parser.add_argument('--work-dir', help='where logs and results go')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_tool_config(args) -> Config:
    """Load ``args.config`` with ``--cfg-options``, typo check, launcher
    (gloo on CPU) and work_dir (default ``work_dirs/<config name>``)."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    own_keys = assigned_keys(args.config) | {
        key.split('.')[0] for key in (args.cfg_options or {})}
    check_config(cfg, args.config, own_keys)
    cfg.launcher = args.launcher
    use_cpu_backend(cfg)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def error_line(exc: BaseException) -> str:
    """``<Type>: <message>`` on one line, quotes kept as written.

    ``str(KeyError(msg))`` is ``repr(msg)``, so a KeyError's own message is
    used; other messages are shown as they are (stripping quote characters
    would cut the closing quote of a key name at the end of a message).
    """
    if isinstance(exc, KeyError) and len(exc.args) == 1 and isinstance(
            exc.args[0], str):
        message = exc.args[0]
    elif isinstance(exc, pickle.UnpicklingError):
        message = str(unpickling_error('a checkpoint', exc))
    else:
        message = str(exc)
    message = ' '.join(message.split()) or '(no message)'
    return f'{type(exc).__name__}: {message}'


def run_tool(main) -> None:
    """Run a tool's ``main()``; a known kind of failure ends with one line
    ``error: <Type>: <message>`` and exit code 1 instead of a traceback.

    Known kinds: missing files, config errors (KeyError, ValueError,
    TypeError), runtime stops (RuntimeError, e.g. an unstable loss),
    mmcv's failed-image assertion, file-system errors (OSError: permission,
    full disk, read-only folder) and checkpoints that safe loading refuses
    (UnpicklingError). Set ``MEDDET_TRACEBACK=1`` to see the full traceback.
    """
    import sys
    if os.environ.get('MEDDET_TRACEBACK') == '1':
        main()
        return
    try:
        main()
    except (OSError, KeyError, ValueError, TypeError, RuntimeError,
            AssertionError,  # mmcv asserts on bad images
            pickle.UnpicklingError) as exc:
        print(f'error: {error_line(exc)}\n'
              '(set MEDDET_TRACEBACK=1 for the full traceback)',
              file=sys.stderr)
        sys.exit(1)
