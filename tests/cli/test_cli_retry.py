"""A default `mabe train` (and `mabe cv`) that fails: retried cleanly, resumed honestly, summarised truly (issue 16).

Every run is on a one-action dataset (the most common real case: a lab
scoring one behaviour), two folds of a tiny network and a few trees.
Failures are simulated by a Lightning callback that raises in one fold's
network, once.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import Result, invoke
from lightning.pytorch.callbacks import Callback

pytestmark = pytest.mark.slow

ACTION = "sniff"
TINY_NET = (
    "--folds", "2", "--set", "epochs=2", "--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=32",
    "--set", "batch_size=16", "--set", "lgbm.num_leaves=7",
)
TINY = (*TINY_NET, "--set", "lgbm.n_estimators=15")
TIMING = ("wall_time_sec", "fit_time_sec", "fold_models_reused")
"""Keys of cv.json / summary.json that tell how long and in how many attempts, not what was learnt."""


class _Crash(Callback):
    """Raise ``error`` when epoch ``epoch`` (0-based) of the training it is given to starts."""

    def __init__(self, epoch: int, error: Exception) -> None:
        self.epoch, self.error = epoch, error

    def on_train_epoch_start(self, trainer, *_) -> None:  # noqa: ANN001
        if trainer.current_epoch == self.epoch:
            raise self.error


def _crash_once(monkeypatch: pytest.MonkeyPatch, fold: int, epoch: int, error: Exception | None = None) -> None:
    """Make the network of fold ``fold`` raise at the start of its epoch ``epoch`` (once)."""
    from mabe.training import fit as fit_module

    real = fit_module.fit
    armed = [True]

    def fit(config, run_dir=None, *args, callbacks=None, **kwargs):  # noqa: ANN001, ANN202
        if armed[0] and Path(run_dir).as_posix().endswith(f"network/fold{fold}"):
            armed[0] = False
            callbacks = [*(callbacks or []), _Crash(epoch, error or RuntimeError("simulated crash"))]
        return real(config, run_dir, *args, callbacks=callbacks, **kwargs)

    monkeypatch.setattr(fit_module, "fit", fit)


def _train(data: Path, run: Path, *extra: object) -> list[object]:
    return ["train", "--data", data, "--out", run, *TINY, *extra]


def _one_line(result: Result, code: int = 2) -> str:
    assert result.code == code, result
    assert "Traceback" not in result.err, result.err
    lines = [line for line in result.err.strip().splitlines() if not line.startswith("mabe: ")]  # progress lines
    assert len(lines) == 1, result.err
    return lines[0]


def _snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def _without(record: dict, keys: tuple[str, ...]) -> dict:
    return {k: v for k, v in record.items() if k not in keys}


@pytest.fixture(scope="module")
def one_action(small_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small dataset with every whitelist and annotation cut to one action. Treat as read-only."""
    root = tmp_path_factory.mktemp("one_action") / "data"
    shutil.copytree(small_dataset, root)
    for split in ("train", "test"):
        meta = pd.read_csv(root / f"{split}.csv")
        meta["behaviors_labeled"] = [
            json.dumps([e for e in json.loads(text) if e.rsplit(",", 1)[1] == ACTION]) for text in meta["behaviors_labeled"]
        ]
        meta.to_csv(root / f"{split}.csv", index=False)
        for path in (root / f"{split}_annotation").glob("*/*.parquet"):
            table = pd.read_parquet(path)
            table[table["action"] == ACTION].reset_index(drop=True).to_parquet(path, index=False)
    return root


