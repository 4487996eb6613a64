"""GuardedCheckpointHook on a toy MMEngine Runner: blown-up or NaN weights are
never saved, a failed write leaves no torn file and deletes no old
checkpoint, and a good run saves as CheckpointHook does."""
import errno
import glob
import os.path as osp
import re
import uuid

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import DataLoader

import meddet_mm  # noqa: F401
from meddet_mm.engine.hooks import GuardedCheckpointHook, UnstableWeightsError
from meddet_mm.engine.hooks.guarded_checkpoint_hook import \
    CheckpointWriteError
from meddet_mm.utils.safe_io import AtomicLocalBackend


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(32, 32)
        self.bn = nn.BatchNorm1d(32)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.bn(self.linear(inputs))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


class Poison(Hook):
    """Multiply the weights after the optimizer step of iteration ``at``
    (runs before the checkpoint hook, like the step itself)."""

    priority = 'HIGHEST'

    def __init__(self, at, value):
        self.at, self.value = at, value

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.at:
            with torch.no_grad():
                runner.model.linear.weight.mul_(self.value)


def toy_runner(work_dir, max_iters, custom_hooks=(), **ckpt):
    data = [dict(inputs=torch.randn(32)) for _ in range(8)]
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=f'toy_{uuid.uuid4().hex}',
        default_scope='mmdet',  # the Runner sets the scope of later tests
        train_dataloader=DataLoader(data, batch_size=4),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=GuardedCheckpointHook(
            by_epoch=False, **ckpt)),
        custom_hooks=list(custom_hooks))


def saved(work_dir):
    return sorted(osp.basename(p) for p in glob.glob(f'{work_dir}/*.pth'))


@pytest.mark.parametrize('value,problem', [
    (1e8, r'parameter linear.weight has \|w\| = .* '
     r'\(above max_weight=10000\)'),
    (float('nan'), 'parameter linear.weight has NaN/inf values'),
])
def test_bad_weights_are_not_saved(tmp_path, value, problem):
    runner = toy_runner(tmp_path, 4, [Poison(4, value)], interval=2)
    with pytest.raises(UnstableWeightsError) as info:
        runner.train()
    message = str(info.value)
    assert 'after iteration 4 ' in message
    assert re.search(problem, message), message
    assert 'iter_4.pth was not written' in message
    assert f'The last good checkpoint is {tmp_path}/iter_2.pth' in message
    assert saved(tmp_path) == ['iter_2.pth']


def test_nothing_saved_yet_is_said(tmp_path):
    runner = toy_runner(tmp_path, 2, [Poison(2, 1e8)], interval=2)
    with pytest.raises(UnstableWeightsError,
                       match='No checkpoint was saved before this point'):
        runner.train()
    assert saved(tmp_path) == []


def test_full_disk_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    """With max_keep_ckpts=1 CheckpointHook deletes iter_2 before writing
    iter_3; when that write fails (ENOSPC halfway) both would be lost."""
    put = AtomicLocalBackend.put

    def put_until_full(self, obj, filepath):
        if 'iter_3' in str(filepath):
            from meddet_mm.utils.safe_io import atomic_open
            with atomic_open(str(filepath)) as f:
                f.write(obj[:len(obj) // 2])
                raise OSError(errno.ENOSPC, 'No space left on device')
        put(self, obj, filepath)

    monkeypatch.setattr(AtomicLocalBackend, 'put', put_until_full)
    runner = toy_runner(tmp_path, 4, interval=1, max_keep_ckpts=1)
    with pytest.raises(CheckpointWriteError) as info:
        runner.train()
    message = str(info.value)
    assert message.startswith(f'could not write {tmp_path}/iter_3.pth '
                              '([Errno 28] No space left on device)')
    assert f'The last good checkpoint is {tmp_path}/iter_2.pth' in message
    assert saved(tmp_path) == ['iter_2.pth']
    assert not glob.glob(f'{tmp_path}/.*.tmp')
    with open(tmp_path / 'last_checkpoint') as f:
        assert f.read().endswith('iter_2.pth')
    assert torch.load(tmp_path / 'iter_2.pth')['meta']['iter'] == 2


def test_good_run_saves_and_rotates_like_checkpoint_hook(tmp_path):
    toy_runner(tmp_path, 4, interval=1, max_keep_ckpts=2).train()
    assert saved(tmp_path) == ['iter_3.pth', 'iter_4.pth']
    assert not glob.glob(f'{tmp_path}/.*.tmp')
    ckpt = torch.load(tmp_path / 'iter_4.pth')
    assert ckpt['meta']['iter'] == 4 and 'optimizer' in ckpt


def test_bad_max_weight():
    with pytest.raises(ValueError, match='max_weight must be > 0'):
        GuardedCheckpointHook(max_weight=0)
