"""The streaming pose reader gives exactly what the pandas path gave, and frees its memory.

``reference_load_pose`` is a frozen copy of ``MabeDataset.load_pose`` before
the streaming reader (pandas ``read_parquet`` -> factorize -> one fancy-indexed
assignment); it is the oracle every comparison here is made against.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mabe.data import stream
from mabe.data.checks import check_tracking
from mabe.data.io import MabeDataset, read_pose
from mabe.data.synth import synthesize
from mabe.errors import DataError

SHARED = Path(
    os.environ.get("MABE_SHARED_DATA", Path(__file__).resolve().parents[3] / ".." / "shared" / "data")
)
"""The real data: ``<repo>/../shared/data`` (``MABE_SHARED_DATA`` points elsewhere)."""


# ------------------------------------------------------------ the reference


def _reference_order(listed: Sequence[str] | None, found: Sequence[str]) -> tuple[str, ...]:
    names = dict.fromkeys(listed or ())
    return tuple(names) + tuple(sorted(set(found) - set(names)))


def reference_load_pose(
    path: Path, body_parts: Sequence[str] | None, n_mice: int | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The previous implementation (clean files): pandas read, factorize, scatter."""
    df = pd.read_parquet(path)
    frames = df["video_frame"].to_numpy(dtype=np.int64)
    mice = df["mouse_id"].to_numpy(dtype=np.int64)
    codes, uniques = pd.factorize(df["bodypart"])
    found = [str(name) for name in uniques]
    names = _reference_order(body_parts, found)
    slot_of = {name: i for i, name in enumerate(names)}
    lookup = np.array([slot_of[name] for name in found], dtype=np.int64)
    n_frames = int(frames.max()) + 1 if len(df) else 0
    n_slots = max(int(n_mice or 1), int(mice.max()) if len(df) else 0)
    coords = np.full((n_frames, n_slots, len(names), 2), np.nan, dtype=np.float32)
    xy = np.stack([df["x"].to_numpy(np.float32), df["y"].to_numpy(np.float32)], axis=1)
    coords[frames, mice - 1, lookup[codes]] = xy
    return coords, names


def assert_same_as_reference(path: Path, body_parts: Sequence[str] | None, n_mice: int | None):
    pose = read_pose(path, body_parts=body_parts, n_mice=n_mice)
    coords, names = reference_load_pose(path, body_parts, n_mice)
    assert pose.body_parts == names
    assert pose.coords.dtype == np.float32 and pose.coords.flags.c_contiguous
    assert pose.coords.shape == coords.shape
    np.testing.assert_array_equal(pose.coords, coords)  # NaN == NaN here


def assert_dataset_same(root: Path, every: int = 1) -> int:
    ds = MabeDataset(root)
    n = 0
    for split in ds.splits():
        for meta in ds.metas(split)[::every]:
            path = ds.tracking_path(meta)
            assert stream.stream_pose(path, meta.body_parts, meta.n_mice) is not None, path
            assert_same_as_reference(path, meta.body_parts, meta.n_mice)
            n += 1
    return n


# ---------------------------------------------------------- real and simulated


@pytest.fixture(scope="module")
def every_lab(tmp_path_factory) -> Path:
    """One short video of each lab of the catalog."""
    from mabe.data.catalog import load_catalog

    labs = sorted(load_catalog())
    root = tmp_path_factory.mktemp("labs") / "data"
    synthesize(root, n_videos=len(labs), seed=3, labs=labs, minutes=0.1, progress=False)
    return root


def test_identical_on_every_simulated_lab(every_lab):
    assert assert_dataset_same(every_lab) >= 19


@pytest.mark.slow
def test_identical_on_the_real_calms21_windows(tmp_path):
    script = SHARED / "calms21_to_kaggle.py"
    if not script.is_file():
        pytest.skip(f"{SHARED} not present")
    out = tmp_path / "calms21"
    subprocess.run([sys.executable, str(script), str(out)], check=True, capture_output=True)
    assert assert_dataset_same(out, every=7) >= 200  # 1,400 videos; converting them is the slow part


# ------------------------------------------------------------ unusual files


def _write(path: Path, frame: pd.DataFrame, **kwargs) -> Path:
    frame.to_parquet(path, **kwargs)
    return path


