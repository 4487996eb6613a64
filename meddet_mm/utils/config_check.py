"""Catch config typos that MMEngine would silently ignore.

A misspelt top-level key (``trian_dataloader``) is just another variable to
MMEngine; here it is an error naming the key and the likely intended one.
"""
import ast
import difflib
from typing import Iterable, Optional, Set

# Top-level keys read by mmengine.runner.Runner.from_cfg (mmengine 0.10).
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'model_wrapper_cfg', 'custom_imports')


def assigned_keys(filename: str) -> Set[str]:
    """Top-level names a config file assigns itself (not those it inherits
    through ``_base_``); empty when the file cannot be parsed."""
    try:
        with open(filename, encoding='utf-8') as f:
            tree = ast.parse(f.read(), filename)
    except (OSError, SyntaxError, ValueError):
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        else:
            continue
        for target in targets:
            names.update(n.id for n in ast.walk(target)
                         if isinstance(n, ast.Name))
    return names


def check_config(cfg, filename: str = '<config>',
                 own_keys: Optional[Iterable[str]] = None) -> None:
    """Raise KeyError for a top-level key that looks like a misspelt
    Runner key.

    A key is a typo when it is close to a Runner key and either the config
    lacks that Runner key, or the key is one the config file (or
    ``--cfg-options``) assigns itself while the Runner key is only
    inherited from a ``_base_`` file. A derived config always inherits the
    correctly spelt key, so ``trian_dataloader = ...`` under ``_base_`` is
    caught too.

    Args:
        cfg (Config | dict): The loaded config.
        filename (str): Shown in the message; also parsed for the keys the
            file assigns itself when ``own_keys`` is None.
        own_keys (Iterable[str], optional): Keys the file (and
            ``--cfg-options``) assign. Defaults to those parsed from
            ``filename``.
    """
    keys = set(cfg.keys())
    own = set(own_keys) if own_keys is not None else assigned_keys(filename)
    for key in sorted(keys - set(RUNNER_KEYS)):
        if key.startswith('_'):
            continue
        close = difflib.get_close_matches(key, RUNNER_KEYS, n=1, cutoff=0.85)
        if not close:
            continue
        inherited_only = key in own and close[0] not in own
        if close[0] not in keys or inherited_only:
            where = (f' (the value of {close[0]!r} comes from a _base_ '
                     'file)' if close[0] in keys else '')
            raise KeyError(
                f'{filename}: unknown top-level key {key!r}; did you mean '
                f'{close[0]!r}? MMEngine would silently ignore it{where}')


def use_cpu_backend(cfg) -> None:
    """Make a distributed run work on CPU processes when there is no GPU.

    OpenMMLab configs default to ``nccl``, which needs CUDA devices, and
    mmengine 0.10.7 passes ``device_ids=[LOCAL_RANK]`` to DDP, which is only
    valid for GPU modules: use gloo and ``device_ids=None`` instead.
    """
    import torch
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
