"""A resumed run is the uninterrupted run: same metrics.csv and same final weights (issue 9, defect 10)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from lightning.pytorch.callbacks import Callback

from mabe.config import load_config
from mabe.training.fit import fit

pytestmark = pytest.mark.slow


class _Crash(Callback):
    """Dies at the start of epoch ``at`` + 1 (after ``at`` complete epochs), like a kill."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_train_epoch_start(self, trainer, pl_module) -> None:  # noqa: ANN001
        if trainer.current_epoch == self.at:
            raise RuntimeError("simulated kill")


def _metrics(run: Path) -> list[dict[str, float]]:
    with (run / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return [{k: float(v) for k, v in r.items() if k != "epoch_time_sec" and v not in ("", "nan")} for r in rows]


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["state_dict"]


@pytest.fixture
def config(tiny_data: Path, tiny: list[str]):
    # augmentation on: noise and jitter draw from the global generators every batch
    overrides = [*tiny, "epochs=3", "save_freq=1", "noise_std=0.05", "temporal_jitter=3", "dropout=0.2"]
    return load_config("actions", [*overrides, "lstm_hidden=16", "model_options={dilations: [1, 2]}"], data_dir=tiny_data)


def test_resumed_run_equals_the_uninterrupted_run_and_same_seed_same_run(config, tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    fit(config, whole, progress_bar=False)

    killed = tmp_path / "killed"
    with pytest.raises(RuntimeError, match="simulated kill"):
        fit(config, killed, progress_bar=False, callbacks=[_Crash(at=2)])
    torch.manual_seed(12345)  # whatever the process did meanwhile must not matter
    fit(config, killed, resume=True, progress_bar=False)

    expected, got = _metrics(whole), _metrics(killed)
    assert len(expected) == len(got) == 3
    for row_a, row_b in zip(expected, got, strict=True):
        assert row_a.keys() == row_b.keys()
        for key in row_a:
            assert row_b[key] == pytest.approx(row_a[key], rel=1e-5, abs=1e-6), key
    wa, wb = _weights(whole), _weights(killed)
    assert wa.keys() == wb.keys()
    for key in wa:
        torch.testing.assert_close(wb[key], wa[key], rtol=1e-5, atol=1e-6)

    again = tmp_path / "again"
    fit(config, again, progress_bar=False)
    for row_a, row_c in zip(expected, _metrics(again), strict=True):
        assert row_c == pytest.approx(row_a, rel=1e-5, abs=1e-6)
