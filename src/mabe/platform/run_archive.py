"""A run as one archive: packed where it was trained (a Modal volume), unpacked into a new local directory.

``pack_run`` takes what prediction needs (the files :func:`mabe.platform.bundle.copy_run`
keeps: configs, records, decoding, one checkpoint per model, no out-of-fold files), or the
whole run with ``everything``. ``unpack_run`` writes it into a directory that must not exist
yet (or be empty), through a staging folder renamed into place, so a failed or interrupted
fetch leaves nothing; members that would land outside it, links and devices are refused.

Examples
--------
>>> import tempfile, pathlib
>>> run = pathlib.Path(tempfile.mkdtemp()) / "r1"
>>> (run / "checkpoints").mkdir(parents=True)
>>> for name in ("config.yaml", "summary.json", "decode.json", "checkpoints/best.ckpt", "checkpoints/last.ckpt"):
...     _ = (run / name).write_text(name)
>>> local = unpack_run(pack_run(run), run.parent / "copy")
>>> sorted(str(p.relative_to(local)) for p in local.rglob("*") if p.is_file())
['checkpoints/best.ckpt', 'config.yaml', 'decode.json', 'summary.json']
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from mabe.errors import DataError, MabeError
from mabe.fileio import current_umask
from mabe.platform.bundle import copy_run


def pack_run(run: str | Path, everything: bool = False) -> bytes:
    """Return ``run`` as a gzipped tar: what prediction needs, or every file with ``everything``.

    Raises
    ------
    MabeError
        If ``run`` is not a finished run (see :func:`~mabe.platform.bundle.copy_run`), or is
        missing with ``everything``.
    """
    run = Path(run)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        if everything:
            if not run.is_dir():
                raise MabeError(f"{run}: run directory not found")
            source = run
        else:
            source = Path(tmp) / "run"
            copy_run(run, source)
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for path in sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink()):
                archive.add(path, arcname=path.relative_to(source).as_posix(), recursive=False)
    return buffer.getvalue()


def _safe_members(archive: tarfile.TarFile, name: str) -> list[tarfile.TarInfo]:
    members = archive.getmembers()
    for member in members:
        parts = PurePosixPath(member.name).parts
        if not (member.isfile() or member.isdir()) or member.name.startswith("/") or ".." in parts:
            raise DataError(name, f"refused: member {member.name!r} is not a plain file inside the run")
    return members


def unpack_run(archive: bytes, out: str | Path, name: str = "the fetched run") -> Path:
    """Write a :func:`pack_run` archive into the new directory ``out``; return it.

    Raises
    ------
    MabeError
        If ``out`` exists and is not an empty directory (nothing is ever replaced).
    DataError
        If the archive is unreadable or holds a member outside the run, a link or a device.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MabeError(f"{out}: already exists; choose another --out (mabe never replaces a run)")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".fetch"))
    try:
        try:
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
                tar.extractall(staging, members=_safe_members(tar, name), filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DataError(name, f"not a readable run archive ({exc})") from None
        os.chmod(staging, 0o777 & ~current_umask())  # a folder of the user's, not a private temporary
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out
