"""Random ways a user's dataset can be broken, for the fuzz tests and ``benchmarks/bench_fuzz.py``.

A :class:`Corruption` names a file kind (tracking, annotation, csv,
submission), an operation and two random numbers; :func:`apply` breaks one
file of a dataset copy that way and returns the path it changed.
"""

from __future__ import annotations

import hashlib
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mabe.cli.app import main

KINDS = ("tracking", "annotation", "csv", "submission")

OPS: dict[str, tuple[str, ...]] = {
    "tracking": ("truncate", "garbage", "dtype", "nan_inf", "negative_frames", "huge_frames", "duplicate_rows",
                 "unknown_mouse", "unicode_names", "drop_column", "empty"),
    "annotation": ("truncate", "garbage", "dtype", "nan_inf", "negative_frames", "huge_frames", "duplicate_rows",
                   "unknown_mouse", "unicode_names", "drop_column", "empty", "reversed_interval"),
    "csv": ("truncate", "bad_json", "unicode_names", "dtype", "nan_inf", "negative_numbers", "huge_numbers",
            "duplicate_rows", "drop_column", "empty", "unknown_mouse"),
    "submission": ("truncate", "dtype", "nan_inf", "negative_frames", "huge_frames", "duplicate_rows",
                   "unknown_mouse", "unicode_names", "drop_column", "empty"),
}


@dataclass(frozen=True)
class Corruption:
    """One way to break one file: ``kind``, ``op``, which file (``pick``) and a fraction ``u``."""

    kind: str
    op: str
    pick: int
    u: float

    def __str__(self) -> str:
        return f"{self.kind}:{self.op}(pick={self.pick}, u={self.u:.3f})"


def all_corruptions() -> list[tuple[str, str]]:
    """Every (kind, op)."""
    return [(kind, op) for kind in KINDS for op in OPS[kind]]


def target_file(root: Path, kind: str, pick: int, split: str | None = None) -> Path:
    """The file of ``kind`` that ``pick`` chooses (sorted, deterministic)."""
    if kind == "csv":
        files = sorted(p for p in root.glob("*.csv") if p.name != "submission.csv")
    elif kind == "submission":
        files = [root / "submission.csv"]
    else:
        files = sorted(root.glob(f"{split or '*'}_{kind}/*/*.parquet"))
    return files[pick % len(files)]


def _row(df: pd.DataFrame, u: float) -> int:
    return min(int(u * len(df)), max(len(df) - 1, 0))


def _frame_cols(df: pd.DataFrame) -> list[str]:
    return [c for c in ("video_frame", "start_frame", "stop_frame") if c in df.columns]


def _table_op(df: pd.DataFrame, op: str, u: float) -> pd.DataFrame:
    """Break a tracking, annotation or submission table."""
    df = df.copy()
    if op == "empty":
        return df.iloc[:0]
    if not len(df):
        return df
    k = _row(df, u)
    frames = _frame_cols(df)
    if op == "dtype":
        col = df.columns[int(u * len(df.columns)) % len(df.columns)]
        df[col] = df[col].astype(str) + "x"
    elif op == "nan_inf":
        num = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
        col = num[int(u * len(num)) % len(num)]
        df[col] = df[col].astype("float64")
        df.loc[df.index[k], col] = np.nan if u < 0.5 else np.inf
    elif op == "negative_frames" and frames:
        df[frames[0]] = df[frames[0]].astype("int64")
        df.loc[df.index[k], frames[0]] = -1 - int(u * 1000)
    elif op == "huge_frames" and frames:
        df[frames[-1]] = df[frames[-1]].astype("int64")
        df.loc[df.index[k], frames[-1]] = 10**12 + int(u * 1000)
    elif op == "duplicate_rows":
        df = pd.concat([df, df.iloc[k : k + 1 + int(u * 20)]], ignore_index=True)
    elif op == "unknown_mouse":
        for col in ("mouse_id", "agent_id", "target_id"):
            if col in df.columns:
                bad = 9 if pd.api.types.is_numeric_dtype(df[col]) else "mouse9"
                df[col] = df[col].astype(object)
                df.loc[df.index[k], col] = bad
                break
    elif op == "unicode_names":
        for col in ("bodypart", "action"):
            if col in df.columns:
                df[col] = df[col].astype(object)
                df.loc[df.index[k], col] = "nez_\u00e9\u00e8\u4e2d\U0001f42d"
                break
    elif op == "drop_column":
        df = df.drop(columns=[df.columns[int(u * len(df.columns)) % len(df.columns)]])
    elif op == "reversed_interval" and "start_frame" in df.columns:
        start, stop = df.loc[df.index[k], "start_frame"], df.loc[df.index[k], "stop_frame"]
        df.loc[df.index[k], ["start_frame", "stop_frame"]] = [stop, start]
    return df


