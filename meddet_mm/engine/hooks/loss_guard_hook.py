"""Stop a run whose losses turn non-finite or explode (adversarial terms can).

Runs before the checkpoint hook, so no checkpoint is saved after a bad loss.
The loss of iteration N comes before N's optimizer step, so weights that step
blows up are caught by ``GuardedCheckpointHook`` before they are saved.
"""
import math
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmdet.registry import HOOKS


LOWER_LR = ('lowering the LR, tau or the adversarial weight, or enabling '
            'clip_grad')


class UnstableLossError(RuntimeError):
    """Raised when a logged loss is NaN/inf or larger than allowed."""


def last_good_checkpoint(runner, fix: str = LOWER_LR) -> str:
    """Where to resume from, for an error that stops a run: the checkpoint
    ``--resume`` would use (``WORK_DIR/last_checkpoint``, which
    CheckpointHook writes after a complete save; else the message hub's
    ``last_ckpt``) if it exists, else that there is none.

    Args:
        runner (Runner): The runner.
        fix (str): What to do before resuming or starting again.
    """
    last = None
    marker = osp.join(str(getattr(runner, 'work_dir', '')), 'last_checkpoint')
    if osp.isfile(marker):
        with open(marker) as f:
            last = f.read().strip()
    hub = getattr(runner, 'message_hub', None)
    if not last and hub is not None:
        last = hub.get_info('last_ckpt')
    if last and osp.isfile(str(last)):
        return (f'The last good checkpoint is {last} (resume with --resume '
                f'after {fix}).')
    return f'No checkpoint was saved before this point; start again after ' \
        f'{fix}.'


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
                why = 'not finite' if not math.isfinite(value) else \
                    f'above max_loss={self.max_loss}'
                raise UnstableLossError(
                    f'{key} = {value} at iteration {runner.iter + 1} '
                    f'({why}); stopping. {last_good_checkpoint(runner)}')
