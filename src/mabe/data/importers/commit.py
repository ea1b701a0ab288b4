"""Append new videos to a dataset all-or-nothing, never touching what is there.

New files are written into a staging directory beside the dataset
(``.{name}.import-<pid>-<random>``, same file system), then moved in with
``os.rename``; the csv tables are rewritten through a temporary file and
``os.replace`` as the old bytes followed by the new rows, so existing rows stay
byte-identical. The move-in runs with SIGINT/SIGTERM/SIGHUP held back and is
undone on any error, so a failed or interrupted import leaves the dataset as it
was. (Only a SIGKILL or power loss during the few renames can leave new files
without their rows; a kill while staging leaves the dataset untouched and at
most a hidden staging directory beside it.)
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from mabe.errors import MabeError
from mabe.fileio import atomic_write_text

_HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@contextlib.contextmanager
def staging_dir(root: Path) -> Iterator[Path]:
    """Yield a fresh hidden sibling of ``root`` that is removed when the block ends."""
    root.parent.mkdir(parents=True, exist_ok=True)
    stage = root.parent / f".{root.name}.import-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    except (
        AttributeError,
        OSError,
        ValueError,
    ):  # pragma: no cover - platforms without it
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def appended_csv(
    old: bytes | None, columns: Sequence[str], rows: list[dict[str, object]]
) -> str:
    r"""Text of a csv: the old bytes unchanged, then ``rows`` in the old header's column order.

    A new file gets ``columns`` as header. The old file's line ending is kept.

    Raises
    ------
    MabeError
        If the old header does not hold exactly ``columns`` (in any order).

    Examples
    --------
    >>> appended_csv(b"a,b\n1,2\n", ["b", "a"], [{"a": 3, "b": 4}])
    'a,b\n1,2\n3,4\n'
    """
    if old is None:
        header, ending, prefix = list(columns), "\n", None
    else:
        prefix = old.decode("utf-8")
        ending = "\r\n" if "\r\n" in prefix else "\n"
        first = prefix.splitlines()[0] if prefix.strip() else ""
        header = next(csv.reader(io.StringIO(first)), [])
        if sorted(header) != sorted(columns):
            raise MabeError("existing csv header does not match the expected columns")
        if prefix and not prefix.endswith(("\n", "\r")):
            prefix += ending
    body = pd.DataFrame(rows, columns=header).to_csv(
        index=False, header=prefix is None, lineterminator=ending
    )
    return body if prefix is None else prefix + body


def commit(root: Path, stage: Path, tables: dict[str, str]) -> None:
    """Move the staged files into ``root`` and write the csv ``tables`` (name -> text).

    ``root`` that does not exist yet is created by renaming the whole stage.

    Raises
    ------
    MabeError
        If a staged file already exists in ``root`` (nothing is changed then).
    """
    if not root.exists():
        for name, text in tables.items():
            atomic_write_text(stage / name, text)
        os.rename(stage, root)  # the staging_dir cleanup then finds nothing to remove
        return
    files = sorted(p.relative_to(stage) for p in stage.rglob("*") if p.is_file())
    clashes = [str(root / f) for f in files if (root / f).exists()]
    if clashes:
        raise MabeError(f"{clashes[0]}: already exists; refusing to replace it")
    old = {
        name: (root / name).read_bytes() if (root / name).exists() else None
        for name in tables
    }
    moved: list[Path] = []
    made: list[Path] = []
    with _signals_held():
        try:
            for relative in files:
                target = root / relative
                missing = [p for p in reversed(target.parents) if not p.exists()]
                for directory in missing:
                    directory.mkdir()
                    made.append(directory)
                os.rename(stage / relative, target)
                moved.append(relative)
            for name, text in tables.items():
                atomic_write_text(root / name, text)
        except BaseException:
            _rollback(root, stage, old, moved, made)
            raise


def _rollback(
    root: Path,
    stage: Path,
    old: dict[str, bytes | None],
    moved: list[Path],
    made: list[Path],
) -> None:
    for name, content in old.items():
        if content is None:
            (root / name).unlink(missing_ok=True)
        elif (root / name).read_bytes() != content:
            atomic_write_bytes(root / name, content)
    for relative in reversed(moved):
        (stage / relative).parent.mkdir(parents=True, exist_ok=True)
        os.rename(root / relative, stage / relative)
    for directory in reversed(made):
        with contextlib.suppress(OSError):
            directory.rmdir()


def atomic_write_bytes(path: Path, content: bytes) -> None:
    """Put back a file's exact old bytes (temporary sibling, then ``os.replace``)."""
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        tmp.write_bytes(content)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
