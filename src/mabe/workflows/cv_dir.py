"""The run directory of a cross-fitting run (``mabe cv``, the default ``mabe train``): may it be written, and what a failed attempt leaves.

Three rules, one per situation a user meets after an attempt fails:

* **Nothing worth keeping** (no fold model finished, no out-of-fold file, no
  network checkpoint): the attempt removes what it created inside the run
  directory (the directory too, if it created it), so the same (or the
  corrected) command just runs. A directory the user made, a ``--cache-dir``
  or ``$MABE_CACHE_DIR`` and anything that was there before are never
  touched. A run killed before it had anything to keep (no chance to clean
  up) does not block either: a plan without work is a new run.
* **Work kept**: the error gets a note naming ``--resume`` (the CLI prints it
  on the same line), and ``--resume`` continues with the finished fold models.
* **The data changed since**: ``--resume`` refuses, naming the run and what
  changed, instead of mixing fold models of the old data with the new.

The data's fingerprint (:func:`data_fingerprint`) is stored in the plan
(:attr:`mabe.training.run.Run.plan_path`) under ``"data"``: the SHA-256 of
``train.csv`` and the size of every labelled training video's tracking and
annotation file (paths relative to the dataset, so a moved or copied dataset
still matches). Sizes, not modification times: copying a dataset changes
those, and hashing gigabytes of tracking would cost minutes per resume.
``test.csv`` is left out: training never reads it. A plan written before
fingerprints existed resumes unchecked, with a note.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mabe.data.io import MabeDataset
from mabe.data.schema import metadata_path
from mabe.data.types import VideoMeta
from mabe.errors import MabeError
from mabe.progress import status
from mabe.training.feature_cache import CACHE_ENV
from mabe.training.run import FEATURE_CACHE_DIR, Run
from mabe.workflows.ensemble import MEMBERS_DIR
from mabe.workflows.oof import OOF_DIR

DATA_KEY = "data"
"""Key of the plan holding the data's fingerprint."""


def data_fingerprint(dataset: MabeDataset, metas: Sequence[VideoMeta]) -> dict[str, Any]:
    """Return what identifies the training data of a run: ``train.csv``'s hash and each video file's size.

    ``{"train_csv_sha256": hex, "files": {relative path: size in bytes, or None if absent}}``
    over the tracking and annotation file of every video in ``metas``.
    """
    csv = metadata_path(dataset.root, "train")
    files: dict[str, int | None] = {}
    for meta in metas:
        for path in (dataset.tracking_path(meta), dataset.annotation_path(meta)):
            files[path.relative_to(dataset.root).as_posix()] = path.stat().st_size if path.is_file() else None
    return {"train_csv_sha256": hashlib.sha256(csv.read_bytes()).hexdigest(), "files": dict(sorted(files.items()))}


