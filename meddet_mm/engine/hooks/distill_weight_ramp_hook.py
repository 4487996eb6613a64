"""Ramp a distillation loss weight in, from the start or after a delay.

A from-scratch student's features are still forming early in training, and
matching the fused teacher map then competes with learning to detect
(benchmarks/results/demo_distill_diagnostics.json). The hook sets the
algorithm's weight attribute (MedDet's ``tau`` by default) to
``start + (target - start) * clip((iter - begin_iter) / ramp_iters, 0, 1)``
before every training iteration, ``target`` being the value the config gave
it. With ``begin_iter`` the student first trains as it would alone (tau 0,
sigma 1: no distillation term reaches it) and is distilled once it
localises. The iteration counter comes from the runner, so a resumed run
continues the ramp.
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS


@HOOKS.register_module()
class DistillWeightRampHook(Hook):
    """Linear warm-up of a loss weight of the distillation algorithm.

    Args:
        attr (str): Attribute of the algorithm to ramp. Defaults to ``'tau'``
            (MedDet's L_dist weight; L_adv gets ``1 - sigma - tau``).
        start (float): Value at iteration 0. Defaults to 0.
        ramp_iters (int): Iterations from ``begin_iter`` until the
            configured value is reached.
        begin_iter (int): Iterations that keep ``start`` before the ramp
            begins. Defaults to 0.
    """

    priority = 'NORMAL'

    def __init__(self, attr: str = 'tau', start: float = 0.0,
                 ramp_iters: int = 100, begin_iter: int = 0) -> None:
        if ramp_iters < 1:
            raise ValueError(f'DistillWeightRampHook: ramp_iters must be '
                             f'>= 1, got {ramp_iters}')
        if begin_iter < 0:
            raise ValueError(f'DistillWeightRampHook: begin_iter must be '
                             f'>= 0, got {begin_iter}')
        self.begin_iter = int(begin_iter)
        self.attr = attr
        self.start = float(start)
        self.ramp_iters = int(ramp_iters)
        self.target = None

    def _model(self, runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        model = self._model(runner)
        if not hasattr(model, self.attr):
            raise AttributeError(
                f'DistillWeightRampHook: {type(model).__name__} has no '
                f'attribute {self.attr!r} to ramp')
        self.target = float(getattr(model, self.attr))

    def value_at(self, iteration: int) -> float:
        frac = min(1.0, max(0.0, (iteration - self.begin_iter) /
                            self.ramp_iters))
        return self.start + (self.target - self.start) * frac

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        value = self.value_at(runner.iter)
        setattr(self._model(runner), self.attr, value)
        runner.message_hub.update_scalar(f'train/distill.{self.attr}', value)
