"""One behaviour, one class: the most common real dataset trains, evaluates, cross-validates and predicts.

A lab studying aggression labels aggression. Every dataset here whitelists and
annotates a single action (``sniff``), made from the session's small synthetic
dataset by dropping every other action from the annotations and from
``behaviors_labeled``. The default ensemble, ``--config recommended``, the seed
``v5`` config (four seed4 classes of which the data has one) and ``mabe cv`` must
each get through training, the per-class tables, ``evaluate`` and ``predict``.
Before the fix, every one of them stopped at the end of the first validation
epoch with ``'float' object is not iterable``.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import Result, invoke

from mabe.data.schema import parse_behaviors_labeled
from mabe.data.validate import validate_dataset
from mabe.metrics import check_submission

pytestmark = pytest.mark.slow

ACTION = "sniff"
TINY_NET = ("--set", "epochs=2", "--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=48", "--set", "batch_size=16")
FEW_TREES = ("--set", "lgbm.n_estimators=15", "--set", "lgbm.num_leaves=7")


def keep_one_action(src: Path, dst: Path, action: str = ACTION) -> Path:
    """Copy a dataset keeping only ``action`` in its annotations and whitelists."""
    shutil.copytree(src, dst)
    for split in ("train", "test"):
        meta = pd.read_csv(dst / f"{split}.csv")
        for i, text in meta["behaviors_labeled"].items():
            kept = [",".join(t) for t in parse_behaviors_labeled(text) if t[2] == action] if isinstance(text, str) else []
            meta.at[i, "behaviors_labeled"] = json.dumps(kept) if kept else ""
        meta.to_csv(dst / f"{split}.csv", index=False)
        for path in (dst / f"{split}_annotation").rglob("*.parquet"):
            table = pd.read_parquet(path)
            table[table["action"] == action].to_parquet(path, index=False)
    return dst


@pytest.fixture(scope="module")
def one_action(small_dataset, tmp_path_factory) -> Path:
    """The small dataset with ``sniff`` as its only action (read-only)."""
    root = keep_one_action(small_dataset, tmp_path_factory.mktemp("one") / "data")
    assert not validate_dataset(root)
    actions = {t[2] for text in pd.read_csv(root / "train.csv")["behaviors_labeled"] for t in parse_behaviors_labeled(text)}
    assert actions == {ACTION}
    return root


def _ok(*args: object) -> Result:
    result = invoke(*args)
    assert result.code == 0, f"mabe {' '.join(map(str, args))} exited {result.code}:\n{result.err[-3000:]}"
    return result


def _predicts(run: Path, data: Path, out: Path) -> pd.DataFrame:
    _ok("predict", "--run", run, "--data", data, "--split", "test", "--out", out)
    table = pd.read_csv(out)
    check_submission(table)
    assert set(table["action"]) <= {ACTION}
    score = _ok("score", "--data", data, "--submission", out, "--split", "test", "--json")
    assert 0.0 <= json.loads(score.out)["score"] <= 1.0
    return table


def test_default_ensemble_on_one_action(one_action, tmp_path):
    run = tmp_path / "ens"
    result = _ok("train", "--data", one_action, "--out", run, "--folds", "2", *TINY_NET, *FEW_TREES)
    assert "ensemble run written to" in result.out
    cv = json.loads((run / "cv.json").read_text())
    assert {row["action"] for row in cv["per_lab_action"]} == {ACTION}
    assert math.isfinite(cv["score_mean"])
    decode = json.loads((run / "decode.json").read_text())
    assert ACTION in json.dumps(decode)
    evaluated = _ok("evaluate", "--run", run, "--data", one_action, "--split", "test")
    assert ACTION in evaluated.out
    _predicts(run, one_action, tmp_path / "sub.csv")


def test_recommended_network_on_one_action_logs_its_class(one_action, tmp_path):
    run = tmp_path / "net"
    result = _ok("train", "--data", one_action, "--out", run, "--config", "recommended", *TINY_NET)
    header = (run / "metrics.csv").read_text().splitlines()[0].split(",")
    assert f"val_ap/{ACTION}" in header and "val_ap" in header
    summary = json.loads((run / "summary.json").read_text())
    assert summary["class_names"] == [ACTION]
    # the per-class table names the one action with its numbers
    rows = [line for line in result.out.splitlines() if line.startswith("│") and ACTION in line]
    assert rows, result.out
    _ok("checkpoints", run)
    assert ACTION in _ok("evaluate", "--run", run, "--data", one_action, "--split", "test").out
    _predicts(run, one_action, tmp_path / "sub.csv")


@pytest.mark.parametrize("config", ["actions", "demo", "v5", "v6"])
def test_every_shipped_config_on_one_action(one_action, tmp_path, config):
    """The packaged configs too; ``v5`` / ``v6`` are seed4 models (four classes) on data with one of them."""
    run = tmp_path / config
    overrides = ("--set", "epochs=1", "--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=32", "--set", "batch_size=16")
    if config in ("v5", "v6"):
        overrides += ("--set", "conv_channels=[8]")  # conv_bilstm: these keys size it
    _ok("train", "--data", one_action, "--out", run, "--config", config, *overrides)
    assert json.loads((run / "summary.json").read_text())["best_metrics"]
    _ok("evaluate", "--run", run, "--data", one_action, "--split", "test")
    _predicts(run, one_action, tmp_path / "sub.csv")


def test_cv_on_one_action(one_action, tmp_path):
    result = _ok("cv", "--data", one_action, "--out", tmp_path / "cv", "--folds", "2", *TINY_NET, *FEW_TREES, "--json")
    printed = json.loads(result.out)
    assert len(printed["folds"]) == 2 and all(math.isfinite(f["score"]) for f in printed["folds"])
    assert set(printed["by_model"]) >= {"network", "lgbm"}
    assert {row["action"] for row in printed["per_lab_action"]} == {ACTION}
    for member in ("network", "lgbm"):
        assert {row["action"] for row in printed["by_model"][member]["per_lab_action"]} == {ACTION}


def test_ddp_on_one_action(one_action, tmp_path):
    """Two processes (gloo on CPU): the per-class AP is gathered as a sum of histograms, one class included."""
    import os
    import subprocess
    import sys

    run = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    cmd = [sys.executable, "-m", "mabe", "-q", "train", "--data", str(one_action), "--out", str(run),
           "--config", "recommended", *TINY_NET, "--set", "accelerator=cpu", "--set", "strategy=ddp", "--set", "devices=2"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["class_names"] == [ACTION]
    header = (run / "metrics.csv").read_text().splitlines()[0].split(",")
    assert f"val_ap/{ACTION}" in header
    _predicts(run, one_action, tmp_path / "sub.csv")
