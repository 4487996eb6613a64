"""tools/train.py as a new user breaks it (issue 18, cases 2-6 and 8): each
case ends in one error line naming the file, key or value, exit code 1, and
nothing on disk is lost."""
import glob
import hashlib
import os
import os.path as osp
import resource
import shutil
import subprocess
import sys
import time

import pytest

from conftest import REPO_ROOT
from tiny_data import tiny_train_config, write_tiny_coco
from tiny_models import tiny_mbv2_gfl

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A tiny GFL config and a work dir holding a 2-iteration run."""
    root = str(tmp_path_factory.mktemp('reliability'))
    _, ann = write_tiny_coco(root)
    work_dir = osp.join(root, 'work')
    cfg = osp.join(root, 'tiny_gfl.py')
    with open(cfg, 'w') as f:
        f.write(tiny_train_config(root + '/', ann, tiny_mbv2_gfl(), work_dir))
    proc = train(cfg)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not osp.exists(osp.join(work_dir, 'train.lock'))  # released
    return cfg, work_dir


def train(cfg, *args, preexec_fn=None, timeout=600):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    return subprocess.run([sys.executable, 'tools/train.py', cfg, *args],
                          cwd=REPO_ROOT, capture_output=True, text=True,
                          env=env, preexec_fn=preexec_fn, timeout=timeout)


def train_tool():
    """tools/train.py as a module."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'train_tool', osp.join(REPO_ROOT, 'tools', 'train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_in_process(capsys, *argv):
    """``tools/train.py ARGV`` in this process (for runs that stop before
    the Runner starts): returns a CompletedProcess-like result."""
    from meddet_mm.utils.tool_args import run_tool
    module = train_tool()
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        run_tool(lambda: module.main(list(argv)))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(argv, info.value.code, out.out,
                                       out.err)


def error_of(proc):
    """The one error line; checks exit code 1 and that there is no
    traceback."""
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith('error:')]
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_case2_blown_up_weights_are_not_saved(tiny, tmp_path):
    """LR x1e10 exactly on a checkpoint iteration (4)."""
    cfg, _ = tiny
    work = str(tmp_path / 'lr_spike')
    proc = train(cfg, '--work-dir', work, '--cfg-options',
                 'train_cfg.max_iters=6', 'train_cfg.val_interval=100',
                 'default_hooks.checkpoint.interval=4',
                 'param_scheduler.type=MultiStepLR',
                 'param_scheduler.by_epoch=False',
                 'param_scheduler.milestones=[3]',
                 'param_scheduler.gamma=1e10')
    line = error_of(proc)
    assert line.startswith('error: UnstableWeightsError: after iteration 4 '
                           'parameter ')
    assert '(above max_weight=10000); iter_4.pth was not written. ' in line
    assert 'No checkpoint was saved before this point' in line
    assert 'last good checkpoint' not in line
    assert not glob.glob(osp.join(work, '*.pth'))
    assert not osp.exists(osp.join(work, 'last_checkpoint'))


def test_case3_full_disk_leaves_no_torn_checkpoint(tiny, tmp_path):
    """The file system refuses the bytes of the next checkpoint (a size
    limit stands in for the full disk: same write() failure, EFBIG)."""
    cfg, work_dir = tiny
    work = str(tmp_path / 'full')
    os.makedirs(work)
    good = osp.join(work, 'iter_2.pth')
    shutil.copy(osp.join(work_dir, 'iter_2.pth'), good)
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(good)
    before = digest(good)
    limit = osp.getsize(good) // 2  # logs and config stay far below

    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = train(cfg, '--work-dir', work, '--resume', good, '--cfg-options',
                 'train_cfg.max_iters=4', 'train_cfg.val_interval=100',
                 'default_hooks.checkpoint.interval=4',
                 'default_hooks.checkpoint.max_keep_ckpts=1',
                 preexec_fn=small_disk)
    line = error_of(proc)
    target = osp.join(work, 'iter_4.pth')
    assert line.startswith(f'error: CheckpointWriteError: could not write '
                           f'{target} ([Errno 27] File too large); no '
                           'partial file was left')
    assert line.endswith(f'The last good checkpoint is {good} (resume with '
                         '--resume after freeing disk space or choosing a '
                         'writable --work-dir).')
    files = sorted(f for f in os.listdir(work)
                   if osp.isfile(osp.join(work, f)))
    # no torn iter_4.pth, no temporary file, no lock left behind
    assert files == ['iter_2.pth', 'last_checkpoint', 'tiny_gfl.py']
    assert not glob.glob(osp.join(work, 'iter_4*')) and not glob.glob(
        osp.join(work, '.*.tmp'))
    assert digest(good) == before  # max_keep_ckpts=1 did not delete it
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read() == good


