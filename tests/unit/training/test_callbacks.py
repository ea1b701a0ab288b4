"""Checkpoints are replaced atomically; metrics.csv rows are rewritten as a whole."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from mabe.fileio import atomic_write_text
from mabe.training.callbacks import RunCheckpoints, metric_columns, read_metrics_csv


class _FakeTrainer:
    is_global_zero = True

    def __init__(self, payload: bytes, fail: bool) -> None:
        self.payload, self.fail = payload, fail
        self.strategy = SimpleNamespace(barrier=lambda name=None: None)

    def save_checkpoint(self, path: Path, weights_only: bool = False) -> None:
        Path(path).write_bytes(self.payload[: len(self.payload) // 2] if self.fail else self.payload)
        if self.fail:
            raise OSError("disk full")


def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path: Path) -> None:
    saver = RunCheckpoints(tmp_path / "ckpt", save_freq=1)
    saver.save(_FakeTrainer(b"good checkpoint", fail=False), "last.ckpt")
    with pytest.raises(OSError):
        saver.save(_FakeTrainer(b"new checkpoint!!", fail=True), "last.ckpt")
    assert (tmp_path / "ckpt" / "last.ckpt").read_bytes() == b"good checkpoint"


def test_metrics_csv_round_trip(tmp_path: Path) -> None:
    columns = metric_columns(["Other", "Social"])
    assert columns[:8] == [
        "epoch", "train_loss", "val_loss", "val_accuracy", "val_macro_f1",
        "val_macro_precision", "val_macro_recall", "lr",
    ]
    assert "val_f1/Social" in columns and "val_recall/Other" in columns
    path = tmp_path / "metrics.csv"
    atomic_write_text(path, "epoch,lr\n1,0.1\n2,0.05\n")
    assert [r["epoch"] for r in read_metrics_csv(path)] == ["1", "2"]
    assert read_metrics_csv(tmp_path / "missing.csv") == []
