"""End-to-end: a training run killed with SIGKILL mid-way is continued with `mabe train --resume`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

pytestmark = pytest.mark.slow

EPOCHS = 6
KILL_AFTER = 2
TIMEOUT_SEC = 180.0


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One intra-op thread: on two shared, busy cores torch's thread pool makes small LSTMs ~100x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _epochs_recorded(metrics: Path) -> list[int]:
    if not metrics.is_file():
        return []
    text = metrics.read_text()  # written atomically (temp file + rename), so never half a file
    return [int(line.split(",", 1)[0]) for line in text.splitlines()[1:] if line.strip()]


def _snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _start_and_kill(args: list[str], run: Path, logs: Path) -> list[int]:
    """Start ``python -m mabe *args``, SIGKILL it once KILL_AFTER epochs are in metrics.csv."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with (logs / "stdout.txt").open("w") as out, (logs / "stderr.txt").open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "mabe", *args], stdout=out, stderr=err, env=env)
        try:
            deadline = time.monotonic() + TIMEOUT_SEC
            while len(_epochs_recorded(run / "metrics.csv")) < KILL_AFTER:
                if proc.poll() is not None:
                    pytest.fail(
                        f"training exited with code {proc.returncode} before {KILL_AFTER} epochs:\n"
                        + (logs / "stderr.txt").read_text()[-2000:]
                    )
                if time.monotonic() > deadline:
                    pytest.fail(f"no {KILL_AFTER} epochs in metrics.csv after {TIMEOUT_SEC:.0f} s; gave up")
                time.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return _epochs_recorded(run / "metrics.csv")


def test_resume_after_kill_9(run_cli, small_dataset, tmp_path):
    run = tmp_path / "run"
    args = [
        "train", "--data", str(small_dataset), "--out", str(run), "--config", "demo",
        "--set", f"epochs={EPOCHS}", "--set", "save_freq=1",
        "--set", "lstm_hidden=32", "--set", "max_windows_per_epoch=400",
    ]
    recorded = _start_and_kill(args, run, tmp_path)
    assert not (run / "summary.json").exists(), (
        "training finished before it could be killed; make its epochs longer"
    )
    assert KILL_AFTER <= len(recorded) < EPOCHS

    # the killed run is neither replaced nor silently continued
    before = _snapshot(run)
    result = run_cli(*args)
    assert result.code == 2 and "--resume" in result.err and "Traceback" not in result.err, result
    assert len(result.err.strip().splitlines()) == 1
    assert _snapshot(run) == before

    result = run_cli(*args, "--resume")
    assert result.code == 0, result.err

    summary = json.loads((run / "summary.json").read_text())
    assert summary["epochs_completed"] == EPOCHS
    assert summary["epochs_configured"] == EPOCHS
    metrics = pd.read_csv(run / "metrics.csv")
    assert metrics["epoch"].tolist() == list(range(1, EPOCHS + 1)), "every epoch exactly once"
    assert metrics["train_loss"].notna().all()
    assert 1 <= summary["best_epoch"] <= EPOCHS
    assert summary["best_epoch"] == int(metrics.loc[metrics["val_macro_f1"].idxmax(), "epoch"])

    ckpts = run / "checkpoints"
    expected = {"best.ckpt", "last.ckpt", "index.json", *(f"epoch={e:03d}.ckpt" for e in range(1, EPOCHS + 1))}
    assert {p.name for p in ckpts.iterdir()} == expected, "stray or missing checkpoint files"
    last = torch.load(ckpts / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["state_dict"] and last["mabe"]["epoch"] == EPOCHS

    from mabe.training.inference import load_trained

    model, config, _ = load_trained(run, "last")
    assert config.epochs == EPOCHS and sum(p.numel() for p in model.parameters()) == summary["parameters"]
    assert (run / "decode.json").is_file()

    # the same command never interrupted gives the same metrics and weights (every random state restored)
    whole = tmp_path / "whole"
    result = run_cli(*[str(whole) if a == str(run) else a for a in args])
    assert result.code == 0, result.err
    expected, got = pd.read_csv(whole / "metrics.csv"), pd.read_csv(run / "metrics.csv")
    columns = [c for c in expected.columns if c != "epoch_time_sec"]
    pd.testing.assert_frame_equal(got[columns], expected[columns], rtol=1e-5, atol=1e-6)
    whole_last = torch.load(whole / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    for key, value in whole_last["state_dict"].items():
        torch.testing.assert_close(last["state_dict"][key], value, rtol=1e-5, atol=1e-6)

    # killed after summary.json but before decode.json (while tuning): --resume tunes, trains no more
    (run / "decode.json").unlink()
    last_bytes = (ckpts / "last.ckpt").read_bytes()
    result = run_cli(*args, "--resume")
    assert result.code == 0, result.err
    assert (run / "decode.json").is_file() and "decoding tuned" in result.out
    assert (ckpts / "last.ckpt").read_bytes() == last_bytes
    assert pd.read_csv(run / "metrics.csv")["epoch"].tolist() == list(range(1, EPOCHS + 1))
