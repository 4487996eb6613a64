"""Refuse a checkpoint whose weights do not fit the model (strict loading).

MMEngine's Runner loads ``load_from`` / ``--resume`` checkpoints with
``strict=False``: a checkpoint of another architecture only logs
missing-key warnings and the model keeps its random weights. With this hook
the load stops with one line naming the file and some of the keys.
``tools/test.py`` adds it, and ``tools/train.py`` when resuming.
"""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS

from meddet_mm.utils.checkpoint_io import check_weights_fit


@HOOKS.register_module()
class StrictLoadHook(Hook):
    """Check a loaded checkpoint against the model before MMEngine copies it
    in (``after_load_checkpoint`` runs between reading and loading).

    Args:
        source (str, optional): Checkpoint name for the message; defaults to
            the runner's ``load_from`` or ``the checkpoint``.
        config (str, optional): Config name for the message.
    """

    priority = 'LOWEST'  # after hooks that may convert old checkpoints

    def __init__(self, source: Optional[str] = None,
                 config: Optional[str] = None) -> None:
        self.source = source
        self.config = config

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        source = self.source or runner.cfg.get('load_from') or \
            'the checkpoint'
        check_weights_fit(model, checkpoint, source, self.config)
