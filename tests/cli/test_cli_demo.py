"""`mabe demo` on a shrunken demo (4 half-minute videos, a tiny network): what it prints and writes.

The workflow returns data and tells its stages through ``progress.status``; the command prints
both on stdout, as the demo always did.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import mabe.workflows.demo as demo_workflow

TINY = ("--set", "epochs=1", "--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=32", "--set", "batch_size=16")

pytestmark = pytest.mark.slow


@pytest.fixture
def small_demo(monkeypatch):
    monkeypatch.setattr(demo_workflow, "DEMO_VIDEOS", 4)
    monkeypatch.setattr(demo_workflow, "DEMO_MINUTES", 0.5)


def test_demo_prints_its_stages_training_and_score(small_demo, run_cli, tmp_path):
    out = tmp_path / "demo"
    result = run_cli("--quiet", "demo", "--out", out, *TINY)
    assert result.code == 0, result.err[-3000:]
    lines = [line.strip() for line in result.out.splitlines()]
    # stages (progress.status) on stdout, in order, before the results
    synth = next(i for i, line in enumerate(lines) if line.startswith("synthesizing 4 videos of 0.5 min"))
    training = lines.index(f"training config 'demo' into {out / 'run'}")
    predicting = lines.index("predicting the test split")
    assert synth < training < predicting
    # the training result (TrainResult, printed by the CLI)
    assert any(line.startswith("trained tcn_bigru") and "for 1 epochs" in line for line in lines), result.out
    assert f"validation metrics at the best epoch ({out / 'run'})" in lines
    assert any("decoding tuned on" in line for line in lines)
    # the submission and its score (DemoResult)
    submission = pd.read_csv(out / "run" / "submission.csv")
    assert f"wrote {out / 'run' / 'submission.csv'} ({len(submission)} intervals)" in lines
    assert "test split: F per (lab, action)" in lines and "test split: score per lab" in lines
    score_line = next(line for line in lines if line.startswith("test-split MABe score: "))
    summary = json.loads((out / "run" / "summary.json").read_text())
    assert summary["epochs_completed"] == 1
    # a second demo reuses the data and trains into run-2
    again = run_cli("--quiet", "demo", "--out", out, *TINY)
    assert again.code == 0, again.err[-3000:]
    assert f"reusing the synthetic dataset in {out / 'data'}" in again.out
    assert (out / "run-2" / "submission.csv").is_file()
    assert score_line.split(": ")[1] == next(
        line for line in again.out.splitlines() if line.startswith("test-split MABe score: ")
    ).split(": ")[1], "same seed, same data, same config: same score"


def test_demo_refuses_a_data_folder_it_did_not_write(run_cli, tmp_path):
    out = tmp_path / "demo"
    (out / "data").mkdir(parents=True)
    result = run_cli("demo", "--out", out)
    assert result.code == 2
    assert result.err.strip() == f"error: {out / 'data'}: exists but was not written by this demo; choose another --out"
