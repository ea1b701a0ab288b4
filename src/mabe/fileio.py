"""Safe file writing shared by every layer: a file is either the old one or the new one, never half."""

from __future__ import annotations

import glob
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary sibling file and ``os.replace``.

    A crash or kill mid-write leaves the previous file (or none) in place and
    no temporary file behind on a normal exception; a temporary file left by a
    killed process is removed by the next write of the same file. The file gets the
    permissions the umask gives a new file (``0o666 & ~umask``, e.g. 644), not
    the 600 of a temporary file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> atomic_write_text(p, "{}").read_text()
    '{}'
    """
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_with(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` by calling ``write(handle)`` on a temporary sibling, then ``os.replace`` (the one implementation).

    A reader sees the old file or the new one, never half, also after a power cut
    (the data is fsync'ed before the rename, the folder after it); the new file gets the
    permissions of a normally created one (``0o666 & ~umask``), and temporaries
    of killed writers are removed first. ``write`` streams, so a large array
    never has to be held as bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
    >>> atomic_write_with(p, lambda handle: handle.write(b"PNG")).read_bytes()
    b'PNG'
    """
    path = Path(path)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):  # POSIX: a new file's permissions, not a temporary's 600
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, path)
        _fsync_directory(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _fsync_directory(folder: Path) -> None:
    """Make a rename inside ``folder`` durable where the platform allows it (POSIX); a no-op elsewhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a directory
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (:func:`atomic_write_with`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
    >>> atomic_write_bytes(p, b"PNG").read_bytes()
    b'PNG'
    """
    return atomic_write_with(path, lambda handle: handle.write(data))


def json_safe(value: Any) -> Any:
    """Return ``value`` ready for strict JSON: NaN/inf as ``None``, numpy scalars as Python, keys as text.

    Examples
    --------
    >>> import numpy as np
    >>> json_safe({1: [np.float32(0.5), float("nan")], "n": np.int64(3)})
    {'1': [0.5, None], 'n': 3}
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def atomic_write_json(path: str | Path, value: Any) -> Path:
    """Write ``value`` as strict, indented JSON (see :func:`json_safe`) atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> atomic_write_json(p, {"score": float("nan")}).read_text().split()
    ['{', '"score":', 'null', '}']
    """
    return atomic_write_text(path, json.dumps(json_safe(value), indent=2, allow_nan=False) + "\n")


def current_umask() -> int:
    """Return the process umask (read by setting it and putting it back at once).

    Examples
    --------
    >>> 0 <= current_umask() <= 0o777
    True
    """
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temporaries(path: str | Path) -> int:
    """Delete temporaries of ``path`` left by killed writers (``.NAME.<pid>.*.tmp`` of dead pids).

    Returns how many were removed. A temporary of a live process is kept.
    """
    path = Path(path)
    removed = 0
    if not path.parent.is_dir():
        return 0
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid_text = tmp.name[len(path.name) + 2 :].split(".", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True
