"""``atomic_write_bytes`` / ``atomic_write_json``: the shared atomic writers (issue #11)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from mabe.fileio import atomic_write_bytes, atomic_write_json, atomic_write_text, json_safe


def test_bytes_replace_the_file_whole_and_leave_no_temporary(tmp_path):
    path = tmp_path / "fig.png"
    path.write_bytes(b"old")
    assert atomic_write_bytes(path, b"\x89PNG new") == path
    assert path.read_bytes() == b"\x89PNG new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    atomic_write_text(path, "{}")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(path, b"new")
    assert path.read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_text_is_written_as_utf8_bytes_unchanged(tmp_path):
    path = atomic_write_text(tmp_path / "t.csv", "a,b\r\nµ,1\n")
    assert path.read_bytes() == "a,b\r\nµ,1\n".encode()


def test_json_is_strict_with_nan_as_null_and_numpy_as_numbers(tmp_path):
    value = {"score": float("nan"), "n": np.int64(3), 2: [np.float32(0.5), float("inf")]}
    assert json_safe(value) == {"score": None, "n": 3, "2": [0.5, None]}
    path = atomic_write_json(tmp_path / "cv.json", value)
    assert json.loads(path.read_text()) == {"score": None, "n": 3, "2": [0.5, None]}
    assert path.read_text().endswith("}\n")
