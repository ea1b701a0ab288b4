"""A run directory and everything known about it, in one place.

A single-model ("network") run directory holds::

    RUN/config.yaml      the resolved config, as the user wrote it (checkpoint_dir unchanged)
    RUN/run.json         :class:`RunRecord`: run id, kind and the resolved checkpoint folder
    RUN/checkpoints/     (or wherever run.json says) *.ckpt and index.json
    RUN/metrics.csv      one row per epoch
    RUN/summary.json     :class:`RunSummary`, written when training finishes
    RUN/decode.json      tuned decoding parameters
    RUN/feature_cache/   per-video features (when no other cache is given); not part of the
                         run's state: a directory holding only it is a new run

An ensemble run (:mod:`mabe.workflows.ensemble`) holds ``cv_plan.json``,
``ensemble.json``, ``cv.json``, ``decode.json`` and ``summary.json``; their
paths are here too, their content is owned by the workflow that writes them.

Where the checkpoints go (``checkpoint_dir`` of the config):

* relative: inside the run (``RUN/checkpoints`` by default); a relative path
  leaving the run is an error;
* absolute: a subfolder per run, ``<checkpoint_dir>/<run name>-<run id>``, so
  two runs sharing a config never share a folder.

The folder actually used is recorded in ``run.json``; ``mabe checkpoints``,
``evaluate``, ``predict`` and ``--resume`` follow it. ``index.json`` in that
folder names the run owning it (a folder holding checkpoints of another run is
never written into) and the epoch and metric of every checkpoint, so listing
checkpoints reads neither torch nor the checkpoints.

This module imports neither torch nor lightning.

Examples
--------
>>> import tempfile
>>> run = Run(tempfile.mkdtemp())
>>> run.state(), run.kind
('new', 'network')
"""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from mabe.config import Config, load_config
from mabe.errors import MabeError
from mabe.fileio import atomic_write_text
from mabe.training.run_records import (
    CheckpointEntry,
    CheckpointIndex,
    RunRecord,
    RunSummary,
    SummaryData,
    TrainingInterrupted,
)
from mabe.training.runfiles import read_checkpoint_info

__all__ = [
    "CheckpointEntry",
    "CheckpointIndex",
    "Run",
    "RunRecord",
    "RunSummary",
    "SummaryData",
    "TrainingInterrupted",
    "record_checkpoint",
    "write_index",
]

RECORD_FILE = "run.json"
INDEX_FILE = "index.json"
DEFAULT_CHECKPOINT_DIR = "checkpoints"
FEATURE_CACHE_DIR = "feature_cache"
PLAN_FILE = "cv_plan.json"


def _read_model(path: Path, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise MabeError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ())) or "file"
        raise MabeError(f"{path}: not a valid {model.__name__} ({where}: {err.get('msg')})") from None