def data_change(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Say in a few words how ``new`` differs from ``old`` (``None``: the same data).

    Examples
    --------
    >>> a = {"train_csv_sha256": "x", "files": {"t/1.parquet": 10, "a/1.parquet": 5}}
    >>> data_change(a, a) is None
    True
    >>> data_change(a, {**a, "train_csv_sha256": "y"})
    'train.csv differs'
    >>> data_change(a, {**a, "files": {"t/1.parquet": 11, "a/1.parquet": 5}})
    't/1.parquet has another size'
    >>> data_change(a, {**a, "files": {"t/1.parquet": 10}})
    'a/1.parquet is gone'
    """
    if old.get("train_csv_sha256") != new.get("train_csv_sha256"):
        return "train.csv differs"
    before, after = old.get("files", {}), new.get("files", {})
    for name in sorted(set(before) | set(after)):
        was, now = before.get(name), after.get(name)
        if was is not None and now is None:
            return f"{name} is gone"
        if was is None and now is not None:
            return f"{name} is new"
        if was != now:
            return f"{name} has another size"
    return None


def fold_dirs(out: Path) -> list[Path]:
    """Return every fold model's directory of the run (``members/<name>/fold<k>``)."""
    members = out / MEMBERS_DIR
    return sorted(p for p in members.glob("*/fold*") if p.is_dir()) if members.is_dir() else []


def finished_fold_models(out: Path) -> int:
    """Count the fold models of the run that finished (a resumed run skips them)."""
    return sum(Run(d).summary_path.is_file() for d in fold_dirs(out))


def has_work(out: Path) -> bool:
    """Tell whether the run holds anything worth resuming: a finished fold model, a network checkpoint or an out-of-fold file."""
    if finished_fold_models(out) or any((out / OOF_DIR).glob("*/*.npz")):
        return True
    for fold in fold_dirs(out):
        try:
            if any(Run(fold).checkpoint_dir.glob("*.ckpt")):
                return True
        except MabeError:  # an unreadable run.json: keep what is there
            return True
    return False


def user_cache_dir(cache_dir: Path | str | None) -> Path | None:
    """Return the feature cache the user chose (``--cache-dir``, else ``$MABE_CACHE_DIR``); ``None``: the run's own."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else None


def _kept_entries(out: Path, cache_dir: Path | None) -> set[str]:
    """Names in ``out`` that never make it a run: the run's own feature cache and a user's cache inside it."""
    names = {FEATURE_CACHE_DIR}
    if cache_dir is not None:
        inside = cache_dir.resolve()
        root = out.resolve()
        if inside.is_relative_to(root) and inside != root:
            names.add(inside.relative_to(root).parts[0])
    return names


def check_run_dir(out: Path, plan: dict[str, Any], resume: bool, cache_dir: Path | str | None = None) -> bool:
    """Refuse what must not be written into; return True if the run resumes work already done.

    A directory that is absent, empty, holds only a feature cache, or holds the
    plan of an attempt that kept nothing is a new run (False).

    Raises
    ------
    MabeError
        For a finished run, a directory that is not a mabe run, an unfinished
        run on other data, an unfinished run without ``resume``, one with
        other folds or settings, or ``resume`` where there is no run (as a
        single network's ``--resume`` refuses).
    """
    nothing = f"{out}: no cross-fitting run there, nothing to resume; check the path or drop --resume"
    if not out.exists():
        if resume:
            raise MabeError(nothing)
        return False
    if not out.is_dir():
        raise MabeError(f"{out}: exists and is not a directory; choose another --out")
    run = Run(out)
    if run.summary_path.is_file():
        raise MabeError(f"{out}: already holds a finished run; choose another --out (mabe never replaces a run)")
    ignored = _kept_entries(out, user_cache_dir(cache_dir))
    if all(p.name in ignored for p in out.iterdir()):
        if resume:
            raise MabeError(nothing)
        return False
    if not run.plan_path.is_file():
        raise MabeError(f"{out}: exists and is not a mabe run directory; choose another --out")
    if not has_work(out):
        status(f"{out}: an earlier attempt kept nothing (no fold model finished); starting afresh")
        return False
    stored = json.loads(run.plan_path.read_text())
    old_data = stored.pop(DATA_KEY, None)
    new = json.loads(json.dumps(plan, default=str))
    new_data = new.pop(DATA_KEY, None)
    change = data_change(old_data, new_data) if old_data is not None and new_data is not None else None
    if change is not None:
        raise MabeError(
            f"{out}: the training data changed since this run started ({change}); resuming would mix fold models "
            "of the old data with the new: choose another --out"
        )
    if not resume:
        raise MabeError(f"{out}: holds an unfinished cross-fitting run; pass --resume to continue it or choose another --out")
    if stored != new:
        raise MabeError(f"{out}: holds a cross-fitting run with other folds or settings; choose another --out")
    if old_data is None:
        status(f"{out}: the run records no fingerprint of its data (an older mabe); resuming without checking the data")
    return True


class Attempt:
    """What one attempt at a run creates; on failure, remove it if nothing is worth keeping, else say ``--resume``.

    Use as a context manager around everything that writes into ``out``.

    Parameters
    ----------
    out
        The run directory (its state is read on entering).
    cache_dir
        The user's feature cache (``--cache-dir``), never removed.
    """

    def __init__(self, out: Path, cache_dir: Path | str | None = None) -> None:
        self.out = out
        self.cache_dir = user_cache_dir(cache_dir)
        self.existed = out.is_dir()
        self.before: set[str] = {p.name for p in out.iterdir()} if self.existed else set()

    def __enter__(self) -> Attempt:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None or not self.out.is_dir():
            return
        if has_work(self.out):
            done = finished_fold_models(self.out)
            exc.add_note(
                f"{self.out} keeps its work ({done} finished fold model{'s' if done != 1 else ''}); "
                "once the cause is fixed, the same command with --resume continues it"
            )
            return
        self.discard()

    def discard(self) -> None:
        """Remove what this attempt created in the run directory (and the directory, if it made it)."""
        keep = self.before | (_kept_entries(self.out, self.cache_dir) - {FEATURE_CACHE_DIR})
        for path in self.out.iterdir():
            if path.name in keep:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if not self.existed and not any(self.out.iterdir()):
            self.out.rmdir()