def _csv_op(df: pd.DataFrame, op: str, u: float) -> pd.DataFrame:
    df = df.copy()
    if op == "empty":
        return df.iloc[:0]
    k = _row(df, u)
    if op == "bad_json":
        df["behaviors_labeled"] = df["behaviors_labeled"].astype(object)
        df.loc[df.index[k], "behaviors_labeled"] = ['["mouse1,mouse2,sniff"', "{not json", "[1, 2]", '"x"'][int(u * 4) % 4]
    elif op == "unicode_names":
        col = "lab_id" if u < 0.5 else "body_parts_tracked"
        df[col] = df[col].astype(object)
        df.loc[df.index[k], col] = "L\u00e4b\u4e2d\U0001f42d" if col == "lab_id" else '["n\u00f6se", "\u5c3e"]'
    elif op == "dtype":
        col = ("video_id", "frames_per_second", "video_duration_sec", "pix_per_cm_approx")[int(u * 4) % 4]
        df[col] = df[col].astype(str)
        df.loc[df.index[k], col] = "abc"
    elif op == "nan_inf":
        col = ("frames_per_second", "video_duration_sec", "pix_per_cm_approx")[int(u * 3) % 3]
        df.loc[df.index[k], col] = np.nan if u < 0.5 else np.inf
    elif op in ("negative_numbers", "huge_numbers"):
        col = ("frames_per_second", "video_duration_sec", "video_id")[int(u * 3) % 3]
        df[col] = df[col].astype("float64")
        df.loc[df.index[k], col] = -5 if op == "negative_numbers" else 1e15
    elif op == "duplicate_rows":
        df = pd.concat([df, df.iloc[k : k + 1]], ignore_index=True)
    elif op == "drop_column":
        df = df.drop(columns=[df.columns[int(u * len(df.columns)) % len(df.columns)]])
    elif op == "unknown_mouse":
        df["behaviors_labeled"] = df["behaviors_labeled"].astype(object)
        df.loc[df.index[k], "behaviors_labeled"] = '["mouse7,mouse9,sniff"]'
    return df


def apply(root: Path, c: Corruption, split: str | None = None) -> Path:
    """Break one file under ``root`` as ``c`` says; returns that file."""
    path = target_file(root, c.kind, c.pick, split)
    data = path.read_bytes()
    if c.op == "truncate":
        path.write_bytes(data[: int(c.u * len(data))])
    elif c.op == "garbage":
        path.write_bytes(bytes((b ^ 0x5A) if i % 7 == 3 else b for i, b in enumerate(data)))
    elif c.kind in ("csv", "submission"):
        df = pd.read_csv(path)
        out = _csv_op(df, c.op, c.u) if c.kind == "csv" else _table_op(df, c.op, c.u)
        out.to_csv(path, index=False)
    else:
        out = _table_op(pd.read_parquet(path), c.op, c.u)
        out.to_parquet(path, index=False)
    return path


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (to prove a command changed nothing)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def invoke(*args: object) -> Outcome:
    """Run ``mabe`` in-process and capture what a user would see."""

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Outcome(code, out.getvalue(), err.getvalue())


def judge(outcome: Outcome, broken: Path, allowed: tuple[int, ...] = (0,)) -> str | None:
    """Why ``outcome`` breaks the rules (``None`` if it is fine).

    Fine: an allowed exit code (0; ``validate`` also 1) without a traceback,
    or exit 2 with exactly one line on stderr that names the broken file
    (its name or its folder).
    """
    err = outcome.err.strip()
    if "Traceback" in outcome.err or "internal error" in outcome.err:
        return f"traceback or internal error (exit {outcome.code}): {err[-600:]}"
    if outcome.code in allowed:
        return None
    if outcome.code != 2:
        return f"exit {outcome.code}: {err[-600:]}"
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("mabe: ")]
    if len(lines) != 1:
        return f"{len(lines)} lines on stderr: {err[-600:]}"
    names = (broken.name, broken.parent.name, broken.stem)
    if not any(name in lines[0] for name in names):
        return f"error does not name {broken.name}: {lines[0]}"
    return None


def dumps(c: Corruption) -> str:
    return json.dumps({"kind": c.kind, "op": c.op, "pick": c.pick, "u": c.u})