class Run:
    """A run directory: its files, record, config, summary and checkpoints.

    Parameters
    ----------
    path
        The run directory (need not exist yet).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    # -- files ---------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        """The resolved config (``config.yaml``)."""
        return self.path / "config.yaml"

    @property
    def record_path(self) -> Path:
        """The run's record (``run.json``)."""
        return self.path / RECORD_FILE

    @property
    def metrics_path(self) -> Path:
        """One row per epoch (``metrics.csv``)."""
        return self.path / "metrics.csv"

    @property
    def summary_path(self) -> Path:
        """The finished run's summary (``summary.json``)."""
        return self.path / "summary.json"

    @property
    def decode_path(self) -> Path:
        """Tuned decoding parameters (``decode.json``)."""
        return self.path / "decode.json"

    @property
    def feature_cache_dir(self) -> Path:
        """The run's own feature cache (used when no other cache directory is given)."""
        return self.path / FEATURE_CACHE_DIR

    @property
    def ensemble_path(self) -> Path:
        """The ensemble record (``ensemble.json``, :mod:`mabe.workflows.ensemble`) of an ensemble run."""
        return self.path / "ensemble.json"

    @property
    def plan_path(self) -> Path:
        """The plan of a cross-fitting run (``cv_plan.json``, :mod:`mabe.workflows.cv`): folds, members, data fingerprint."""
        return self.path / PLAN_FILE

    @property
    def cv_path(self) -> Path:
        """Cross-validation scores (``cv.json``, :mod:`mabe.workflows.cv`) of an ensemble run."""
        return self.path / "cv.json"

    @property
    def kind(self) -> str:
        """``"ensemble"`` if the run holds ``ensemble.json``, else ``"network"``."""
        if self.ensemble_path.is_file():
            return "ensemble"
        record = self.record()
        return record.kind if record is not None else "network"

    # -- state ---------------------------------------------------------------------------------
    def state(self) -> str:
        """Tell the run's state: ``"new"``, ``"finished"``, ``"unfinished"`` or ``"foreign"``.

        ``"new"``: absent, empty, or holding only the feature cache (of an
        attempt killed while preparing its videos); ``"foreign"``: holding
        files that are not a mabe run's.
        """
        path = self.path
        if not path.exists() or (path.is_dir() and all(p.name == FEATURE_CACHE_DIR for p in path.iterdir())):
            return "new"
        if not path.is_dir():
            return "foreign"
        if self.summary_path.is_file():
            return "finished"
        return "unfinished" if self.config_path.is_file() or self.record_path.is_file() else "foreign"

    def require(self) -> Run:
        """Return this run if the directory is one; else raise a :class:`MabeError` naming it."""
        if not self.path.is_dir():
            raise MabeError(f"{self.path}: run directory not found")
        if not (self.config_path.is_file() or self.record_path.is_file() or self.summary_path.is_file() or self.kind == "ensemble"):
            raise MabeError(f"{self.path}: not a mabe run directory (no config.yaml)")
        return self

    def record(self) -> RunRecord | None:
        """Read ``run.json``; ``None`` for a run written before it existed."""
        if not self.record_path.is_file():
            return None
        return _read_model(self.record_path, RunRecord)

    def config(self) -> Config:
        """Load the run's :class:`~mabe.config.Config` (from ``config.yaml``)."""
        if not self.config_path.is_file():
            raise MabeError(f"{self.path}: not a mabe run directory (no config.yaml)")
        return load_config(self.config_path)

    def summary(self) -> RunSummary:
        """Read the finished run's :class:`RunSummary`."""
        if not self.summary_path.is_file():
            raise MabeError(f"{self.path}: no summary.json; is this a finished mabe run?")
        return _read_model(self.summary_path, RunSummary)

    def write_summary(self, summary: RunSummary) -> Path:
        """Write ``summary.json`` atomically."""
        return atomic_write_text(self.summary_path, summary.to_json())

    # -- checkpoints ---------------------------------------------------------------------------
    @property
    def checkpoint_dir(self) -> Path:
        """The folder holding this run's checkpoints (recorded, or from the config of an older run)."""
        record = self.record()
        if record is not None:
            folder = Path(record.checkpoint_dir)
        else:
            folder = Path(_config_value(self.config_path, "checkpoint_dir") or DEFAULT_CHECKPOINT_DIR)
        return folder if folder.is_absolute() else self.path / folder

    def plan_checkpoint_dir(self, configured: str, run_id: str) -> Path:
        """Where a new run with ``checkpoint_dir=configured`` keeps its checkpoints.

        Raises
        ------
        MabeError
            If a relative ``configured`` leaves the run directory.
        """
        folder = Path(configured)
        if folder.is_absolute():
            return folder / f"{self.path.resolve().name}-{run_id[:8]}"
        inside = (self.path / folder).resolve()
        if not inside.is_relative_to(self.path.resolve()):
            raise MabeError(
                f"checkpoint_dir {configured!r}: a relative checkpoint_dir must stay inside the run "
                f"directory {self.path}; use a path inside it or an absolute one"
            )
        return self.path / folder

    def index(self) -> CheckpointIndex | None:
        """``index.json`` of the checkpoint folder (``None`` if absent or unreadable)."""
        path = self.checkpoint_dir / INDEX_FILE
        try:
            return CheckpointIndex.model_validate_json(path.read_bytes())
        except (OSError, ValidationError):
            return None

    def checkpoints(self) -> list[dict[str, Any]]:
        """``[{name, epoch, metric, size_bytes}]`` by epoch then name, from ``index.json``.

        A checkpoint missing from the index (or changed since) is read with
        torch, lazily; a run written by mabe never needs that.
        """
        directory = self.checkpoint_dir
        if not directory.is_dir():
            return []
        index = self.index()
        known = index.checkpoints if index is not None else {}
        rows = []
        for path in sorted(directory.glob("*.ckpt")):
            st = path.stat()
            entry = known.get(path.name)
            if entry is None or entry.size_bytes != st.st_size or entry.mtime_ns != st.st_mtime_ns:
                epoch, metric = _read_epoch_metric(path)
            else:
                epoch, metric = entry.epoch, entry.metric
            rows.append(
                {
                    "name": path.name,
                    "epoch": int(epoch),
                    "metric": math.nan if metric is None else float(metric),
                    "size_bytes": st.st_size,
                }
            )
        return sorted(rows, key=lambda r: (r["epoch"], r["name"]))

    def checkpoint(self, which: str = "best") -> Path:
        """Path of ``"best"``, ``"last"``, an epoch number or a file name of the run.

        Raises
        ------
        MabeError
            If the run or the checkpoint does not exist.
        """
        self.require()
        directory = self.checkpoint_dir
        text = str(which)
        if text.isdigit():
            name = f"epoch={int(text):03d}.ckpt"
        else:
            name = text if text.endswith(".ckpt") else f"{text}.ckpt"
        path = Path(name) if Path(name).is_absolute() else directory / name
        if not path.is_file() and text == "best":
            path = directory / "last.ckpt"  # a run without validation improvement yet
        if not path.is_file():
            available = sorted(p.name for p in directory.glob("*.ckpt")) if directory.is_dir() else []
            hint = f"; available: {', '.join(available)}" if available else "; the run has no checkpoints"
            raise MabeError(f"{path}: checkpoint not found{hint}")
        return path

    # -- creating ------------------------------------------------------------------------------
    def claim(self, configured: str, created_by: str = "") -> RunRecord:
        """Record a new run (``run.json``) and take its checkpoint folder.

        Keeps an existing record (a resumed run keeps its folder). The folder
        must be empty, absent, or already this run's.

        Raises
        ------
        MabeError
            If the folder holds checkpoints of another run (or of no known run).
        """
        record = self.record()
        if record is None:
            legacy = self.config_path.is_file() and any(self.checkpoint_dir.glob("*.ckpt"))
            run_id = uuid.uuid4().hex
            folder = self.checkpoint_dir if legacy else self.plan_checkpoint_dir(configured, run_id)
            check_folder_is_free(folder, run_id if not legacy else None, configured)
            # a folder inside the run is recorded relative to it, so a copied, moved or
            # shared run reads its own checkpoints, never those at the path it was trained in
            shown = folder.relative_to(self.path) if folder.is_relative_to(self.path) else folder
            record = RunRecord(run_id=run_id, checkpoint_dir=str(shown), created_by=created_by)
        else:
            check_folder_is_free(self.checkpoint_dir, record.run_id, configured)
        # the record first, then the folder's ownership: a kill in between leaves a restartable run
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.record_path, record.model_dump_json(indent=2) + "\n")
        folder = self.checkpoint_dir
        folder.mkdir(parents=True, exist_ok=True)
        if self.index() is None:
            write_index(folder, CheckpointIndex(run_id=record.run_id, run_dir=str(self.path.resolve())))
        return record

    def discard_untrained(self) -> None:
        """Remove what a run that never completed an epoch wrote (its record, config, metrics, empty folder).

        Never touches a checkpoint: a folder holding one is left as it is.
        """
        try:
            folder = self.checkpoint_dir
        except MabeError:
            folder = None
        if folder is not None and folder.is_dir() and not any(folder.glob("*.ckpt")):
            (folder / INDEX_FILE).unlink(missing_ok=True)
            for stale in folder.glob(".*.tmp"):
                stale.unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()
        for path in (self.config_path, self.record_path, self.metrics_path):
            path.unlink(missing_ok=True)