@pytest.mark.parametrize('how', ['read_only_dir', 'system_folder'])
def test_case4_unwritable_work_dir(tiny, tmp_path, capsys, how):
    cfg, _ = tiny
    if how == 'system_folder':  # sysfs refuses new folders, even to root
        work = '/sys/meddet_mm_reliability_test'
        expected = '[Errno 1] Operation not permitted'
    else:
        if os.geteuid() == 0:
            pytest.skip('root ignores file modes; see system_folder')
        parent = tmp_path / 'readonly'
        parent.mkdir()
        os.chmod(parent, 0o555)
        work = str(parent / 'wd')
        expected = '[Errno 13] Permission denied'
    line = error_of(train_in_process(capsys, cfg, '--work-dir', work))
    assert line == (f'error: WorkDirError: work dir {work} is not writable '
                    f'({expected}); pass --work-dir with a folder you can '
                    'write to')


def test_case5_second_training_in_the_same_work_dir(tiny, tmp_path):
    """Run A trains; run B is started in the same work dir meanwhile."""
    cfg, _ = tiny
    work = str(tmp_path / 'shared')
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    run_a = subprocess.Popen(
        [sys.executable, 'tools/train.py', cfg, '--work-dir', work,
         '--cfg-options', 'train_cfg.max_iters=100000',
         'train_cfg.val_interval=100000',
         'default_hooks.checkpoint.interval=100000'],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        lock = osp.join(work, 'train.lock')
        deadline = time.time() + 300
        while not (osp.exists(lock) and str(run_a.pid) in open(lock).read()):
            assert run_a.poll() is None and time.time() < deadline
            time.sleep(0.2)
        dumped = osp.join(work, 'tiny_gfl.py')
        while not osp.exists(dumped):  # A's Runner is up
            assert run_a.poll() is None and time.time() < deadline
            time.sleep(0.2)
        logs_before = sorted(os.listdir(work))
        run_b = train(cfg, '--work-dir', work, '--cfg-options',
                      'optim_wrapper.optimizer.lr=0.5')
        line = error_of(run_b)
        assert run_a.poll() is None  # A is unaffected
        assert line.startswith(f'error: WorkDirBusyError: work dir {work} is '
                               'in use by another training (pid '
                               f'{run_a.pid} on ')
        assert line.endswith(f'lock file {lock}); wait for it to finish or '
                             'pass another --work-dir')
        assert sorted(os.listdir(work)) == logs_before  # B wrote nothing
        assert 'lr=0.5' not in open(dumped).read()  # A's config stays
    finally:
        run_a.kill()
        run_a.wait()


def test_case6_rerun_without_resume_keeps_the_checkpoints(tiny, capsys):
    cfg, work_dir = tiny
    before = {p: digest(p) for p in glob.glob(osp.join(work_dir, '*.pth'))}
    assert before
    proc = train_in_process(capsys, cfg)  # same work dir, no --resume
    line = error_of(proc)
    assert line == (
        f'error: CheckpointsExistError: work dir {work_dir} already holds '
        'checkpoints of an earlier run (iter_2.pth, last_checkpoint); a new '
        'run would overwrite them. Pass --resume to continue that run, '
        '--overwrite to start over anyway, or another --work-dir')
    assert {p: digest(p) for p in glob.glob(osp.join(work_dir, '*.pth'))} \
        == before
    # --resume or --overwrite let the run start
    tool = train_tool()
    for argv in (['--resume'], ['--overwrite']):
        args = tool.parse_args([cfg, *argv])
        tool.refuse_overwrite(tool.build_config(args), args)


def test_case8_typo_in_a_derived_config(tiny, tmp_path, capsys):
    """``_base_ = [...]`` then ``trian_dataloader = ...`` (the unit tests
    in tests/test_reliability_utils.py also cover ``optim_wraper``)."""
    cfg, _ = tiny
    derived = tmp_path / 'derived.py'
    derived.write_text(f"_base_ = ['{cfg}']\n"
                       'trian_dataloader = dict(batch_size=1)\n')
    proc = train_in_process(capsys, str(derived), '--work-dir',
                            str(tmp_path / 'wd'))
    line = error_of(proc)
    assert line == (f'error: KeyError: {derived}: unknown top-level key '
                    "'trian_dataloader'; did you mean 'train_dataloader'? "
                    "MMEngine would silently ignore it (the value of "
                    "'train_dataloader' comes from a _base_ file)")
    assert not (tmp_path / 'wd').exists()
