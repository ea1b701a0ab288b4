"""`mabe cv` and the default `mabe train` (a cross-fitted ensemble), then `predict` / `evaluate` on it."""

from __future__ import annotations

import json

import pytest

from mabe.workflows.oof import oof_videos

pytestmark = pytest.mark.slow

TINY_NET = (
    "--set", "epochs=1", "--set", "conv_channels=[8]", "--set", "lstm_hidden=8",
    "--set", "max_windows_per_epoch=32", "--set", "batch_size=16",
)
FEW_TREES = ("--set", "lgbm.n_estimators=15", "--set", "lgbm.num_leaves=7")



def test_cv_json_prints_cv_json(run_cli, small_dataset, tmp_path):
    run = tmp_path / "cv"
    result = run_cli("cv", "--data", small_dataset, "--out", run, "--folds", "2", "--members", "lgbm", *FEW_TREES, "--json")
    assert result.code == 0, result.err
    printed = json.loads(result.out)
    assert printed == json.loads((run / "cv.json").read_text())
    for key in ("score_mean", "score_std", "folds", "per_lab", "per_lab_action", "by_model", "oof_score"):
        assert key in printed, key
    assert len(printed["folds"]) == 2
    held_out = sorted(v for f in printed["folds"] for v in f["video_ids"])
    assert held_out == oof_videos(run, "lgbm")
    assert all(isinstance(f["score"], float) for f in printed["folds"])
    assert {r["lab_id"] for r in printed["per_lab_action"]} <= set(printed["per_lab"]) | {None}


def test_cv_group_by_lab_holds_out_whole_labs(run_cli, small_dataset, tmp_path):
    import pandas as pd

    run = tmp_path / "cv_lab"
    result = run_cli("cv", "--data", small_dataset, "--out", run, "--folds", "2", "--group-by", "lab",
                     "--members", "lgbm", *FEW_TREES, "--json")
    assert result.code == 0, result.err
    lab_of = pd.read_csv(small_dataset / "train.csv").set_index("video_id")["lab_id"]
    labs_per_fold = [{lab_of[v] for v in f["video_ids"]} for f in json.loads(result.out)["folds"]]
    assert len(labs_per_fold) == 2 and not labs_per_fold[0] & labs_per_fold[1]


def test_cv_refuses_bad_settings_in_one_line(run_cli, small_dataset, tmp_path):
    result = run_cli("cv", "--data", small_dataset, "--out", tmp_path / "r", "--members", "forest")
    assert result.code == 2 and "forest" in result.err and len(result.err.strip().splitlines()) == 1
    result = run_cli("cv", "--data", small_dataset, "--out", tmp_path / "r", "--folds", "9")
    assert result.code == 2 and "9 folds" in result.err
    assert not (tmp_path / "r").exists()


def test_default_train_is_an_ensemble_that_predicts_and_evaluates(run_cli, small_dataset, tmp_path):
    import pandas as pd

    from mabe.data.schema import parse_behaviors_labeled
    from mabe.metrics import check_submission

    run = tmp_path / "ens"
    result = run_cli("train", "--data", small_dataset, "--out", run, "--folds", "2", *TINY_NET, *FEW_TREES)
    assert result.code == 0, result.err
    record = json.loads((run / "ensemble.json").read_text())
    assert [m["kind"] for m in record["members"]] == ["network", "lgbm"]
    assert all(len(m["folds"]) == 2 for m in record["members"])
    assert (run / "decode.json").is_file() and (run / "summary.json").is_file()
    summary = json.loads((run / "summary.json").read_text())
    cv = json.loads((run / "cv.json").read_text())
    # the kept model's tuned out-of-fold score is at least each member's alone
    assert summary["tuned_oof_score"] >= max(cv["tuned_oof_score"]["network"], cv["tuned_oof_score"]["lgbm"]) - 1e-12

    sub = tmp_path / "sub.csv"
    result = run_cli("predict", "--run", run, "--data", small_dataset, "--out", sub)
    assert result.code == 0, result.err
    table = pd.read_csv(sub)
    check_submission(table)
    assert len(table) > 0
    allowed = pd.read_csv(small_dataset / "test.csv").set_index("video_id")["behaviors_labeled"]
    for row in table.itertuples():
        assert (row.agent_id, row.target_id, row.action) in set(parse_behaviors_labeled(allowed[row.video_id]))
    result = run_cli("evaluate", "--run", run, "--data", small_dataset)
    assert result.code == 0, result.err
    assert "macro" in result.out.lower()
    # every network fold's checkpoints are listed (tree folds have none)
    result = run_cli("checkpoints", run)
    assert result.code == 0, result.err
    for k in range(2):
        assert str(run / "members" / "network" / f"fold{k}" / "checkpoints") in result.out
    assert "best.ckpt" in result.out and "lgbm" not in result.out


def test_a_tiny_budget_shrinks_the_default_and_says_how(run_cli, small_dataset, tmp_path):
    run = tmp_path / "budget"
    result = run_cli("train", "--data", small_dataset, "--out", run, "--budget", "0.1", *FEW_TREES)
    assert result.code == 0, result.err
    plan = json.loads((run / "summary.json").read_text())["budget"]
    assert plan["budget_minutes"] == 0.1 and plan["steps"]
    assert plan["members"] == ["lgbm"] and plan["folds"] < 4  # 4 training videos: 4 folds before shrinking
    record = json.loads((run / "ensemble.json").read_text())
    assert [m["name"] for m in record["members"]] == ["lgbm"] and record["n_folds"] == plan["folds"]
    assert "budget 0.1 min" in result.out and "network dropped" in result.out

    result = run_cli("train", "--data", small_dataset, "--out", tmp_path / "r2", "--config", "demo", "--budget", "5")
    assert result.code == 2 and "--budget" in result.err


@pytest.mark.parametrize("setting", ["strategy=ddp", "devices=2"])
def test_default_ensemble_refuses_several_devices_in_one_line(run_cli, small_dataset, tmp_path, setting):
    run = tmp_path / "ens"
    result = run_cli("train", "--data", small_dataset, "--out", run, "--set", setting)
    assert result.code == 2, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    assert f"--set {setting}" in lines[0] and "--config recommended" in lines[0]
    assert not run.exists()
