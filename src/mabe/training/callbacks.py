"""Callbacks writing a run: per-epoch ``metrics.csv`` and log line, atomic checkpoints.

Both run in ``on_train_epoch_end`` (after validation) in list order: the
metrics row is written first, then the checkpoints, so a run killed between
the two repeats no row on ``--resume`` (rows past the checkpoint's epoch are
dropped when resuming).

Also here: :class:`RandomStates` (every random state saved in and restored
from a checkpoint, so a resumed run is the uninterrupted one),
:class:`StopOnInterrupt` (Ctrl-C stops at the next batch boundary) and
:class:`EpochBar` (the progress bar counts epochs from 1, like the log lines).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, RichProgressBar

from mabe.fileio import atomic_write_text
from mabe.progress import status
from mabe.training.module import MONITOR, BehaviourModule
from mabe.training.run import CheckpointIndex, TrainingInterrupted, record_checkpoint

BASE_COLUMNS: tuple[str, ...] = (
    "epoch",
    "train_loss",
    "val_loss",
    "val_accuracy",
    "val_macro_f1",
    "val_macro_precision",
    "val_macro_recall",
    "val_ap",
    "lr",
)


def metric_columns(class_names: list[str]) -> list[str]:
    """Columns of ``metrics.csv``: :data:`BASE_COLUMNS` then ``val_{f1,precision,recall,ap}/<class>``.

    ``val_ap`` (macro average precision, threshold-free) and ``val_ap/<class>`` were added on
    2026-11-30: rows of older runs leave them empty, and such runs still resume.
    """
    per_class = [f"val_{kind}/{name}" for name in class_names for kind in ("f1", "precision", "recall", "ap")]
    return [*BASE_COLUMNS, *per_class, "epoch_time_sec"]


def read_metrics_csv(path: Path) -> list[dict[str, str]]:
    """Rows of an existing ``metrics.csv`` (``[]`` if absent)."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6g}"
    return str(value)