@pytest.fixture(scope="module")
def whole(one_action: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The command run once without failing: what a resumed run must equal."""
    run = tmp_path_factory.mktemp("whole") / "run"
    result = invoke(*_train(one_action, run))
    assert result.code == 0, result.err
    return run


@pytest.fixture(scope="module")
def crashed(one_action: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """The command failing in fold 1's network after its first epoch (fold 0 finished). Copy before use."""
    run = tmp_path_factory.mktemp("crashed") / "run"
    with pytest.MonkeyPatch.context() as mp:
        _crash_once(mp, fold=1, epoch=1)
        result = invoke(*_train(one_action, run))
    return run, result


def test_a_failure_before_any_fold_leaves_nothing_and_the_same_command_runs(run_cli, one_action, tmp_path, monkeypatch):
    run = tmp_path / "run"
    _crash_once(monkeypatch, fold=0, epoch=0)
    line = _one_line(run_cli(*_train(one_action, run)), code=1)
    assert "simulated crash" in line and "--resume" not in line
    assert not run.exists(), "the attempt created the run directory and kept nothing worth resuming"

    result = run_cli(*_train(one_action, run))
    assert result.code == 0, result.err
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["fold_models_reused"] == 0
    assert "resumed" not in result.out


def test_ctrl_c_before_any_fold_prints_the_command_that_starts_again(run_cli, one_action, tmp_path, monkeypatch):
    import shlex

    from mabe.training.run import TrainingInterrupted

    run = tmp_path / "run"
    _crash_once(monkeypatch, fold=0, epoch=0, error=TrainingInterrupted("training interrupted"))
    line = _one_line(run_cli(*_train(one_action, run)), code=130)
    assert "nothing to keep, start again with: mabe train" in line and not run.exists()
    command = shlex.split(line.split("start again with: ", 1)[1])
    assert command[command.index("--folds") + 1] == "2", "the command that starts again keeps --folds"


def test_cv_failing_early_keeps_the_users_directory_and_cache(run_cli, one_action, tmp_path, monkeypatch):
    run, cache = tmp_path / "run", tmp_path / "cache"
    run.mkdir()
    cache.mkdir()
    (cache / "notes.txt").write_text("mine")
    _crash_once(monkeypatch, fold=0, epoch=0)
    args = ["cv", "--data", one_action, "--out", run, "--cache-dir", cache, *TINY]
    assert "simulated crash" in _one_line(run_cli(*args), code=1)
    assert run.is_dir() and not any(run.iterdir()), "the user's directory stays, emptied of what the attempt wrote"
    assert (cache / "notes.txt").read_text() == "mine"
    assert len(list(cache.iterdir())) > 1, "the features built into the user's cache stay"


def test_a_failure_after_a_fold_keeps_it_names_resume_and_resume_finishes_it(run_cli, one_action, crashed, whole, tmp_path):
    source, failed = crashed
    line = _one_line(failed, code=1)
    assert "simulated crash" in line and "--resume" in line and "2 finished fold models" in line
    assert (source / "members" / "network" / "fold1" / "checkpoints" / "last.ckpt").is_file(), "fold 1 had an epoch"
    run = tmp_path / "run"
    shutil.copytree(source, run)
    fold0 = {p: p.stat().st_mtime_ns for p in run.glob("members/*/fold0/summary.json")}
    assert len(fold0) == 2

    before = _snapshot(run)
    assert "--resume" in _one_line(run_cli(*_train(one_action, run)))
    assert _snapshot(run) == before

    result = run_cli(*_train(one_action, run), "--resume")
    assert result.code == 0, result.err
    assert "resumed: 2 of 4 fold models were trained by an earlier attempt" in result.out
    assert {p: p.stat().st_mtime_ns for p in fold0} == fold0, "finished fold models are kept, not retrained"

    # complete, and the same as the run that never failed
    for member in ("network", "lgbm"):
        names = sorted(p.name for p in (whole / "oof" / member).glob("*.npz"))
        assert names and sorted(p.name for p in (run / "oof" / member).glob("*.npz")) == names
        for name in names:
            with np.load(whole / "oof" / member / name) as a, np.load(run / "oof" / member / name) as b:
                np.testing.assert_array_equal(b["probs"], a["probs"])  # every random state restored: exactly
    cv, expected = (json.loads((r / "cv.json").read_text()) for r in (run, whole))
    assert cv["fold_models_reused"] == 2 and expected["fold_models_reused"] == 0
    assert _without(cv, TIMING) == _without(expected, TIMING)
    assert json.loads((run / "ensemble.json").read_text()) == json.loads((whole / "ensemble.json").read_text())


@pytest.mark.parametrize("change", ["an annotation file", "train.csv"])
def test_resume_refuses_data_changed_since_in_one_line(run_cli, one_action, crashed, tmp_path, change):
    source, _ = crashed
    run, data = tmp_path / "run", tmp_path / "data"
    shutil.copytree(source, run)
    shutil.copytree(one_action, data)
    if change == "train.csv":
        meta = pd.read_csv(data / "train.csv")
        meta.iloc[:-1].to_csv(data / "train.csv", index=False)  # a video taken out
    else:
        path = sorted((data / "train_annotation").glob("*/*.parquet"))[0]
        table = pd.read_parquet(path)
        table.iloc[:-1].to_parquet(path, index=False)  # a bout relabelled away
    before = _snapshot(run)
    line = _one_line(run_cli(*_train(data, run), "--resume"))
    assert str(run) in line and "data changed" in line and "--out" in line
    assert ("train.csv" in line) == (change == "train.csv")
    assert _snapshot(run) == before


def test_the_closing_lines_say_the_whole_time_and_the_plan_in_words(run_cli, one_action, tmp_path, monkeypatch):
    import time

    from mabe.workflows import train as train_workflow

    real_clock, real_plan = time.perf_counter, train_workflow.plan_budget
    skew = [0.0]

    def plan_budget(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        skew[0] += 1000.0  # planning "takes" 1000 s: the clock jumps
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(time, "perf_counter", lambda: real_clock() + skew[0])
    monkeypatch.setattr(train_workflow, "plan_budget", plan_budget)
    run = tmp_path / "run"
    # the trees' default size, so the budget halves them step by step (the network is dropped: nothing to train)
    result = run_cli("train", "--data", one_action, "--out", run, *TINY_NET, "--budget", "0.1")
    assert result.code == 0, result.err
    took = [line for line in result.out.splitlines() if line.startswith("ensemble run written to")]
    assert len(took) == 1
    seconds = float(took[0].rsplit("took ", 1)[1].split(" s")[0])
    assert seconds >= 1000, took[0]
    assert json.loads((run / "summary.json").read_text())["wall_time_sec"] >= 1000

    plan = json.loads((run / "summary.json").read_text())["budget"]
    line = next(line for line in result.out.splitlines() if line.startswith("budget 0.1 min"))
    assert f": {plan['folds']} folds of " in line and f"estimated {plan['estimate_minutes']:.1f} min" in line
    assert f"LightGBM alone ({plan['trees']['n_estimators']} trees per action" in line
    tried = [step for step in plan["steps"] if step.startswith(("epochs", "trees"))]
    assert len(tried) > 1 and not any(step in line for step in tried), "the plan chosen, not every step tried"
