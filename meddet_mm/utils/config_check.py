"""Catch config typos that MMEngine would silently ignore.

A misspelt top-level key (``trian_dataloader``) is just another variable to
MMEngine; here it is an error naming the key and the likely intended one.
"""
import difflib

# Top-level keys read by mmengine.runner.Runner.from_cfg (mmengine 0.10).
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'model_wrapper_cfg', 'custom_imports')


def check_config(cfg, filename: str = '<config>') -> None:
    """Raise KeyError for a top-level key that looks like a misspelt
    Runner key whose correct spelling is absent from the config.

    Args:
        cfg (Config | dict): The loaded config.
        filename (str): Shown in the message.
    """
    keys = set(cfg.keys())
    for key in sorted(keys - set(RUNNER_KEYS)):
        if key.startswith('_'):
            continue
        close = difflib.get_close_matches(key, RUNNER_KEYS, n=1, cutoff=0.85)
        if close and close[0] not in keys:
            raise KeyError(
                f'{filename}: unknown top-level key {key!r}; did you mean '
                f'{close[0]!r}? (MMEngine would silently ignore it)')


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
