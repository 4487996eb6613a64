from types import SimpleNamespace

import pytest
import torch

import meddet_mm  # noqa: F401
from meddet_mm.engine import LossGuardHook, UnstableLossError


def _runner(it=4):
    return SimpleNamespace(iter=it, work_dir='/tmp/wd')


def test_finite_losses_pass():
    LossGuardHook().after_train_iter(
        _runner(), 0, outputs=dict(loss=torch.tensor(1.0),
                                   acc=torch.tensor(float('nan'))))


@pytest.mark.parametrize('value,why', [(float('nan'), 'not finite'),
                                       (float('inf'), 'not finite'),
                                       (2e4, 'above max_loss')])
def test_bad_loss_is_named(value, why):
    outputs = {'loss': torch.tensor(1.0),
               'distill.loss_adv': torch.tensor(value)}
    with pytest.raises(UnstableLossError,
                       match=rf'distill.loss_adv = .* at iteration 5 \({why}'):
        LossGuardHook(max_loss=1e4).after_train_iter(_runner(), 0,
                                                     outputs=outputs)


def test_only_selected_keys_and_bad_args():
    outputs = {'loss_x': torch.tensor(float('nan')), 'loss': torch.tensor(1.)}
    LossGuardHook(keys=['loss']).after_train_iter(_runner(), 0,
                                                 outputs=outputs)
    with pytest.raises(ValueError, match='max_loss'):
        LossGuardHook(max_loss=0)
