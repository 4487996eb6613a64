"""MMEngine's CheckpointHook that never writes a poisoned or torn checkpoint.

The loss that ``LossGuardHook`` checks at iteration N was computed before
N's optimizer step, so a step that blows the weights up is only seen one
iteration later, after a checkpoint of N may have been written. This hook
checks the weights themselves before every save, writes each checkpoint under
a temporary name and renames it, and deletes old checkpoints only once the
new one is complete. ``tools/train.py`` uses it in place of
``CheckpointHook`` (same arguments plus ``max_weight``).
"""
import math
from typing import List, Tuple

import torch
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS

from meddet_mm.utils.safe_io import ATOMIC_BACKEND, FileWriteError
from .loss_guard_hook import last_good_checkpoint


class UnstableWeightsError(RuntimeError):
    """Raised instead of saving weights that are NaN/inf or blown up."""


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (full disk...); nothing was lost."""


class _DeferredRemoval:
    """A file backend whose ``remove``/``rmtree`` wait for ``commit()``."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.queued: List[Tuple[str, str]] = []

    def remove(self, path) -> None:
        self.queued.append(('remove', path))

    def rmtree(self, path) -> None:
        self.queued.append(('rmtree', path))

    def commit(self) -> None:
        for method, path in self.queued:
            getattr(self.backend, method)(path)
        self.queued.clear()

    def __getattr__(self, name):
        return getattr(self.backend, name)


@HOOKS.register_module()
class GuardedCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` that refuses bad weights and
    writes atomically.

    Before each save every floating-point parameter must be finite with
    ``|w| <= max_weight`` and every floating-point buffer (BN statistics)
    finite; otherwise :class:`UnstableWeightsError` names the tensor and the
    run stops with the previous checkpoint untouched. Files are written
    through an atomic local backend (temporary file + rename) unless
    ``backend_args`` names another backend, and checkpoints dropped by
    ``max_keep_ckpts`` or a better ``save_best`` are deleted only after the
    new file is complete, so a full disk loses nothing.

    Args:
        max_weight (float): Largest allowed parameter magnitude. Trained
            detector weights stay far below the default. Defaults to 1e4.
        *args, **kwargs: :class:`CheckpointHook` arguments.
    """

    def __init__(self, *args, max_weight: float = 1e4, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not max_weight > 0:
            raise ValueError(f'GuardedCheckpointHook: max_weight must be > 0,'
                             f' got {max_weight}')
        self.max_weight = max_weight
        if self.backend_args is None and self.file_client_args is None and (
                self.out_dir is None or '://' not in str(self.out_dir)):
            self.backend_args = dict(backend=ATOMIC_BACKEND)

    def check_weights(self, runner, filename: str) -> None:
        """Raise :class:`UnstableWeightsError` unless the model's weights are
        safe to save as ``filename``."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        params = [(n, p) for n, p in model.named_parameters()
                  if p.is_floating_point() and p.numel()]
        buffers = [(n, b) for n, b in model.named_buffers()
                   if b.is_floating_point() and b.numel()]
        with torch.no_grad():
            peaks = [float(p.detach().abs().max()) for _, p in params]
            finite = [bool(torch.isfinite(b).all()) for _, b in buffers]
        problem = None
        for (name, _), peak in zip(params, peaks):
            if not math.isfinite(peak):
                problem = f'parameter {name} has NaN/inf values'
                break
            if peak > self.max_weight:
                problem = (f'parameter {name} has |w| = {peak:.3g} (above '
                           f'max_weight={self.max_weight:g})')
                break
        if problem is None:
            bad = [name for (name, _), ok in zip(buffers, finite) if not ok]
            if bad:
                problem = f'buffer {bad[0]} has NaN/inf values'
        if problem is not None:
            raise UnstableWeightsError(
                f'after iteration {runner.iter + 1} {problem}; {filename} was '
                f'not written. {last_good_checkpoint(runner)}')

    def _save_checkpoint(self, runner) -> None:
        step = runner.epoch + 1 if self.by_epoch else runner.iter + 1
        self.check_weights(runner, self.filename_tmpl.format(step))
        self._save_safely(runner, super()._save_checkpoint)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best:
            return  # as CheckpointHook: nothing to save
        self.check_weights(runner, 'the best checkpoint')
        self._save_safely(runner, super()._save_best_checkpoint, metrics)

    def _save_safely(self, runner, save, *args) -> None:
        """Run ``save``; delete the files it dropped only once it succeeded,
        and turn a failed write into one line naming the last good file."""
        backend = self.file_backend
        deferred = _DeferredRemoval(backend)
        previous = runner.message_hub.get_info('last_ckpt')
        self.file_backend = deferred
        try:
            save(runner, *args)
        except FileWriteError as exc:
            runner.message_hub.update_info('last_ckpt', previous)
            raise CheckpointWriteError(
                f'{exc}. ' + last_good_checkpoint(
                    runner, 'freeing disk space or choosing a writable '
                    '--work-dir')) from exc
        finally:
            self.file_backend = backend
        deferred.commit()
