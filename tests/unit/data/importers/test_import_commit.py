"""Appending to csv tables and moving staged files in: old bytes untouched, failures undone."""

from __future__ import annotations

from pathlib import Path

import pytest

from mabe.data.importers import commit as commit_mod
from mabe.data.importers.commit import appended_csv, commit, staging_dir
from mabe.errors import MabeError


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_appended_csv_keeps_old_bytes_and_line_endings() -> None:
    old = b'b,a\r\n"x,1",2\r\n'
    text = appended_csv(old, ["a", "b"], [{"a": 3, "b": "y"}])
    assert text.encode() == old + b"y,3\r\n"
    assert (
        appended_csv(b"a,b\n1,2", ["a", "b"], [{"a": 5, "b": 6}]) == "a,b\n1,2\n5,6\n"
    )
    assert appended_csv(None, ["a", "b"], [{"a": 1}]) == "a,b\n1,\n"
    with pytest.raises(MabeError, match="header does not match"):
        appended_csv(b"a,c\n", ["a", "b"], [])


def _existing(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "train_tracking" / "L").mkdir(parents=True)
    (root / "train_tracking" / "L" / "1.parquet").write_bytes(b"old")
    (root / "train.csv").write_bytes(b"a\n1\n")
    return root


def test_commit_moves_new_files_and_rewrites_tables(tmp_path: Path) -> None:
    root = _existing(tmp_path)
    with staging_dir(root) as stage:
        (stage / "train_tracking" / "M").mkdir(parents=True)
        (stage / "train_tracking" / "M" / "2.parquet").write_bytes(b"new")
        commit(root, stage, {"train.csv": "a\n1\n2\n"})
    assert snapshot(root) == {
        "train.csv": b"a\n1\n2\n",
        "train_tracking/L/1.parquet": b"old",
        "train_tracking/M/2.parquet": b"new",
    }
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no staging dir left


def test_commit_refuses_to_replace_a_file(tmp_path: Path) -> None:
    root = _existing(tmp_path)
    before = snapshot(root)
    with staging_dir(root) as stage, pytest.raises(MabeError, match="already exists"):
        (stage / "train_tracking" / "L").mkdir(parents=True)
        (stage / "train_tracking" / "L" / "1.parquet").write_bytes(b"evil")
        commit(root, stage, {"train.csv": "a\n"})
    assert snapshot(root) == before


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failure_while_committing_is_undone(
    tmp_path: Path, monkeypatch, error
) -> None:
    root = _existing(tmp_path)
    before = snapshot(root)
    dirs_before = sorted(p for p in root.rglob("*") if p.is_dir())
    real = commit_mod.atomic_write_text
    calls = []

    def failing(path, text):
        calls.append(path)
        if len(calls) == 2:  # the first table is written, the second fails
            raise error
        return real(path, text)

    monkeypatch.setattr(commit_mod, "atomic_write_text", failing)
    with staging_dir(root) as stage, pytest.raises(type(error)):
        (stage / "test_tracking" / "M").mkdir(parents=True)
        (stage / "test_tracking" / "M" / "2.parquet").write_bytes(b"new")
        commit(root, stage, {"train.csv": "a\n1\n2\n", "sources.csv": "x\n"})
    assert snapshot(root) == before
    assert sorted(p for p in root.rglob("*") if p.is_dir()) == dirs_before
    assert [p.name for p in tmp_path.iterdir()] == ["data"]