class EpochRecorder(Callback):
    """Append one row per epoch to ``metrics.csv`` and report a one-line summary (:func:`mabe.progress.status`).

    Parameters
    ----------
    path
        The CSV file (rewritten atomically each epoch).
    class_names
        Classes (seed4) or actions, for the per-class columns.
    rows
        Rows already recorded (a resumed run keeps those up to its checkpoint).
    """

    def __init__(self, path: Path, class_names: list[str], rows: list[dict[str, Any]] | None = None) -> None:
        self.path = Path(path)
        self.columns = metric_columns(class_names)
        self.rows: list[dict[str, Any]] = list(rows or [])
        self._epoch_start = time.perf_counter()

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Start timing the epoch."""
        self._epoch_start = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Record the epoch's row, rewrite ``metrics.csv`` and report the epoch line (rank 0)."""
        assert isinstance(pl_module, BehaviourModule)
        row: dict[str, Any] = {
            "epoch": trainer.current_epoch + 1,
            "train_loss": pl_module.train_loss_epoch,
            "val_loss": pl_module.val_loss_epoch,
            "lr": pl_module.current_lr(),
            "epoch_time_sec": round(time.perf_counter() - self._epoch_start, 3),
        }
        row |= {f"val_{k}": v for k, v in pl_module.val_metrics.items()}
        self.rows = [r for r in self.rows if int(r["epoch"]) < row["epoch"]] + [row]
        if trainer.is_global_zero:
            self._write()
            status(self._line(row, trainer.max_epochs))

    def _write(self) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_fmt(row.get(c, "")) for c in self.columns])
        atomic_write_text(self.path, buffer.getvalue())

    @staticmethod
    def _line(row: dict[str, Any], max_epochs: int | None) -> str:
        keys = ("train_loss", "val_loss", "val_macro_f1", "val_ap", "val_accuracy")
        parts = [f"epoch {row['epoch']}/{max_epochs}"]
        parts += [f"{k} {_fmt(float(row.get(k, float('nan'))))}" for k in keys]
        parts += [f"lr {float(row['lr']):.2e}", f"{row['epoch_time_sec']:.1f}s"]
        return "  ".join(parts)

    def state_dict(self) -> dict[str, Any]:
        """Return the rows, saved in checkpoints."""
        return {"rows": self.rows}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the rows from a checkpoint when ``metrics.csv`` gave none."""
        # rows come from metrics.csv (passed in); the checkpoint copy is a fallback
        if not self.rows:
            self.rows = list(state_dict.get("rows", []))


class RunCheckpoints(Callback):
    """``last.ckpt`` every epoch, ``epoch=NNN.ckpt`` every ``save_freq``, ``best.ckpt`` on improvement.

    Files are written to a temporary name and moved into place with
    ``os.replace``, so a killed run never leaves a truncated checkpoint.
    ``best`` is the highest validation macro-F1 (:data:`~mabe.training.module.MONITOR`).
    """

    def __init__(self, directory: Path, save_freq: int, index: CheckpointIndex | None = None) -> None:
        self.directory = Path(directory)
        self.save_freq = int(save_freq)
        self.index = index
        self.best_score = -math.inf
        self.best_epoch = 0
        self._score = math.nan
        self._epoch = 0

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Save ``last.ckpt``, the periodic and the best checkpoint of the epoch."""
        epoch = trainer.current_epoch + 1
        score = float(trainer.callback_metrics.get(MONITOR, float("nan")))
        improved = not math.isnan(score) and score > self.best_score
        if improved:
            self.best_score, self.best_epoch = score, epoch
        if isinstance(pl_module, BehaviourModule):
            pl_module.ckpt_info = {"epoch": epoch, "metric": score, "monitor": "val_macro_f1"}
        self._epoch, self._score = epoch, score
        if epoch % self.save_freq == 0:
            self.save(trainer, f"epoch={epoch:03d}.ckpt")
        if improved:
            self.save(trainer, "best.ckpt")
        self.save(trainer, "last.ckpt")

    def save(self, trainer: L.Trainer, name: str) -> Path:
        """Atomically write the trainer's checkpoint as ``directory/name``."""
        final = self.directory / name
        tmp = self.directory / f".{name}.tmp"
        if trainer.is_global_zero:
            self.directory.mkdir(parents=True, exist_ok=True)
        trainer.save_checkpoint(tmp, weights_only=False)  # collective: rank 0 writes, all ranks wait
        if trainer.is_global_zero:
            os.replace(tmp, final)
            if self.index is not None:
                record_checkpoint(self.directory, self.index, final, self._epoch, self._score)
        trainer.strategy.barrier("mabe.save_checkpoint")
        return final

    def state_dict(self) -> dict[str, Any]:
        """Return the best score so far, saved in checkpoints."""
        return {"best_score": self.best_score, "best_epoch": self.best_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the best score from a checkpoint."""
        self.best_score = float(state_dict.get("best_score", -math.inf))
        self.best_epoch = int(state_dict.get("best_epoch", 0))


def _random_states() -> dict[str, Any]:
    """Every global random state, as types a ``weights_only`` checkpoint load accepts."""
    state = np.random.get_state(legacy=True)
    assert isinstance(state, tuple)  # legacy=True: (name, keys, pos, has_gauss, gauss)
    name, keys, pos, has_gauss, gauss = state
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {"name": str(name), "keys": keys.tolist(), "pos": int(pos), "has_gauss": int(has_gauss), "gauss": float(gauss)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_random_states(states: dict[str, Any]) -> None:
    random.setstate(states["python"])
    n = states["numpy"]
    np.random.set_state((n["name"], np.asarray(n["keys"], dtype=np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


class RandomStates(Callback):
    """Save every global random state in each checkpoint and restore it on resume.

    The python, numpy and torch (and CUDA) generators drive weight noise,
    window jitter and dropout; the epoch-subset sampler is seeded by
    ``(seed, epoch)``. States are captured when a checkpoint is written (at
    the end of an epoch) and put back as soon as the checkpoint is loaded,
    before Lightning fetches the first batch of the next epoch, so the resumed
    epochs draw what the uninterrupted ones would.
    """

    KEY = "mabe_random_states"

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        """Store every random state in the checkpoint."""
        checkpoint[self.KEY] = _random_states()

    def on_load_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        """Restore the random states saved in the checkpoint."""
        if self.KEY in checkpoint:
            _set_random_states(checkpoint[self.KEY])


class StopOnInterrupt(Callback):
    """Turn a requested stop (:meth:`request`, called from a SIGINT handler) into :class:`TrainingInterrupted`.

    The exception is raised at the next batch boundary, never inside a
    checkpoint write, so the last complete epoch's ``last.ckpt`` stays the
    resumable state.
    """

    def __init__(self) -> None:
        self.requested = False

    def request(self, *_: Any) -> None:
        """Ask training to stop (signal-handler signature)."""
        self.requested = True

    @contextlib.contextmanager
    def on_sigint(self) -> Iterator[StopOnInterrupt]:
        """Route SIGINT (Ctrl-C) to :meth:`request` inside the block; a second Ctrl-C interrupts at once."""

        def handler(signum: int, frame: Any) -> None:
            if self.requested:
                raise KeyboardInterrupt
            self.request()
            status("stopping after this batch (press Ctrl-C again to stop at once)")

        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, handler) if main else None
        try:
            yield self
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def _check(self, trainer: L.Trainer) -> None:
        if self.requested:
            raise TrainingInterrupted("training interrupted", epochs_saved=int(trainer.current_epoch))

    def on_train_batch_start(self, trainer: L.Trainer, *_: Any) -> None:
        """Stop before the batch if a stop was requested."""
        self._check(trainer)

    def on_validation_batch_start(self, trainer: L.Trainer, *_: Any) -> None:
        """Stop before the validation batch if a stop was requested."""
        self._check(trainer)

    def on_train_epoch_start(self, trainer: L.Trainer, *_: Any) -> None:
        """Stop before the epoch if a stop was requested."""
        self._check(trainer)


class EpochBar(RichProgressBar):
    """Lightning's (rich) progress bar, counting epochs from 1 like the log lines (``Epoch 1/5``)."""

    def _get_train_description(self, current_epoch: int) -> str:
        label = epoch_label(current_epoch, self.trainer.max_epochs)
        return f"{label:{len(self.validation_description)}}"  # padded as Lightning does, against flicker


def epoch_label(current_epoch: int, max_epochs: int | None) -> str:
    """``"Epoch 1/5"`` for Lightning's 0-based ``current_epoch`` 0.

    Examples
    --------
    >>> epoch_label(0, 5)
    'Epoch 1/5'
    """
    return f"Epoch {current_epoch + 1}/{max_epochs}"
