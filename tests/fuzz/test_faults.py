"""Fault test: ``train`` and ``predict`` killed with SIGKILL leave nothing partial and the next run succeeds."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import corruptions as cz
import pytest
from faults import fault_one

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_run(small_dataset):
    work = Path(tempfile.mkdtemp(prefix="mabe_fault_"))
    run = work / "run"
    res = cz.invoke("train", "--data", small_dataset, "--out", run, "--config", "demo", "--set", "epochs=1",
                    "--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=32", "--no-tune")
    assert res.code == 0, res.err
    yield small_dataset, run, work
    shutil.rmtree(work, ignore_errors=True)


def test_train_killed_after_its_first_checkpoint_resumes(tiny_run):
    data, run, work = tiny_run
    killed, problems, lost = fault_one(data, run, work / "train", "train", 0.0, when=Path("checkpoints/last.ckpt"))
    assert killed, "training ended before it could be killed"
    assert problems == [] and lost == 0


def test_predict_killed_midway_leaves_no_partial_submission(tiny_run):
    data, run, work = tiny_run
    _, problems, lost = fault_one(data, run, work / "predict", "predict", 2.5)
    assert problems == [] and lost == 0
