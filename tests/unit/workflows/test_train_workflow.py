"""workflows.train: the simulator runs here (not in mabe.training) when a synthetic config meets an empty data_dir."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mabe.config import load_config
from mabe.progress import set_status_handler
from mabe.workflows.recommend import _size_for
from mabe.workflows.train import TrainResult, ensure_dataset

SMALL = ["synth_videos=2", "synth_minutes=0.1", "synth_labs=[CalMS21_task1]"]


def test_an_empty_data_dir_is_simulated_for_a_synthetic_config(tmp_path: Path) -> None:
    data = tmp_path / "data"
    lines: list[str] = []
    previous = set_status_handler(lines.append)
    try:
        ensure_dataset(load_config("demo", SMALL, data_dir=data))
    finally:
        set_status_handler(previous)
    metas = pd.concat([pd.read_csv(data / name) for name in ("train.csv", "test.csv") if (data / name).is_file()])
    assert len(metas) == 2 and set(metas["lab_id"]) == {"CalMS21_task1"}
    assert any("simulating 2 videos" in line for line in lines), lines


def test_a_dataset_or_a_real_data_config_is_left_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("mine")
    ensure_dataset(load_config("demo", SMALL, data_dir=data))  # not empty: not touched
    assert sorted(p.name for p in data.iterdir()) == ["notes.txt"]
    empty = tmp_path / "empty"
    ensure_dataset(load_config("v5", [], data_dir=empty))  # use_kaggle_data: true never simulates
    assert not empty.exists()


def test_train_result_strips_the_validation_prefix() -> None:
    result = TrainResult(Path("run"), {"best_metrics": {"val_macro_f1": 0.5, "val_f1/attack": 0.25}})
    assert result.best_metrics == {"macro_f1": 0.5, "f1/attack": 0.25}
    assert result.global_zero and result.tuned is None


def test_recommended_size_grows_with_the_data() -> None:
    small, large = _size_for(100_000, 3), _size_for(10_000_000, 100)
    assert small["lstm_hidden"] < large["lstm_hidden"] and small["max_windows_per_epoch"] < large["max_windows_per_epoch"]
    assert small["val_fraction"] == 0.34 and "val_fraction" not in large