def check_folder_is_free(folder: Path, run_id: str | None, configured: str) -> None:
    """Refuse a checkpoint folder holding checkpoints that are not run ``run_id``'s."""
    if not folder.is_dir():
        return
    try:
        index = CheckpointIndex.model_validate_json((folder / INDEX_FILE).read_bytes())
    except (OSError, ValidationError):
        index = None
    if index is not None and run_id is not None and index.run_id == run_id:
        return
    if index is None and run_id is None:
        return  # an older run's own folder (adopted by claim)
    if index is not None or any(folder.glob("*.ckpt")):
        owner = f" of the run {index.run_dir}" if index is not None else ""
        raise MabeError(
            f"{folder}: holds checkpoints{owner}; checkpoint_dir {configured!r} would mix two runs, "
            "choose another checkpoint_dir"
        )


def write_index(folder: Path, index: CheckpointIndex) -> None:
    """Write ``index.json`` atomically."""
    atomic_write_text(folder / INDEX_FILE, index.model_dump_json(indent=1) + "\n")


def record_checkpoint(folder: Path, index: CheckpointIndex, path: Path, epoch: int, metric: float) -> None:
    """Add (or refresh) ``path`` in the folder's ``index.json``."""
    st = path.stat()
    value = None if not math.isfinite(metric) else float(metric)
    index.checkpoints[path.name] = CheckpointEntry(
        epoch=int(epoch), metric=value, size_bytes=st.st_size, mtime_ns=st.st_mtime_ns
    )
    write_index(folder, index)


def _read_epoch_metric(path: Path) -> tuple[int, float | None]:
    info = read_checkpoint_info(path)
    return int(info.get("epoch", 0)), info.get("metric")


def _config_value(path: Path, key: str) -> Any:
    """Read one key of a YAML config, without validating the whole config."""
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data.get(key) if isinstance(data, dict) else None

