"""Kill ``mabe train`` / ``mabe predict`` with SIGKILL at a chosen moment and check what is left.

Used by ``tests/fuzz/test_faults.py`` (one or two kills) and
``benchmarks/bench_fuzz.py`` (many, at random moments).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import corruptions as cz
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[2]

FAULT_TRAIN = ["--config", "demo", "--set", "epochs=3", "--set", "save_freq=1", "--set", "lstm_hidden=8",
               "--set", "max_windows_per_epoch=128"]


def _partial_files(root: Path) -> list[str]:
    """Files under ``root`` that are temporary or do not parse."""

    bad = [str(p) for p in root.rglob("*.tmp")]
    for p in root.rglob("*"):
        if not p.is_file() or p.suffix == ".tmp":
            continue
        try:
            if p.suffix == ".json":
                json.loads(p.read_text())
            elif p.suffix == ".csv":
                pd.read_csv(p)
            elif p.suffix == ".yaml":
                yaml.safe_load(p.read_text())
            elif p.suffix == ".ckpt":
                import torch

                torch.load(p, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is partial
            bad.append(f"{p}: {type(exc).__name__}")
    return bad


def kill_at(args: list[str], delay: float, when: Path | None = None, timeout: float = 300) -> int:
    """Start ``python -m mabe *args``; SIGKILL it ``delay`` s after start (or after ``when`` exists).

    Returns its exit code (``-9`` if it was killed, anything else if it ended first).
    """
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "mabe", *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if when is not None:
            deadline = time.monotonic() + timeout
            while not when.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode


def fault_one(
    data: Path, run: Path, scratch: Path, what: str, delay: float, when: Path | None = None
) -> tuple[bool, list[str], int]:
    """Kill ``train`` or ``predict`` after ``delay`` s (counted from when ``when`` exists, if given).

    Returns (was it killed, problems found, files lost). ``when`` may name a
    file relative to the run directory (``train``) or the scratch folder (``predict``).
    """
    scratch.mkdir(parents=True, exist_ok=True)
    keep = {**{f"data/{k}": v for k, v in cz.tree_hashes(data).items()}, **{f"run/{k}": v for k, v in cz.tree_hashes(run).items()}}
    problems: list[str] = []
    if what == "train":
        out = scratch / "fault_run"
        shutil.rmtree(out, ignore_errors=True)
        args = ["train", "--data", data, "--out", out, *FAULT_TRAIN]
        code = kill_at(args, delay, out / when if when else None)
        problems += _partial_files(out) if out.exists() else []
        again = [*args, "--resume"] if (out / "config.yaml").is_file() else args
        res = cz.invoke(*again)
        if res.code != 0:
            problems.append(f"train after a kill at {delay:.2f} s: exit {res.code}: {res.err.strip()[-400:]}")
        problems += [f"after the next run: {p}" for p in _partial_files(out)]
    else:
        out = scratch / "predict" / "fault_sub.csv"
        shutil.rmtree(out.parent, ignore_errors=True)
        out.parent.mkdir()
        args = ["predict", "--run", run, "--data", data, "--out", out]
        code = kill_at(args, delay, out.parent / when if when else None)
        problems += _partial_files(out.parent)
        res = cz.invoke(*args, "--overwrite")
        if res.code != 0:
            problems.append(f"predict after a kill at {delay:.2f} s: exit {res.code}: {res.err.strip()[-400:]}")
    now = {**{f"data/{k}": v for k, v in cz.tree_hashes(data).items()}, **{f"run/{k}": v for k, v in cz.tree_hashes(run).items()}}
    lost = sum(1 for k, v in keep.items() if now.get(k) != v)
    return code == -signal.SIGKILL, problems, lost


