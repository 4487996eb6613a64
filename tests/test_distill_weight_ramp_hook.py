"""DistillWeightRampHook: the weight follows the linear ramp, ends at the
configured value, continues after a resume, and bad settings are refused."""
from types import SimpleNamespace

import pytest
import torch.nn as nn
from mmengine.logging import MessageHub

from meddet_mm.engine.hooks import DistillWeightRampHook


class _Algo(nn.Module):
    def __init__(self, tau):
        super().__init__()
        self.tau = tau


def _runner(model, iteration=0):
    hub = MessageHub.get_instance('test_distill_weight_ramp_hook')
    return SimpleNamespace(model=model, iter=iteration, message_hub=hub)


def test_ramp_values_and_logging():
    model = _Algo(tau=0.05)
    hook = DistillWeightRampHook(start=0.0, ramp_iters=100)
    runner = _runner(model)
    hook.before_train(runner)
    seen = []
    for it in (0, 25, 50, 100, 250):
        runner.iter = it
        hook.before_train_iter(runner, batch_idx=it)
        seen.append(model.tau)
    assert seen == pytest.approx([0.0, 0.0125, 0.025, 0.05, 0.05])
    assert runner.message_hub.get_scalar(
        'train/distill.tau').current() == pytest.approx(0.05)


def test_delayed_ramp_holds_start_until_begin_iter():
    # sigma ramps down from 1 (detection only) once the student localises
    model = _Algo(tau=0.0)
    model.sigma = 0.85
    hook = DistillWeightRampHook(attr='sigma', start=1.0, ramp_iters=100,
                                 begin_iter=300)
    runner = _runner(model)
    hook.before_train(runner)
    seen = []
    for it in (0, 299, 300, 350, 400, 599):
        runner.iter = it
        hook.before_train_iter(runner, batch_idx=it)
        seen.append(model.sigma)
    assert seen == pytest.approx([1.0, 1.0, 1.0, 0.925, 0.85, 0.85])


def test_resumed_run_continues_the_ramp():
    # a resumed runner starts at its saved iteration, not at 0
    model = _Algo(tau=0.2)
    hook = DistillWeightRampHook(start=0.1, ramp_iters=10)
    runner = _runner(model, iteration=5)
    hook.before_train(runner)
    hook.before_train_iter(runner, batch_idx=0)
    assert model.tau == pytest.approx(0.15)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='ramp_iters'):
        DistillWeightRampHook(ramp_iters=0)
    with pytest.raises(ValueError, match='begin_iter'):
        DistillWeightRampHook(begin_iter=-1)
    hook = DistillWeightRampHook(attr='lambda_missing')
    with pytest.raises(AttributeError, match='lambda_missing'):
        hook.before_train(_runner(_Algo(tau=0.1)))
