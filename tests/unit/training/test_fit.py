"""End-to-end training on a tiny synthetic dataset: overfit, resume, actions scheme, inference."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from lightning.pytorch.callbacks import Callback

from mabe.config import load_config
from mabe.data.io import MabeDataset
from mabe.data.types import Pose, Video
from mabe.errors import ConfigError, MabeError
from mabe.training.fit import evaluate, fit, list_checkpoints
from mabe.training.inference import load_trained, predict_video

pytestmark = pytest.mark.slow


def _rows(run: Path) -> list[dict[str, str]]:
    with (run / "metrics.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_seed4_overfits_tiny_data(tiny_data: Path, tmp_path: Path) -> None:
    overrides = [
        "epochs=40",
        "conv_channels=[32]",
        "lstm_hidden=48",
        "lstm_layers=1",
        "sequence_length=64",
        "window_stride=32",
        "batch_size=16",
        "val_fraction=0",  # validate on the training videos
        "learning_rate=5e-3",
        "use_augmentation=false",
        "class_weights=null",
        "dropout=0",
        "scheduler=none",
        "early_stopping_patience=0",
        "fps=null",
        "save_freq=100",
    ]
    cfg = load_config("v5", overrides, data_dir=tiny_data)
    summary = fit(cfg, tmp_path / "run", progress_bar=False)
    rows = _rows(tmp_path / "run")
    losses = [float(r["train_loss"]) for r in rows]
    assert len(rows) == summary["epochs_completed"] == 40
    assert np.mean(losses[-5:]) < 0.4 * losses[0]
    assert summary["best_metrics"]["val_macro_f1"] > 0.85
    assert summary["best_metrics"]["val_macro_f1"] > summary["baseline"]["macro_f1"] + 0.4
    assert summary["data"]["val_is_train"] and summary["label_scheme"] == "seed4"
    names = {c["name"] for c in list_checkpoints(tmp_path / "run")}
    assert names == {"best.ckpt", "last.ckpt"}
    assert not list((tmp_path / "run" / "checkpoints").glob("*.tmp"))


class _Crash(Callback):
    def on_train_epoch_start(self, trainer, pl_module) -> None:  # noqa: ANN001
        if trainer.current_epoch == 2:
            raise RuntimeError("simulated crash")


def test_resume_after_crash_continues_at_the_right_epoch(tiny_data: Path, tmp_path: Path, tiny: list[str]) -> None:
    run = tmp_path / "run"
    cfg = load_config("v5", [*tiny, "epochs=4", "save_freq=2", "warmup_epochs=1.5"], data_dir=tiny_data)
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit(cfg, run, progress_bar=False, callbacks=[_Crash()])
    assert [r["epoch"] for r in _rows(run)] == ["1", "2"]
    assert not (run / "summary.json").exists()
    with pytest.raises(MabeError, match="--resume"):
        fit(cfg, run, progress_bar=False)
    summary = fit(cfg, run, resume=True, progress_bar=False)
    rows = _rows(run)
    assert [r["epoch"] for r in rows] == ["1", "2", "3", "4"]
    assert summary["epochs_completed"] == 4
    lrs = [float(r["lr"]) for r in rows]
    assert lrs[0] < lrs[1] == pytest.approx(cfg.learning_rate)  # warm-up, per step, over 1.5 epochs
    assert {c["name"] for c in list_checkpoints(run)} >= {"epoch=002.ckpt", "epoch=004.ckpt", "last.ckpt"}
    with pytest.raises(MabeError, match="finished run"):
        fit(cfg, run, progress_bar=False)
    assert fit(cfg, run, resume=True, progress_bar=False)["epochs_completed"] == 4


def test_actions_scheme_trains_evaluates_and_predicts(tiny_data: Path, tmp_path: Path, tiny: list[str]) -> None:
    run = tmp_path / "run"
    cfg = load_config("actions", [*tiny, "epochs=2", "lstm_hidden=16", "model_options={dilations: [1, 2]}"], data_dir=tiny_data)
    summary = fit(cfg, run, progress_bar=False)
    assert summary["label_scheme"] == "actions" and summary["feature_set"] == "pair"
    assert summary["actions"] == ["attack", "mount", "sniff"]
    assert summary["input_dim"] == summary["feature_width"]
    assert json.loads((run / "summary.json").read_text())["epochs_completed"] == 2
    assert load_config(run / "config.yaml").num_classes == 3

    metrics = evaluate(run, tiny_data, "test")
    assert metrics["n_videos"] == 2 and 0 <= metrics["accuracy"] <= 1 and "f1/sniff" in metrics

    model, config, info = load_trained(run, "last")
    ds = MabeDataset(tiny_data)
    video = ds.load_video(ds.metas("test")[0])
    pred = predict_video(model, config, info, video)
    assert pred.probs.shape == (video.n_frames, len(pred.pairs), 3)
    assert pred.pairs == [(1, 1), (1, 2), (2, 1), (2, 2)] and pred.actions == summary["actions"]
    assert np.all((pred.probs >= 0) & (pred.probs <= 1))
    short = Video(video.meta, Pose(video.pose.coords[:10], video.pose.body_parts))
    assert predict_video(model, config, info, short).probs.shape == (10, 4, 3)


def test_input_dim_is_padded_or_rejected(tiny_data: Path, tmp_path: Path, tiny: list[str]) -> None:
    cfg = load_config("v5", [*tiny, "epochs=1", "input_dim=150"], data_dir=tiny_data)
    summary = fit(cfg, tmp_path / "wide", progress_bar=False)
    assert summary["input_dim"] == 150 and summary["feature_width"] == 144
    model, config, info = load_trained(tmp_path / "wide")
    ds = MabeDataset(tiny_data)
    probs = predict_video(model, config, info, ds.load_video(ds.metas("test")[0])).probs
    assert probs.shape[1] == 4 and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    with pytest.raises(ConfigError, match="input_dim 100"):
        fit(load_config("v5", [*tiny, "input_dim=100"], data_dir=tiny_data), tmp_path / "narrow", progress_bar=False)
    assert not (tmp_path / "narrow").exists()


def test_early_stopping_and_seed4_evaluation(tiny_data: Path, tmp_path: Path, tiny: list[str]) -> None:
    overrides = [*tiny, "epochs=6", "learning_rate=1e-12", "early_stopping_patience=1", "use_augmentation=false"]
    run = tmp_path / "run"
    summary = fit(load_config("v5", overrides, data_dir=tiny_data), run, progress_bar=False)
    assert summary["stopped_early"] and summary["epochs_completed"] == 2 and summary["best_epoch"] == 1
    metrics = evaluate(run, tiny_data, "test")
    assert metrics["n_videos"] == 2 and {"accuracy", "macro_f1", "f1/Other"} <= set(metrics)


def test_refuses_foreign_directory(tiny_data: Path, tmp_path: Path, tiny: list[str]) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(MabeError, match="not a mabe run"):
        fit(load_config("v5", tiny, data_dir=tiny_data), tmp_path / "mine", progress_bar=False)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