def _long(n_frames=50, mice=(1, 2), parts=("nose", "tail"), seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f, m, p = np.meshgrid(np.arange(n_frames), mice, np.arange(len(parts)), indexing="ij")
    keep = rng.random(f.size) > 0.2  # missing keypoints
    df = pd.DataFrame(
        {
            "video_frame": f.ravel()[keep],
            "mouse_id": m.ravel()[keep],
            "bodypart": np.asarray(parts, dtype=object)[p.ravel()[keep]],
            "x": rng.normal(300, 50, keep.sum()).astype(np.float32),
            "y": rng.normal(200, 50, keep.sum()).astype(np.float32),
        }
    )
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order


@pytest.mark.parametrize(
    "variant",
    [
        lambda d: d,
        lambda d: d.astype({"video_frame": "int32", "mouse_id": "int8", "x": "float64"}),
        lambda d: d.astype({"video_frame": "uint16", "x": "int64", "y": "int32"}).assign(x=7, y=-3),
        lambda d: d.astype({"bodypart": "category"}),
        lambda d: d.set_index(pd.Index(np.arange(len(d)) * 3, name="i")),  # stored index column
        lambda d: d[["y", "x", "bodypart", "mouse_id", "video_frame"]],
    ],
)
@pytest.mark.parametrize("row_group_size", [None, 37])
def test_identical_on_unusual_but_clean_files(tmp_path, variant, row_group_size, monkeypatch):
    monkeypatch.setattr(stream, "_BATCH_ROWS", 29)  # many batches, each with its own dictionary
    path = _write(tmp_path / "t.parquet", variant(_long()), row_group_size=row_group_size)
    assert stream.stream_pose(path, ["nose", "tail"], 2) is not None
    for listed, n_mice in [(["nose", "tail"], 2), (["tail"], 4), (None, None), (["ear", "nose"], 1)]:
        assert_same_as_reference(path, listed, n_mice)


def test_unlisted_parts_first_seen_late_are_sorted_after_the_listed_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "_BATCH_ROWS", 16)
    df = _long(parts=("nose", "tail", "zeta", "alpha")).sort_values("video_frame")
    df = df[~((df["video_frame"] < 30) & df["bodypart"].isin(["zeta", "alpha"]))]
    path = _write(tmp_path / "t.parquet", df, row_group_size=40)
    pose = read_pose(path, ["tail", "nose"], 2)
    assert pose.body_parts == ("tail", "nose", "alpha", "zeta")
    assert_same_as_reference(path, ["tail", "nose"], 2)


def test_a_file_without_statistics_still_loads_the_same(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pandas(_long(), preserve_index=False), path, write_statistics=False)
    assert stream.stream_pose(path, ["nose"], 2) is None  # careful path
    assert_same_as_reference(path, ["nose"], 2)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.assign(x=d["x"].where(d.index != 7, np.nan)),
        lambda d: d.assign(y=d["y"].where(d.index != 3, np.inf)),
        lambda d: d.assign(video_frame=d["video_frame"].where(d.index != 5, -1)),
        lambda d: d.assign(mouse_id=d["mouse_id"].where(d.index != 9, 5)),
        lambda d: d.assign(mouse_id=d["mouse_id"].where(d.index != 9, 0)),
        lambda d: d.assign(bodypart=d["bodypart"].where(d.index != 2, " ")),
        lambda d: d.assign(bodypart=d["bodypart"].where(d.index != 2, None)),
        lambda d: pd.concat([d, d.iloc[[4]]], ignore_index=True),  # duplicate keypoint
        lambda d: d.assign(video_frame=d["video_frame"].astype(float)),
        lambda d: d.assign(x=d["x"].astype(str)),
        lambda d: d.assign(extra=1),
        lambda d: d.drop(columns=["y"]),
        lambda d: d.iloc[:0],
    ],
)
def test_bad_files_raise_the_checks_first_message(tmp_path, change, monkeypatch):
    monkeypatch.setattr(stream, "_BATCH_ROWS", 16)
    path = _write(tmp_path / "t.parquet", change(_long()), row_group_size=20)
    assert stream.stream_pose(path, ["nose"], 2) is None
    problems = check_tracking(path).problems
    assert problems
    with pytest.raises(DataError) as info:
        read_pose(path, ["nose"], 2)
    assert str(info.value) == f"{path}: {problems[0]}"


def test_unreadable_files_raise_as_before(tmp_path):
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet at all")
    for path in (empty, junk, tmp_path / "missing.parquet"):
        with pytest.raises(DataError, match=r"^" + str(path).replace(".", r"\.") + ": "):
            read_pose(path)


# ------------------------------------------------------------------ memory


def _arrow_bytes() -> int:
    pools = [pa.default_memory_pool(), stream._reading_pool()]
    return sum(p.bytes_allocated() for p in pools if p is not None)


def test_nothing_is_held_after_a_load(tmp_path):
    path = _write(tmp_path / "t.parquet", _long(n_frames=3000, mice=(1, 2, 3)), row_group_size=5000)
    read_pose(path, ["nose", "tail"], 3)  # warm-up: imports, caches, pools
    gc.collect()
    arrow_before = _arrow_bytes()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        pose = read_pose(path, ["nose", "tail"], 3)
        size = pose.coords.nbytes
        held_with_pose, peak = tracemalloc.get_traced_memory()
        del pose
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held_with_pose - before >= size  # the pose itself was traced
    assert after - before < 64 * 1024, "memory still held after the pose was dropped"
    assert _arrow_bytes() <= arrow_before
    # numpy's share of the transient peak: the pose plus one batch, not the long table
    assert peak - before < 3 * size
