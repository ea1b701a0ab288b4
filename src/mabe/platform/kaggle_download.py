"""``mabe download``: fetch the competition data into a directory, resumably, never overwriting.

Files are fetched into a staging directory inside the target
(``DATA/.mabe-download``) and moved into place with ``os.replace``, so a file
in ``DATA`` is either absent or complete. A file already there with the size
Kaggle lists is not fetched again; one with another size is left alone and
reported. Afterwards the directory is checked like ``mabe validate``.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from mabe.data.validate import Problem, validate_dataset
from mabe.errors import MabeError
from mabe.platform.kaggle_client import (
    COMPETITION,
    KaggleApiClient,
    KaggleClient,
    RemoteFile,
)
from mabe.progress import track

STAGING = ".mabe-download"
"""Staging directory (inside the target) for files being fetched or unzipped."""


@dataclass
class DownloadResult:
    """What :func:`download` did.

    Attributes
    ----------
    fetched
        Files written into the target (paths relative to it).
    complete
        Files already present with Kaggle's size (not fetched again).
    kept
        ``(name, local size, Kaggle's size)`` of files present with another
        size: left as they were.
    problems
        :func:`mabe.data.validate.validate_dataset` of the target afterwards.
    bytes_fetched
        Total size of ``fetched``.
    """

    fetched: list[str] = field(default_factory=list)
    complete: list[str] = field(default_factory=list)
    kept: list[tuple[str, int, int | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    bytes_fetched: int = 0


def _safe_relative(name: str) -> PurePosixPath:
    """``name`` as a relative path that stays inside the target, or a MabeError."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise MabeError(f"Kaggle listed a file outside the dataset directory: {name!r}; not writing it")
    return path


def select(files: Sequence[RemoteFile], patterns: Sequence[str]) -> list[RemoteFile]:
    """Return the files matching any shell pattern (``fnmatch``, ``*`` also crosses ``/``); all without patterns.

    Examples
    --------
    >>> fs = [RemoteFile("train.csv", 1), RemoteFile("test_tracking/L/1.parquet", 2)]
    >>> [f.name for f in select(fs, ["test_tracking/*"])]
    ['test_tracking/L/1.parquet']
    """
    if not patterns:
        return list(files)
    return [f for f in files if any(fnmatch.fnmatchcase(f.name, p) for p in patterns)]


def _state(target: Path, remote: RemoteFile) -> str:
    """``"missing"``, ``"complete"`` (same size, or size unknown) or ``"different"``."""
    if not target.exists():
        return "missing"
    if remote.size is None or target.stat().st_size == remote.size:
        return "complete"
    return "different"


def _place(staged: Path, target: Path) -> None:
    """Move a finished staged file into place; never replaces a file that appeared meanwhile."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        staged.unlink()
        return
    os.replace(staged, target)


def _fetch_each(client: KaggleClient, out: Path, stage: Path, wanted: list[RemoteFile], result: DownloadResult) -> None:
    for remote in track(wanted, "downloading"):
        rel = _safe_relative(remote.name)
        staged = client.download_file(COMPETITION, str(rel), stage)
        if not staged.is_file():
            raise MabeError(f"{out}: Kaggle sent nothing for {remote.name}; run mabe download again to retry")
        size = staged.stat().st_size
        if remote.size is not None and size != remote.size:
            staged.unlink()
            raise MabeError(
                f"{out / rel}: received {size} bytes, Kaggle lists {remote.size}; run mabe download again to retry"
            )
        _place(staged, out / rel)
        result.fetched.append(str(rel))
        result.bytes_fetched += size


def _fetch_archive(client: KaggleClient, out: Path, stage: Path, wanted: list[RemoteFile], result: DownloadResult) -> None:
    names = {str(_safe_relative(f.name)) for f in wanted}
    archive = client.download_all(COMPETITION, stage)
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir() and str(_safe_relative(m.filename)) in names]
            for member in track(members, "unzipping"):
                rel = _safe_relative(member.filename)
                staged = stage / "unzipped" / rel
                staged.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, staged.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                _place(staged, out / rel)
                result.fetched.append(str(rel))
                result.bytes_fetched += member.file_size
    except zipfile.BadZipFile:
        archive.unlink(missing_ok=True)
        raise MabeError(f"{archive}: the downloaded archive is damaged; run mabe download again") from None
    archive.unlink(missing_ok=True)


def download(
    out: str | Path,
    patterns: Sequence[str] = (),
    client: KaggleClient | None = None,
    validate: bool = True,
) -> DownloadResult:
    """Fetch the competition files matching ``patterns`` (all without) into ``out``.

    Parameters
    ----------
    out
        Target directory (created if absent). Existing files are never replaced.
    patterns
        Shell patterns on paths inside the dataset, e.g. ``train.csv`` or
        ``train_tracking/CalMS21*/*``. With patterns, files are fetched one by
        one; without, as Kaggle's single archive (unless everything is there).
    client
        The Kaggle boundary; default :class:`KaggleApiClient` (needs credentials).
    validate
        Check ``out`` afterwards with :func:`mabe.data.validate.validate_dataset`.

    Returns
    -------
    DownloadResult

    Raises
    ------
    MabeError
        Without credentials (one line naming what to set), when Kaggle refuses,
        when no file matches, or when ``out`` is a file.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise MabeError(f"{out}: is a file; give --out a directory")
    client = client if client is not None else KaggleApiClient()
    listed = client.list_files(COMPETITION)
    chosen = select(listed, patterns)
    if not chosen:
        shown = ", ".join(patterns) if patterns else "(all)"
        raise MabeError(f"no file of {COMPETITION} matches {shown} ({len(listed)} files listed)")
    result = DownloadResult()
    wanted: list[RemoteFile] = []
    for remote in chosen:
        target = out / _safe_relative(remote.name)
        state = _state(target, remote)
        if state == "complete":
            result.complete.append(remote.name)
        elif state == "different":
            result.kept.append((remote.name, target.stat().st_size, remote.size))
        else:
            wanted.append(remote)
    if wanted:
        stage = out / STAGING
        stage.mkdir(parents=True, exist_ok=True)
        if patterns:
            _fetch_each(client, out, stage, wanted, result)
        else:
            _fetch_archive(client, out, stage, wanted, result)
        shutil.rmtree(stage / "unzipped", ignore_errors=True)
        _remove_empty_dirs(stage)
    if validate:
        result.problems = validate_dataset(out, progress=True)
    return result


def _remove_empty_dirs(root: Path) -> None:
    for directory in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with_files = any(directory.iterdir())
        if not with_files:
            directory.rmdir()
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()
