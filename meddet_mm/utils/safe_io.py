"""Writes that never leave a torn file, and JSON that stays JSON.

A file is written under a temporary name in the same folder, flushed to disk
and renamed over the target, so a full disk or a kill leaves the old file
(or none), never half a new one. ``AtomicLocalBackend`` brings the same to
MMEngine's checkpoint writing (it is the backend the guarded checkpoint hook
uses for local folders).
"""
import json
import math
import os
import os.path as osp
from contextlib import contextmanager
from typing import Any, Iterator, Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio.backends.registry_utils import backends

ATOMIC_BACKEND = 'meddet_atomic_local'


class FileWriteError(OSError):
    """A write that failed; the target file was left as it was."""


@contextmanager
def atomic_open(path: str, mode: str = 'wb') -> Iterator:
    """Open a temporary file next to ``path``; rename it to ``path`` when
    the block ends without an exception, else delete it.

    Args:
        path (str): The file to (re)write.
        mode (str): 'wb' or 'w'. Defaults to 'wb'.

    Raises:
        FileWriteError: The write failed (full disk, no permission...);
            ``path`` is unchanged and no temporary file is left. The
            original ``OSError`` is its ``__cause__``.
    """
    path = str(path)
    folder = osp.dirname(osp.abspath(path))
    tmp = osp.join(folder, f'.{osp.basename(path)}.{os.getpid()}.tmp')
    try:
        os.makedirs(folder, exist_ok=True)
        # os.open applies the umask, as open() would for the target
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if osp.exists(tmp):
            os.remove(tmp)
        error = FileWriteError(
            f'could not write {path} ([Errno {exc.errno}] {exc.strerror}); '
            'no partial file was left and an existing file of that name is '
            'unchanged')
        error.errno = exc.errno
        raise error from exc
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def to_json_value(obj: Any) -> Any:
    """``obj`` with numpy / torch numbers as Python numbers and NaN / inf
    as None (JSON has no NaN; ``json.dump`` would write a bare ``NaN``)."""
    if isinstance(obj, dict):
        return {str(k): to_json_value(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json_value(v) for v in obj]
    if hasattr(obj, 'tolist') and not isinstance(obj, (str, bytes)):
        return to_json_value(obj.tolist())  # numpy / torch values
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(obj: Any, path: str, indent: int = 2) -> None:
    """Write ``obj`` as strict JSON (NaN / inf become ``null``), atomically.
    """
    text = json.dumps(to_json_value(obj), indent=indent, allow_nan=False)
    with atomic_open(path, 'w') as f:
        f.write(text + '\n')


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend with atomic ``put``/``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        with atomic_open(str(filepath), 'wb') as f:
            f.write(obj)

    def put_text(self, obj: str, filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


if ATOMIC_BACKEND not in backends:
    register_backend(ATOMIC_BACKEND, AtomicLocalBackend)
