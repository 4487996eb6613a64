"""Guard a training work dir: one run at a time, no silent overwrites.

``WorkDirLock`` holds an exclusive ``flock`` on ``WORK_DIR/train.lock`` for
the life of the run. The kernel drops the lock when the process ends, even
when it is killed, so a lock file left behind by a dead run is stale and is
taken over (with a log line); one held by a live run stops the second run
with the holder's pid, host and start time. ``existing_checkpoints`` lists
what a fresh run would overwrite.
"""
import errno
import fcntl
import glob
import json
import os
import os.path as osp
import socket
import sys
import time
from typing import List, Optional

LOCK_NAME = 'train.lock'
CHECKPOINT_PATTERNS = ('iter_*.pth', 'epoch_*.pth', 'best_*.pth',
                       'last_checkpoint')


class WorkDirError(OSError):
    """A work dir that cannot be used: not writable, or in use."""


class WorkDirBusyError(WorkDirError):
    """Another live run holds the work dir's lock."""


def _work_dir_error(work_dir: str, exc: OSError) -> WorkDirError:
    error = WorkDirError(
        f'work dir {work_dir} is not writable ([Errno {exc.errno}] '
        f'{exc.strerror}); pass --work-dir with a folder you can write to')
    error.errno = exc.errno
    return error


class WorkDirLock:
    """Exclusive lock on a work dir for one training run.

    Args:
        work_dir (str): The run's work dir (created if needed).
        logger (callable, optional): Called with a message when a stale lock
            is taken over. Defaults to printing to stderr.
    """

    def __init__(self, work_dir: str, logger=None) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_NAME)
        self.logger = logger or (lambda msg: print(msg, file=sys.stderr))
        self._fd: Optional[int] = None

    def _holder(self) -> dict:
        try:
            with open(self.path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def acquire(self) -> 'WorkDirLock':
        """Take the lock.

        Raises:
            WorkDirError: The work dir cannot be created or written.
            WorkDirBusyError: A live run holds the lock.
        """
        try:
            os.makedirs(self.work_dir, exist_ok=True)
        except OSError as exc:
            raise _work_dir_error(self.work_dir, exc) from None
        while True:
            existed = osp.exists(self.path)
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise _work_dir_error(self.work_dir, exc) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise _work_dir_error(self.work_dir, exc) from None
                holder = self._holder()
                raise WorkDirBusyError(
                    f'work dir {self.work_dir} is in use by another training '
                    f'(pid {holder.get("pid", "?")} on '
                    f'{holder.get("host", "?")}, started '
                    f'{holder.get("started", "?")}; lock file {self.path}); '
                    'wait for it to finish or pass another --work-dir'
                ) from None
            # the file may have been removed by its holder between open and
            # flock: then we hold a lock on a deleted file, so try again
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        stale = self._holder() if existed else {}
        if stale:
            self.logger(
                f'{self.path}: taking over a stale lock of pid '
                f'{stale.get("pid", "?")} on {stale.get("host", "?")} '
                f'(started {stale.get("started", "?")}; that run has ended)')
        info = dict(pid=os.getpid(), host=socket.gethostname(),
                    started=time.strftime('%Y-%m-%d %H:%M:%S'),
                    argv=sys.argv)
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps(info) + '\n').encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        """Remove the lock file and drop the lock."""
        if self._fd is None:
            return
        try:
            os.remove(self.path)
        except OSError:
            pass  # the kernel lock is released below either way
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> 'WorkDirLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def existing_checkpoints(folder: str) -> List[str]:
    """Checkpoint files (and ``last_checkpoint``) a new run in ``folder``
    would overwrite or mix with, sorted by name."""
    found = set()
    for pattern in CHECKPOINT_PATTERNS:
        found.update(glob.glob(osp.join(glob.escape(folder), pattern)))
    return sorted(found)


class CheckpointsExistError(WorkDirError):
    """A fresh run would overwrite an earlier run's checkpoints."""
