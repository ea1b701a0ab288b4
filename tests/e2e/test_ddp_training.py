"""Two-process DDP training on CPU (gloo), as a user starts it: `mabe train --set strategy=ddp --set devices=2`.

Lightning re-runs the command once per device, so the run goes through a real subprocess.
One run directory, each file written once, metrics gathered across both processes, the
summary and decoding tuning done once, and the same summary fields as a single-process run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest

from mabe.cli.app import main
from mabe.data.io import MabeDataset
from mabe.metrics import check_submission, score_report

pytestmark = pytest.mark.slow

TINY = ["--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=64", "--set", "epochs=2", "--set", "accelerator=cpu"]


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_ddp_two_processes_on_cpu(small_dataset, tmp_path):
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    started = time.perf_counter()
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(["train", "--data", str(small_dataset), "--out", str(single), "--config", "recommended", *TINY])
        except SystemExit as exc:
            assert exc.code in (0, None), err.getvalue()
    single_sec = time.perf_counter() - started

    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    cmd = [sys.executable, "-m", "mabe", "-q", "train", "--data", str(small_dataset), "--out", str(ddp), "--config", "recommended",
           *TINY, "--set", "strategy=ddp", "--set", "devices=2"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    ddp_sec = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"single process {single_sec:.1f} s (in-process), ddp x2 {ddp_sec:.1f} s (subprocess, incl. start-up)")

    # reported and tuned once, by rank 0
    assert len(re.findall(r"^trained \w+ \(", proc.stdout, re.M)) == 1, proc.stdout
    assert proc.stdout.count("decoding tuned on") == 1, proc.stdout
    assert "Starting with 2 processes" in proc.stdout + proc.stderr
    # one run directory, each file once, no temporary or Lightning log files
    files = _files(ddp)
    assert files == _files(single), (files, _files(single))
    assert {"config.yaml", "metrics.csv", "summary.json", "decode.json", "checkpoints/best.ckpt"} <= set(files)
    assert not [p for p in tmp_path.iterdir() if p.name not in ("single", "ddp")]
    with (ddp / "metrics.csv").open() as handle:
        assert [int(r["epoch"]) for r in csv.DictReader(handle)] == [1, 2]

    one = json.loads((single / "summary.json").read_text())
    two = json.loads((ddp / "summary.json").read_text())
    assert two["world_size"] == 2 and one["world_size"] == 1
    assert set(two) == set(one) and set(two["best_metrics"]) == set(one["best_metrics"])
    assert two["data"]["windows_val"] == one["data"]["windows_val"]
    # validation is split across the processes, each window on exactly one, and gathered:
    # the metrics cover the same frames as in one process
    assert two["best_metrics"]["val_n"] == one["best_metrics"]["val_n"]

    # the DDP run predicts like any other: its best checkpoint holds the whole model, and the
    # submission is valid, covers the labelled test videos and scores on their labels
    from mabe.training.inference import load_trained

    model, _, info = load_trained(ddp)
    assert sum(p.numel() for p in model.parameters()) == two["parameters"] == one["parameters"]
    assert info["epoch"] == two["best_epoch"]
    sub = tmp_path / "s.csv"
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(["predict", "--run", str(ddp), "--data", str(small_dataset), "--out", str(sub)])
        except SystemExit as exc:
            assert exc.code in (0, None), err.getvalue()
    submission = pd.read_csv(sub)
    check_submission(submission)
    dataset = MabeDataset(small_dataset)
    labelled = {m.video_id for m in dataset.metas("test") if m.behaviors_labeled}
    assert len(submission) > 0 and set(submission["video_id"]) <= labelled
    assert f"wrote {sub}: {len(submission)} intervals" in out.getvalue()
    report = score_report(dataset.solution("test", progress=False), submission)
    assert 0.0 <= report.score <= 1.0 and len(report.table) > 0
