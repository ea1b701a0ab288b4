"""Checkpoints are replaced atomically; metrics.csv rows are rewritten as a whole."""

from __future__ import annotations

import signal
from pathlib import Path
from types import SimpleNamespace

import pytest

from mabe.config import load_config
from mabe.progress import set_status_handler
from mabe.training.callbacks import EpochRecorder, RunCheckpoints, StopOnInterrupt, metric_columns, read_metrics_csv
from mabe.training.module import BehaviourModule


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


def test_metric_columns() -> None:
    columns = metric_columns(["Other", "Social"])
    assert columns[:9] == [
        "epoch", "train_loss", "val_loss", "val_accuracy", "val_macro_f1",
        "val_macro_precision", "val_macro_recall", "val_ap", "lr",
    ]
    assert "val_f1/Social" in columns and "val_recall/Other" in columns and "val_ap/Social" in columns and columns[-1] == "epoch_time_sec"
    assert read_metrics_csv(Path("missing.csv")) == []


def _module(classes: list[str], lr: float) -> BehaviourModule:
    cfg = load_config(None, ["conv_channels=[4]", "lstm_hidden=4", "lstm_layers=1", "model_type=conv_bilstm"])
    module = BehaviourModule(cfg.to_dict(), 6, 6, classes, {}, None)
    module.current_lr = lambda: lr  # type: ignore[method-assign]  # no optimiser without a trainer
    return module


def _epoch(recorder: EpochRecorder, module: BehaviourModule, epoch: int, f1: float) -> None:
    name = module.class_names[0]
    module.train_loss_epoch, module.val_loss_epoch = 0.5 / epoch, float("nan")
    module.val_metrics = {"accuracy": 0.75, "macro_f1": f1, f"f1/{name}": f1, f"precision/{name}": 1.0}
    trainer = SimpleNamespace(current_epoch=epoch - 1, max_epochs=3, is_global_zero=True)
    recorder.on_train_epoch_start(trainer, module)  # type: ignore[arg-type]
    recorder.on_train_epoch_end(trainer, module)  # type: ignore[arg-type]


def test_metrics_csv_round_trip(tmp_path: Path) -> None:
    """The real writer quotes a class name holding a quote, a comma and a newline; read_metrics_csv reads it back."""
    odd = 'a"b,c\nd'
    classes = [odd, "plain"]
    path = tmp_path / "metrics.csv"
    lines: list[str] = []
    previous = set_status_handler(lines.append)
    try:
        module = _module(classes, 1e-3)
        _epoch(EpochRecorder(path, classes), module, 1, 0.25)
        # resumed: the rows come back from the file, the next epoch is appended after them
        resumed = EpochRecorder(path, classes, rows=read_metrics_csv(path))
        _epoch(resumed, module, 2, 0.5)
    finally:
        set_status_handler(previous)
    rows = read_metrics_csv(path)
    assert list(rows[0]) == metric_columns(classes)
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert [r[f"val_f1/{odd}"] for r in rows] == ["0.25", "0.5"]
    assert [r[f"val_precision/{odd}"] for r in rows] == ["1", "1"]
    assert [r["val_loss"] for r in rows] == ["nan", "nan"] and rows[1]["train_loss"] == "0.25"
    assert rows[0]["val_f1/plain"] == "" and rows[0]["lr"] == "0.001"
    assert len(lines) == 2 and lines[0].startswith("epoch 1/3  train_loss 0.5  val_loss nan  val_macro_f1 0.25")


def test_ctrl_c_asks_to_stop_and_says_so() -> None:
    lines: list[str] = []
    previous = set_status_handler(lines.append)
    stopper = StopOnInterrupt()
    try:
        with stopper.on_sigint():
            signal.raise_signal(signal.SIGINT)
    finally:
        set_status_handler(previous)
    assert stopper.requested
    assert lines == ["stopping after this batch (press Ctrl-C again to stop at once)"]


def test_metrics_csv_of_an_older_run_without_val_ap_resumes(tmp_path: Path) -> None:
    """A run written before val_ap existed resumes: its rows keep their values, val_ap is empty for them."""
    classes = ["Other", "Social"]
    old_columns = [c for c in metric_columns(classes) if not c.startswith("val_ap")]
    assert len(old_columns) == len(metric_columns(classes)) - 3
    path = tmp_path / "metrics.csv"
    path.write_text(",".join(old_columns) + "\n" + ",".join("1" if c == "epoch" else "0.125" for c in old_columns) + "\n")
    module = _module(classes, 1e-3)
    previous = set_status_handler(lambda line: None)
    try:
        recorder = EpochRecorder(path, classes, rows=read_metrics_csv(path))
        module.val_metrics = {"macro_f1": 0.5, "ap": 0.75, "ap/Social": 0.75}
        module.train_loss_epoch = module.val_loss_epoch = 0.25
        trainer = SimpleNamespace(current_epoch=1, max_epochs=3, is_global_zero=True)
        recorder.on_train_epoch_start(trainer, module)  # type: ignore[arg-type]
        recorder.on_train_epoch_end(trainer, module)  # type: ignore[arg-type]
    finally:
        set_status_handler(previous)
    rows = read_metrics_csv(path)
    assert list(rows[0]) == metric_columns(classes)
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert rows[0]["val_macro_f1"] == "0.125" and rows[0]["val_ap"] == "" and rows[0]["val_ap/Social"] == ""
    assert rows[1]["val_ap"] == "0.75" and rows[1]["val_ap/Social"] == "0.75" and rows[1]["val_macro_f1"] == "0.5"
