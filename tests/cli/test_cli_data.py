"""End-to-end: `mabe synth`, `validate` and `info` on clean and corrupted datasets."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def _first_file(root: Path, kind: str) -> Path:
    return sorted((root / kind).rglob("*.parquet"))[0]


def _edit_parquet(path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    edit(pd.read_parquet(path)).to_parquet(path, index=False)


def _edit_csv(path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    edit(pd.read_csv(path)).to_csv(path, index=False)


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _set_row0(column: str, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        df[column] = df[column].astype(object)
        df.loc[0, column] = value
        return df

    return edit


def _coords_as_text(df):
    df["x"] = df["x"].astype(str)
    return df


def _duplicate_rows(df):
    return pd.concat([df, df.iloc[:3]], ignore_index=True)


def _stop_before_start(df):
    df.loc[0, "stop_frame"] = df.loc[0, "start_frame"] - 1
    return df


def _past_end(df):
    df.loc[0, "stop_frame"] = np.int32(10_000_000)
    return df


def _absent_mouse(df):
    df.loc[0, "agent_id"] = np.int8(4)
    return df


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


# (name, which file, how to corrupt it, words the message must contain)
CORRUPTIONS = [
    ("missing metadata column", "train.csv", lambda p: _edit_csv(p, lambda d: d.drop(columns=["arena_shape"])), "arena_shape"),
    ("extra metadata column", "train.csv", lambda p: _edit_csv(p, lambda d: d.assign(bogus=1)), "bogus"),
    ("behaviors_labeled not JSON", "train.csv", lambda p: _edit_csv(p, _set_row0("behaviors_labeled", "[mouse1,mouse2")), "behaviors_labeled"),
    ("fps zero", "train.csv", lambda p: _edit_csv(p, _set_row0("frames_per_second", 0)), "frames_per_second"),
    ("fps missing", "train.csv", lambda p: _edit_csv(p, _set_row0("frames_per_second", np.nan)), "frames_per_second"),
    ("fps text", "train.csv", lambda p: _edit_csv(p, _set_row0("frames_per_second", "fast")), "frames_per_second"),
    ("duplicate video id", "train.csv", lambda p: _edit_csv(p, lambda d: pd.concat([d, d.iloc[:1]])), "video_id"),
    ("metadata not csv", "train.csv", lambda p: p.write_bytes(b"\x00\xff\xfe garbage \x00"), "train.csv"),
    ("empty metadata", "train.csv", lambda p: p.write_bytes(b""), "train.csv"),
    ("coordinates as text", "train_tracking", lambda p: _edit_parquet(p, _coords_as_text), "'x'"),
    ("inf coordinate", "train_tracking", lambda p: _edit_parquet(p, _set_row0("x", np.inf)), "inf"),
    ("duplicate keypoint rows", "train_tracking", lambda p: _edit_parquet(p, _duplicate_rows), "duplicate"),
    ("negative frame", "train_tracking", lambda p: _edit_parquet(p, _set_row0("video_frame", -5)), "video_frame"),
    ("mouse id out of range", "train_tracking", lambda p: _edit_parquet(p, _set_row0("mouse_id", 7)), "mouse_id"),
    ("missing tracking column", "train_tracking", lambda p: _edit_parquet(p, lambda d: d.drop(columns=["y"])), "'y'"),
    ("truncated tracking", "train_tracking", _truncate, "parquet"),
    ("empty tracking file", "train_tracking", lambda p: p.write_bytes(b""), "empty"),
    ("zero-row tracking", "train_tracking", lambda p: _edit_parquet(p, lambda d: d.iloc[:0]), "0 rows"),
    ("tracking file missing", "train_tracking", lambda p: p.unlink(), "missing"),
    ("annotation stop before start", "train_annotation", lambda p: _edit_parquet(p, _stop_before_start), "stop_frame"),
    ("annotation past video end", "train_annotation", lambda p: _edit_parquet(p, _past_end), "end"),
    ("annotation names absent mouse", "train_annotation", lambda p: _edit_parquet(p, _absent_mouse), "mouse"),
    ("annotation missing column", "train_annotation", lambda p: _edit_parquet(p, lambda d: d.drop(columns=["action"])), "action"),
    ("truncated annotation", "train_annotation", _truncate, "parquet"),
]


def _target(root: Path, where: str) -> Path:
    return root / where if where.endswith(".csv") else _first_file(root, where)


@pytest.mark.parametrize("name,where,corrupt,word", CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
def test_validate_reports_each_corruption_clearly(run_cli, dataset_copy, name, where, corrupt, word):
    target = _target(dataset_copy, where)
    corrupt(target)
    before = _tree_hash(dataset_copy)
    result = run_cli("validate", dataset_copy)
    assert result.code == 1, result
    assert "Traceback" not in result.err
    problem_lines = [line for line in result.err.splitlines() if target.name in line]
    assert problem_lines, f"no line names {target.name}:\n{result.err}"
    assert any(word.lower() in line.lower() for line in problem_lines), result.err
    assert _tree_hash(dataset_copy) == before, "validate must not write into the dataset"


def test_validate_clean_dataset_passes(run_cli, small_dataset):
    result = run_cli("validate", small_dataset)
    assert result.code == 0, result.err
    assert "no problems found" in result.out


def test_validate_lists_every_problem_not_just_the_first(run_cli, dataset_copy):
    _edit_parquet(_first_file(dataset_copy, "train_tracking"), _set_row0("x", np.inf))
    _edit_parquet(_first_file(dataset_copy, "train_annotation"), _stop_before_start)
    _edit_csv(dataset_copy / "test.csv", _set_row0("frames_per_second", -1))
    result = run_cli("validate", dataset_copy)
    assert result.code == 1
    assert "3 problem(s) found" in result.err


def test_missing_dataset_is_one_line_error(run_cli, tmp_path):
    result = run_cli("info", tmp_path / "nope")
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "nope" in lines[0] and "Traceback" not in result.err


def test_validate_missing_dataset_is_a_problem(run_cli, tmp_path):
    result = run_cli("validate", tmp_path / "nope")
    assert result.code == 1
    assert "nope: dataset directory not found" in result.err and "Traceback" not in result.err


def test_info_on_corrupt_metadata_is_one_line_error(run_cli, dataset_copy):
    _edit_csv(dataset_copy / "train.csv", _set_row0("behaviors_labeled", "{not json"))
    result = run_cli("info", dataset_copy)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "train.csv" in lines[0] and "behaviors_labeled" in lines[0]


def test_debug_flag_shows_traceback(run_cli, tmp_path):
    result = run_cli("--debug", "info", tmp_path / "nope")
    assert result.code == 2  # --debug adds the traceback, the exit code stays that of a user error
    assert "Traceback" in result.err and "dataset directory not found" in result.err.strip().splitlines()[-1]


def test_info_tables(run_cli, small_dataset):
    result = run_cli("info", small_dataset)
    assert result.code == 0, result.err
    for word in ("CalMS21_task2", "JovialSwallow", "train", "test", "frames", "bouts_train"):
        assert word in result.out
    meta = pd.read_csv(small_dataset / "train.csv").set_index("video_id")
    counts: dict[tuple[str, str], int] = {}
    for path in (small_dataset / "train_annotation").rglob("*.parquet"):
        lab = meta.loc[int(path.stem), "lab_id"]
        for action, n in pd.read_parquet(path)["action"].value_counts().items():
            counts[(lab, action)] = counts.get((lab, action), 0) + int(n)
    assert counts
    rows = [line.split("│") for line in result.out.splitlines() if line.count("│") == 5]
    table = {(r[1].strip(), r[2].strip()): int(r[3]) for r in rows}
    for key, n in counts.items():
        assert table[key] == n, key


def test_synth_refuses_non_empty_out_and_leaves_it(run_cli, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = run_cli("synth", "--out", out, "--videos", 2)
    assert result.code == 2
    assert "not empty" in result.err
    assert (out / "precious.txt").read_text() == "keep me"
    assert [p.name for p in out.iterdir()] == ["precious.txt"]


def test_synth_unknown_lab(run_cli, tmp_path):
    result = run_cli("synth", "--out", tmp_path / "d", "--videos", 2, "--labs", "NoSuchLab")
    assert result.code == 2 and "NoSuchLab" in result.err
    assert not (tmp_path / "d").exists()


def test_synth_cli_writes_kaggle_layout(run_cli, tmp_path):
    out = tmp_path / "d"
    result = run_cli("synth", "--out", out, "--videos", 3, "--labs", "CRIM13", "--minutes", 0.5, "--seed", 3)
    assert result.code == 0, result.err
    assert "3 videos" in result.out
    for name in ("train.csv", "test.csv", "train_tracking", "train_annotation", "test_tracking", "test_annotation"):
        assert (out / name).exists(), name
