"""Build the detector of another config file, so a distillation config can
name its teacher (or student) by path instead of inheriting its config.

mmrazor's ``dict(cfg_path='mmdet::...')`` does this for installed packages
through :func:`mmengine.hub.get_model`, which needs a ``pkg::`` path and a
package registry scope; this builder also takes a local file (the way
``configs/kd_baselines`` name ``configs/teachers/...``)."""
import os.path as osp

from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmrazor.registry import MODELS


def detector_config(cfg_path: str) -> dict:
    """The ``model`` dict of ``cfg_path``: a config file, or an installed
    package's config as ``'pkg::path/to/config.py'``.

    Raises:
        FileNotFoundError: ``cfg_path`` is a local path that does not exist.
        KeyError: the config has no ``model``.
    """
    if '::' in cfg_path:
        from mmengine.hub import get_config
        cfg = get_config(cfg_path)
    else:
        if not osp.isfile(cfg_path):
            raise FileNotFoundError(
                f'DetectorFromConfig: config file not found: {cfg_path}')
        cfg = Config.fromfile(cfg_path)
    if 'model' not in cfg:
        raise KeyError(f'DetectorFromConfig: {cfg_path} has no `model`')
    return cfg.model.to_dict()


@MODELS.register_module()
def DetectorFromConfig(cfg_path: str, scope: str = 'mmdet', **overrides):
    """Build ``model`` of the config file ``cfg_path`` in ``scope``.

    Args:
        cfg_path (str): Config file path, or ``'pkg::path'``.
        scope (str): Registry scope of the model (its ``_scope_`` if it sets
            one wins). Defaults to ``'mmdet'``.
        **overrides: Top-level keys of the model dict to replace, e.g.
            ``init_cfg``.

    Returns:
        nn.Module: The built detector (not wrapped, so its state-dict keys
        are the detector's own).
    """
    model = detector_config(cfg_path)
    model.update(overrides)
    model.setdefault('_scope_', scope)
    with DefaultScope.overwrite_default_scope(scope):
        return MODELS.build(model)
