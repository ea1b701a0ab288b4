"""End-to-end: `mabe score` on good and bad submissions, and the installed `mabe` script.

Submissions are built straight from the test annotations (perfect) or from a
perturbed copy of them, so no model is trained here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mabe.data.io import MabeDataset
from mabe.metrics import mabe_score

COLUMNS = ["row_id", "video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"]


def _annotations(data: Path, split: str = "test") -> pd.DataFrame:
    """The split's labelled bouts read from the parquet files, as submission rows (no mabe reader)."""
    meta = pd.read_csv(data / f"{split}.csv")
    parts = []
    for lab, video in zip(meta["lab_id"], meta["video_id"], strict=True):
        path = data / f"{split}_annotation" / lab / f"{video}.parquet"
        ann = pd.read_parquet(path)
        agent = "mouse" + ann["agent_id"].astype(int).astype(str)
        target = "mouse" + ann["target_id"].astype(int).astype(str)
        target = target.where(ann["agent_id"].to_numpy() != ann["target_id"].to_numpy(), "self")
        parts.append(
            pd.DataFrame(
                {
                    "video_id": int(video),
                    "agent_id": agent.to_numpy(),
                    "target_id": target.to_numpy(),
                    "action": ann["action"].astype(str).to_numpy(),
                    "start_frame": ann["start_frame"].astype(int).to_numpy(),
                    "stop_frame": ann["stop_frame"].astype(int).to_numpy(),
                    "lab_id": lab,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _write(df: pd.DataFrame, path: Path) -> Path:
    df = df.drop(columns=["lab_id"], errors="ignore").reset_index(drop=True)
    df.insert(0, "row_id", range(len(df)))
    df[COLUMNS].to_csv(path, index=False)
    return path


def _one_line_error(result) -> str:
    assert result.code == 2, result
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.err}"
    return lines[0]


def _table_rows(text: str, n_columns: int) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in text.splitlines()
        if line.count("│") == n_columns + 1
    ]


@pytest.fixture
def perfect(small_dataset, tmp_path) -> Path:
    return _write(_annotations(small_dataset), tmp_path / "perfect.csv")


@pytest.fixture
def imperfect(small_dataset, tmp_path) -> Path:
    """Every other bout shifted by 3 frames, the last bout dropped."""
    sub = _annotations(small_dataset)
    shift = sub.index % 2 == 1
    sub.loc[shift, "start_frame"] += 3
    sub.loc[shift, "stop_frame"] += 3
    return _write(sub.iloc[:-1], tmp_path / "imperfect.csv")


def test_score_of_the_annotations_themselves_is_one(run_cli, small_dataset, perfect):
    result = run_cli("score", "--data", small_dataset, "--submission", perfect, "--split", "test")
    assert result.code == 0, result.err
    assert "score: 1.000000" in result.out
    labs = set(pd.read_csv(small_dataset / "test.csv")["lab_id"])
    per_lab = {row[0]: float(row[1]) for row in _table_rows(result.out, 2)}
    assert set(per_lab) == labs and all(v == 1.0 for v in per_lab.values())

    result = run_cli("score", "--data", small_dataset, "--submission", perfect, "--json")
    assert result.code == 0, result.err
    payload = json.loads(result.out)
    assert payload["score"] == 1.0
    assert all(row["f"] == 1.0 and row["fp"] == 0 and row["fn"] == 0 for row in payload["table"])


def test_score_tables_and_json_match_the_metric(run_cli, small_dataset, imperfect):
    result = run_cli("score", "--data", small_dataset, "--submission", imperfect)
    assert result.code == 0, result.err
    # per-(lab, action) table: every labelled (lab, action) is listed
    truth = _annotations(small_dataset)
    table = {(row[0], row[1]): row for row in _table_rows(result.out, 6)}
    assert set(zip(truth["lab_id"], truth["action"], strict=True)) <= set(table), result.out
    labs = set(truth["lab_id"])
    per_lab = {row[0]: float(row[1]) for row in _table_rows(result.out, 2)}
    assert set(per_lab) == labs

    result_json = run_cli("score", "--data", small_dataset, "--submission", imperfect, "--json")
    assert result_json.code == 0, result_json.err
    lines = result_json.out.strip().splitlines()
    assert len(lines) == 1, "--json prints one JSON object"
    payload = json.loads(lines[0])
    solution = MabeDataset(small_dataset).solution("test", progress=False)
    expected = mabe_score(solution, pd.read_csv(imperfect))
    assert payload["score"] == pytest.approx(expected, abs=1e-12)
    assert 0.0 < payload["score"] < 1.0
    assert f"score: {expected:.6f}" in result.out
    assert set(payload["per_lab"]) == labs
    assert payload["score"] == pytest.approx(sum(payload["per_lab"].values()) / len(labs))
    for lab, value in payload["per_lab"].items():
        assert per_lab[lab] == pytest.approx(value, abs=1e-4)
    # tp + fn is the labelled frame count of each (lab, action)
    truth["frames"] = truth["stop_frame"] - truth["start_frame"]
    labelled = truth.groupby(["lab_id", "action"])["frames"].sum()
    for row in payload["table"]:
        key = (row["lab_id"], row["action"])
        if key in labelled.index:
            assert row["tp"] + row["fn"] == labelled[key]


def test_score_needs_no_tracking(run_cli, dataset_copy, perfect):
    shutil.rmtree(dataset_copy / "test_tracking")
    result = run_cli("score", "--data", dataset_copy, "--submission", perfect, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["score"] == 1.0


def _overlap(sub: pd.DataFrame) -> pd.DataFrame:
    """A second action on the first bout's (video, agent, target), overlapping it."""
    first = sub.iloc[0].copy()
    other = "attack" if first["action"] != "attack" else "sniff"
    first["action"] = other
    first["start_frame"] += 1
    return pd.concat([sub, first.to_frame().T], ignore_index=True)


def _text_frame(sub: pd.DataFrame) -> pd.DataFrame:
    sub = sub.astype({"start_frame": object})
    sub.loc[1, "start_frame"] = "abc"
    return sub


def _fractional_frame(sub: pd.DataFrame) -> pd.DataFrame:
    sub = sub.astype({"stop_frame": float})
    sub.loc[0, "stop_frame"] += 0.5
    return sub


# (name, how to make the bad file from the good rows, words the one-line message must contain)
INVALID = [
    ("overlapping actions", lambda sub, p: _write(_overlap(sub), p), ["more than one action"]),
    ("missing column", lambda sub, p: _write(sub, p).write_text(
        pd.read_csv(p).drop(columns=["action"]).to_csv(index=False)), ["missing column", "action"]),
    ("non-integer frame", lambda sub, p: _write(_text_frame(sub), p), ["start_frame", "not an integer"]),
    ("fractional frame", lambda sub, p: _write(_fractional_frame(sub), p), ["stop_frame", "not an integer"]),
    ("file missing", lambda sub, p: None, ["not found"]),
    ("not a CSV", lambda sub, p: p.write_bytes(b"PAR1\x00\x15\xff\xfe\x00\x00binary"), ["not a readable CSV"]),
    ("empty file", lambda sub, p: p.write_bytes(b""), ["not a readable CSV"]),
    ("start after stop", lambda sub, p: _write(sub.assign(start_frame=sub["stop_frame"] + 1), p), ["start_frame"]),
]


@pytest.mark.parametrize("name,make,words", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_submission_is_one_clear_line(run_cli, small_dataset, tmp_path, name, make, words):
    path = tmp_path / "bad.csv"
    make(_annotations(small_dataset), path)
    line = _one_line_error(run_cli("score", "--data", small_dataset, "--submission", path))
    assert "bad.csv" in line, line
    for word in words:
        assert word in line, line


def test_score_bad_split_and_unlabelled_split(run_cli, dataset_copy, perfect):
    assert "--split" in _one_line_error(
        run_cli("score", "--data", dataset_copy, "--submission", perfect, "--split", "val")
    )
    shutil.rmtree(dataset_copy / "test_annotation")
    assert "test_annotation" in _one_line_error(run_cli("score", "--data", dataset_copy, "--submission", perfect))


def test_submission_directory_is_refused(run_cli, small_dataset, tmp_path):
    assert "directory" in _one_line_error(run_cli("score", "--data", small_dataset, "--submission", tmp_path))


def test_installed_console_script(tmp_path):
    script = Path(sys.executable).parent / "mabe"
    assert script.is_file(), f"no console script next to {sys.executable}"
    done = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for command in ("train", "predict", "score", "evaluate", "checkpoints"):
        assert command in done.stdout

    missing = tmp_path / "nope"
    done = subprocess.run(
        [script, "score", "--data", missing, "--submission", tmp_path / "sub.csv"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("error: ")


# --------------------------------------------------------------------------- ignored rows (issue 9)


def _warning(result) -> str:
    lines = [line for line in result.err.strip().splitlines() if line.startswith("warning:")]
    assert len(lines) == 1, result.err
    return lines[0]


def test_mouse_numbers_without_the_mouse_prefix_are_reported(run_cli, small_dataset, tmp_path):
    sub = _annotations(small_dataset)
    sub["agent_id"] = sub["agent_id"].str.removeprefix("mouse")  # "1" instead of "mouse1"
    path = _write(sub, tmp_path / "numbers.csv")
    result = run_cli("score", "--data", small_dataset, "--submission", path)
    assert result.code == 0, result.err
    assert "score: 0.000000" in result.out
    line = _warning(result)
    assert f"{len(sub)} of {len(sub)} rows ignored ({len(sub)} agent/target not in the mouseN form)" in line
    line = _one_line_error(run_cli("score", "--data", small_dataset, "--submission", path, "--strict"))
    assert "numbers.csv" in line and "mouseN" in line and "--strict" in line


def test_ignored_rows_are_counted_by_reason_on_stderr_and_in_json(run_cli, small_dataset, tmp_path):
    truth = _annotations(small_dataset)
    extra = pd.concat([
        truth.iloc[:3].assign(video_id=987654),                    # 3 unknown video
        truth.iloc[:2].assign(action="not_an_action"),             # 2 not whitelisted
        truth.iloc[:1].assign(stop_frame=truth["start_frame"].iloc[0]),  # 1 zero length
    ], ignore_index=True)
    path = _write(pd.concat([truth, extra], ignore_index=True), tmp_path / "extra.csv")
    result = run_cli("score", "--data", small_dataset, "--submission", path)
    assert result.code == 0, result.err
    assert "score: 1.000000" in result.out  # none of them changes the score
    line = _warning(result)
    assert f"6 of {len(truth) + 6} rows ignored" in line
    assert "3 video not among the labelled videos" in line and "2 agent,target,action not in" in line
    assert "1 zero length" in line and "mouseN" not in line
    result = run_cli("score", "--data", small_dataset, "--submission", path, "--json")
    assert result.code == 0, result.err
    payload = json.loads(result.out)
    assert payload["ignored"] == {"unknown_video": 3, "bad_mouse_id": 0, "not_whitelisted": 2,
                                  "zero_length": 1}
    assert payload["rows"] == len(truth) + 6 and payload["score"] == 1.0
    assert "warning:" in result.err  # the JSON on stdout stays clean
    assert "6 of" in _one_line_error(
        run_cli("score", "--data", small_dataset, "--submission", path, "--strict"))


def test_clean_submission_warns_about_nothing_even_when_strict(run_cli, small_dataset, perfect):
    result = run_cli("score", "--data", small_dataset, "--submission", perfect, "--strict", "--json")
    assert result.code == 0, result.err
    assert result.err.strip() == ""
    payload = json.loads(result.out)
    assert payload["score"] == 1.0 and sum(payload["ignored"].values()) == 0


def test_empty_submission_scores_zero_with_a_warning(run_cli, small_dataset, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text(",".join(COLUMNS) + "\n")
    result = run_cli("score", "--data", small_dataset, "--submission", path)
    assert result.code == 0, result.err
    assert "score: 0.000000" in result.out
    line = _warning(result)
    assert "empty.csv" in line and "empty" in line and "Kaggle" in line
    result = run_cli("score", "--data", small_dataset, "--submission", path, "--json")
    assert result.code == 0 and json.loads(result.out)["score"] == 0.0
    assert all(row["tp"] == 0 and row["fp"] == 0 for row in json.loads(result.out)["table"])
    line = _one_line_error(run_cli("score", "--data", small_dataset, "--submission", path, "--strict"))
    assert "empty" in line and "--strict" in line


def test_predictions_on_a_labelled_video_without_bouts_cost(run_cli, dataset_copy, tmp_path):
    """A test video whose annotation file holds no bout still counts: its rows are false positives."""
    truth = _annotations(dataset_copy)
    meta = pd.read_csv(dataset_copy / "test.csv")
    video, lab = int(meta["video_id"].iloc[0]), meta["lab_id"].iloc[0]
    ann = dataset_copy / "test_annotation" / lab / f"{video}.parquet"
    pd.read_parquet(ann).iloc[:0].to_parquet(ann, index=False)  # no bout left in that video
    kept = truth[truth["video_id"] != video]
    perfect = _write(kept, tmp_path / "perfect.csv")
    assert json.loads(run_cli("score", "--data", dataset_copy, "--submission", perfect,
                              "--json").out)["score"] == 1.0
    noisy = _write(truth, tmp_path / "noisy.csv")  # the old bouts of that video are now wrong
    result = run_cli("score", "--data", dataset_copy, "--submission", noisy, "--json")
    assert result.code == 0, result.err
    payload = json.loads(result.out)
    assert payload["score"] < 1.0 and payload["per_lab"][lab] < 1.0
    assert sum(payload["ignored"].values()) == 0
    fp = sum(row["fp"] for row in payload["table"] if row["lab_id"] == lab)
    moved = truth[truth["video_id"] == video]
    assert fp == (moved["stop_frame"] - moved["start_frame"]).sum() > 0
