"""Helpers behind the tools' one-line errors (issue 18): work-dir lock,
safe checkpoint reading, strict fit check, atomic/strict-JSON writes, typo
check of derived configs, the error line itself."""
import errno
import json
import os
import pickle
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

import meddet_mm  # noqa: F401
from meddet_mm.utils.checkpoint_io import (CheckpointLoadError,
                                           CheckpointMismatchError,
                                           check_weights_fit, read_checkpoint)
from meddet_mm.utils.config_check import check_config
from meddet_mm.utils.safe_io import FileWriteError, atomic_open, write_json
from meddet_mm.utils.tool_args import error_line, run_tool
from meddet_mm.utils.work_dir import (LOCK_NAME, WorkDirBusyError,
                                      WorkDirError, WorkDirLock,
                                      existing_checkpoints)


class RunsCode:
    """Unpickling this runs ``touch MARKER`` (under an unsafe loader)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def malicious_checkpoint(path, marker):
    torch.save(dict(state_dict={'w': torch.ones(1)},
                    meta=RunsCode(marker)), path)
    return str(path)


# ---- work dir lock (cases 5 and 4) ---------------------------------------

def test_second_lock_on_a_work_dir_is_refused(tmp_path):
    with WorkDirLock(str(tmp_path)):
        with pytest.raises(WorkDirBusyError) as info:
            WorkDirLock(str(tmp_path)).acquire()
    message = str(info.value)
    assert f'work dir {tmp_path} is in use by another training ' \
        f'(pid {os.getpid()} on ' in message
    assert f'lock file {tmp_path}/{LOCK_NAME}' in message
    assert not (tmp_path / LOCK_NAME).exists()  # released on exit


def test_stale_lock_of_a_killed_run_is_taken_over(tmp_path):
    # a process that took the lock and was killed (no release)
    # (work_dir.py needs only the standard library: load it alone, fast)
    code = ('import importlib.util as u, os, sys; '
            "s = u.spec_from_file_location('wd', sys.argv[2]); "
            'm = u.module_from_spec(s); s.loader.exec_module(m); '
            'm.WorkDirLock(sys.argv[1]).acquire(); os.kill(os.getpid(), 9)')
    from meddet_mm.utils import work_dir
    proc = subprocess.run([sys.executable, '-c', code, str(tmp_path),
                           work_dir.__file__])
    assert proc.returncode == -9
    stale = json.loads((tmp_path / LOCK_NAME).read_text())
    logged = []
    with WorkDirLock(str(tmp_path), logger=logged.append) as lock:
        assert json.loads(open(lock.path).read())['pid'] == os.getpid()
    assert logged == [
        f'{tmp_path}/{LOCK_NAME}: taking over a stale lock of pid '
        f'{stale["pid"]} on {stale["host"]} (started {stale["started"]}; '
        'that run has ended)'
    ]


def test_unwritable_work_dir_is_one_error(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    with pytest.raises(WorkDirError, match=f'work dir {blocker}/wd is not '
                       r'writable \(\[Errno 20\] Not a directory\); pass '
                       '--work-dir'):
        WorkDirLock(str(blocker / 'wd')).acquire()


def test_existing_checkpoints(tmp_path):
    assert existing_checkpoints(str(tmp_path)) == []
    for name in ('iter_4.pth', 'best_coco_bbox_mAP_iter_4.pth',
                 'last_checkpoint', 'train.lock', 'cfg.py'):
        (tmp_path / name).write_text('x')
    assert [os.path.basename(p) for p in existing_checkpoints(
        str(tmp_path))] == ['best_coco_bbox_mAP_iter_4.pth', 'iter_4.pth',
                            'last_checkpoint']


# ---- reading checkpoints (case 10) ---------------------------------------

def test_code_running_checkpoint_is_refused_and_not_run(tmp_path):
    marker = tmp_path / 'ran'
    path = malicious_checkpoint(tmp_path / 'evil.pth', marker)
    with pytest.raises(CheckpointLoadError) as info:
        read_checkpoint(path)
    assert str(info.value).startswith(
        f'{path}: refused to load: the file holds a pickled reference to '
        'posix.system')
    assert 'nothing in it was run' in str(info.value)
    assert 'weights_only=False' not in str(info.value)
    assert not marker.exists()


def test_torn_checkpoint_is_named(tmp_path):
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict={'w': torch.ones(1000)}), good)
    torn = tmp_path / 'torn.pth'
    torn.write_bytes(good.read_bytes()[:500])
    with pytest.raises(CheckpointLoadError,
                       match=f'{torn}: not a readable torch checkpoint'):
        read_checkpoint(str(torn))
    with pytest.raises(FileNotFoundError, match='none.pth'):
        read_checkpoint(str(tmp_path / 'none.pth'))


# ---- strict fit (case 9) -------------------------------------------------

def test_weights_of_another_model_do_not_fit():
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    check_weights_fit(model, dict(state_dict=model.state_dict()), 'a.pth')
    other = dict(model.state_dict(), extra=torch.ones(1))
    other['1.weight'] = torch.ones(5, 3)
    del other['0.bias']
    with pytest.raises(CheckpointMismatchError) as info:
        check_weights_fit(model, other, 'b.pth', 'cfg.py')
    assert str(info.value) == (
        "b.pth does not fit the model of cfg.py: 1 of the model's 4 weights "
        'are missing (0.bias); 1 are not in the model (extra); 1 have '
        'another shape (1.weight (5, 3) vs (2, 3)). Is it a checkpoint of '
        'another architecture or config?')


def test_distillation_checkpoint_hint():
    model = torch.nn.Linear(2, 2)
    state = {f'architecture.{k}': v for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError, match='export its student '
                       'with tools/model_converters/export_student.py'):
        check_weights_fit(model, dict(state_dict=state), 'd.pth')


class _WithIdentity(torch.nn.Linear):
    """A layer that stores metadata of any length as its extra state."""

    def __init__(self, note: str):
        super().__init__(2, 2)
        self.note = note

    def get_extra_state(self):
        return torch.tensor(list(self.note.encode()), dtype=torch.uint8)

    def set_extra_state(self, state):
        self.loaded_note = bytes(state.tolist()).decode()


def test_extra_state_of_another_length_fits_but_a_missing_one_does_not():
    # tools/test.py builds MedDet without teacher checkpoints, so the JSON of
    # its teacher identity is shorter than the one saved in training
    trained = _WithIdentity('{"teachers": {"r18": "iter_400.pth"}}')
    model = _WithIdentity('{"teachers": {"r18": null}}')
    state = trained.state_dict()
    check_weights_fit(model, dict(state_dict=state), 'meddet.pth')
    model.load_state_dict(state)
    assert model.loaded_note == trained.note
    del state['_extra_state']
    with pytest.raises(CheckpointMismatchError, match='_extra_state'):
        check_weights_fit(model, dict(state_dict=state), 'meddet.pth')


# ---- writes ---------------------------------------------------------------

def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / 'metrics.json'
    path.write_text('old')
    with pytest.raises(FileWriteError) as info:
        with atomic_open(str(path), 'w') as f:
            f.write('new, half written')
            raise OSError(errno.ENOSPC, 'No space left on device')
    assert str(info.value).startswith(
        f'could not write {path} ([Errno 28] No space left on device)')
    assert info.value.errno == errno.ENOSPC
    assert path.read_text() == 'old'
    assert os.listdir(tmp_path) == ['metrics.json']


def test_json_has_no_bare_nan(tmp_path):
    import numpy as np
    path = tmp_path / 'm.json'
    write_json({'coco/bbox_mAP': 0.5, 'coco/x_recall': float('nan'),
                'n': np.float32(2.0), 'inf': [float('inf')]}, str(path))

    def refuse(constant):
        raise ValueError(f'bare {constant} in JSON')

    data = json.loads(path.read_text(), parse_constant=refuse)
    assert data == {'coco/bbox_mAP': 0.5, 'coco/x_recall': None, 'n': 2.0,
                    'inf': [None]}


# ---- config typos (case 8) -----------------------------------------------

@pytest.mark.parametrize('typo,meant', [
    ('trian_dataloader = dict(batch_size=1)', 'train_dataloader'),
    ("optim_wraper = dict(optimizer=dict(type='SGD', lr=0.1))",
     'optim_wrapper'),
])
def test_typo_in_a_derived_config_is_caught(tmp_path, typo, meant):
    base = tmp_path / 'base.py'
    base.write_text('train_dataloader = dict(batch_size=8)\n'
                    "optim_wrapper = dict(optimizer=dict(type='SGD', "
                    'lr=0.01))\nmodel = dict()\n')
    derived = tmp_path / 'derived.py'
    derived.write_text(f"_base_ = ['./base.py']\n{typo}\n")
    cfg = Config.fromfile(str(derived))
    with pytest.raises(KeyError) as info:
        check_config(cfg, str(derived))
    key = typo.split(' =')[0]
    assert info.value.args[0] == (
        f'{derived}: unknown top-level key {key!r}; did you mean {meant!r}? '
        f'MMEngine would silently ignore it (the value of {meant!r} comes '
        'from a _base_ file)')
    # the base config itself, and a derived one that spells it right, pass
    check_config(Config.fromfile(str(base)), str(base))
    derived.write_text("_base_ = ['./base.py']\n"
                       'train_dataloader = dict(batch_size=1)\n'
                       'train_pipeline = []\n')
    check_config(Config.fromfile(str(derived)), str(derived))


# ---- the error line ------------------------------------------------------

def test_error_line_keeps_closing_quotes():
    assert error_line(TypeError(
        "__init__() got an unexpected keyword argument 'batch_szie'")) == (
            "TypeError: __init__() got an unexpected keyword argument "
            "'batch_szie'")
    assert error_line(KeyError("cfg.py: unknown key 'batch_szie'")) == \
        "KeyError: cfg.py: unknown key 'batch_szie'"
    assert error_line(ValueError('two\n  lines')) == 'ValueError: two lines'


@pytest.mark.parametrize('exc,line', [
    (PermissionError(errno.EACCES, 'Permission denied', '/ro/wd'),
     "error: PermissionError: [Errno 13] Permission denied: '/ro/wd'"),
    (OSError(errno.ENOSPC, 'No space left on device'),
     'error: OSError: [Errno 28] No space left on device'),
    (pickle.UnpicklingError('Weights only load failed ... GLOBAL '
                            'posix.system ... weights_only=False'),
     'error: UnpicklingError: a checkpoint: refused to load: the file holds '
     'a pickled reference to posix.system'),
])
def test_file_system_and_pickle_errors_are_one_line(capsys, exc, line):

    def main():
        raise exc

    with pytest.raises(SystemExit) as info:
        run_tool(main)
    assert info.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(line) and len(err) == 2
    assert 'weights_only=False' not in err[0]
