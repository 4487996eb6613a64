"""Stop a run whose losses turn non-finite or explode (adversarial terms can).

Runs before the checkpoint hook, so the last checkpoint on disk is one saved
before the bad iteration.
"""
import math
from typing import Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmdet.registry import HOOKS


class UnstableLossError(RuntimeError):
    """Raised when a logged loss is NaN/inf or larger than allowed."""


@HOOKS.register_module()
class LossGuardHook(Hook):
    """Check every logged loss after each training iteration.

    Args:
        max_loss (float): A loss above this counts as exploding.
            Defaults to 1e4.
        keys (Sequence[str], optional): Only check these log keys. Defaults to
            every key containing ``'loss'``.
        interval (int): Check every ``interval`` iterations. Defaults to 1.
    """

    priority = 'ABOVE_NORMAL'  # before CheckpointHook (VERY_LOW)

    def __init__(self,
                 max_loss: float = 1e4,
                 keys: Optional[Sequence[str]] = None,
                 interval: int = 1) -> None:
        if max_loss <= 0:
            raise ValueError(f'LossGuardHook: max_loss must be > 0, got '
                             f'{max_loss}')
        self.max_loss = max_loss
        self.keys = tuple(keys) if keys else None
        self.interval = interval

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or not self.every_n_train_iters(
                runner, self.interval):
            return
        for key, value in outputs.items():
            if (self.keys and key not in self.keys) or (
                    not self.keys and 'loss' not in key):
                continue
            value = float(value.detach().sum()) if isinstance(
                value, torch.Tensor) else float(value)
            if not math.isfinite(value) or abs(value) > self.max_loss:
                last = runner.work_dir
                why = 'not finite' if not math.isfinite(value) else \
                    f'above max_loss={self.max_loss}'
                raise UnstableLossError(
                    f'{key} = {value} at iteration {runner.iter + 1} '
                    f'({why}); '
                    f'stopping. The last good checkpoint is in {last} '
                    '(resume with --resume after lowering the LR, tau or '
                    'the adversarial weight, or enabling clip_grad).')
