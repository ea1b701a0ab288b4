"""Long-format tracking rows to dense arrays, checked against a plain per-row loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mabe.data.dense import body_part_order, tracking_to_dense

POOL = ["nose", "ear_left", "ear_right", "neck", "tail_base", "hip_left"]


def random_tracking(seed: int) -> tuple[pd.DataFrame, list[str], int]:
    """Random small tracking: mice with gaps, absent rows, shuffled order, unlisted names."""
    rng = np.random.default_rng(seed)
    n_frames = int(rng.integers(1, 15))
    mice = sorted(rng.choice([1, 2, 3, 4], size=int(rng.integers(1, 5)), replace=False).tolist())
    parts = rng.permutation(POOL)[: int(rng.integers(1, len(POOL) + 1))].tolist()
    rows = [(f, m, p) for f in range(n_frames) for m in mice for p in parts]
    keep = rng.random(len(rows)) < 0.7
    keep[int(rng.integers(len(rows)))] = True  # never empty
    rows = [r for r, k in zip(rows, keep, strict=True) if k]
    order = rng.permutation(len(rows))
    frame = pd.DataFrame([rows[i] for i in order], columns=["video_frame", "mouse_id", "bodypart"])
    frame["x"] = rng.uniform(0, 100, len(frame)).astype(np.float32)
    frame["y"] = rng.uniform(0, 100, len(frame)).astype(np.float32)
    listed = parts[: max(1, len(parts) - int(rng.integers(0, 3)))]  # some names unlisted
    listed = listed + ["never_seen"] if seed % 2 else listed
    return frame, listed, int(rng.integers(1, 5))


def reference_dense(frame: pd.DataFrame, listed: list[str], n_mice: int) -> tuple[np.ndarray, list]:
    """The obvious per-row loop."""
    names = list(listed) + sorted(set(frame["bodypart"]) - set(listed))
    n_frames = int(frame["video_frame"].max()) + 1
    mice = max(n_mice, int(frame["mouse_id"].max()))
    out = np.full((n_frames, mice, len(names), 2), np.nan, dtype=np.float32)
    for row in frame.itertuples():
        out[row.video_frame, row.mouse_id - 1, names.index(row.bodypart)] = (row.x, row.y)
    return out, names


@pytest.mark.parametrize("seed", range(8))
def test_matches_per_row_reference(seed):
    frame, listed, n_mice = random_tracking(seed)
    expected, names = reference_dense(frame, listed, n_mice)
    pose = tracking_to_dense(frame, body_parts=listed, n_mice=n_mice)
    assert pose.coords.dtype == np.float32
    assert pose.body_parts == tuple(names)
    np.testing.assert_array_equal(pose.coords, expected)


def test_body_parts_follow_metadata_then_unknown_names_sorted():
    frame = pd.DataFrame(
        {
            "video_frame": [0, 0, 0, 1],
            "mouse_id": [1, 1, 1, 1],
            "bodypart": ["zeta_part", "nose", "alpha_part", "tail_base"],
            "x": [1.0, 2.0, 3.0, 4.0],
            "y": [5.0, 6.0, 7.0, 8.0],
        }
    )
    pose = tracking_to_dense(frame, body_parts=["tail_base", "nose", "ear_left"])
    assert pose.body_parts == ("tail_base", "nose", "ear_left", "alpha_part", "zeta_part")
    assert np.isnan(pose.coords[:, :, 2]).all()  # listed but never tracked
    assert pose.coords[0, 0, 4].tolist() == [1.0, 5.0]
    assert pose.coords[1, 0, 0].tolist() == [4.0, 8.0]


def test_without_metadata_names_are_sorted_and_categorical_works():
    frame = pd.DataFrame(
        {
            "video_frame": [0, 0],
            "mouse_id": [2, 2],
            "bodypart": pd.Categorical(["tail", "nose"]),
            "x": [1.0, 2.0],
            "y": [3.0, 4.0],
        }
    )
    pose = tracking_to_dense(frame)
    assert pose.body_parts == ("nose", "tail")
    assert pose.coords.shape == (1, 2, 2, 2)
    assert np.isnan(pose.coords[0, 0]).all()
    assert pose.coords[0, 1].tolist() == [[2.0, 4.0], [1.0, 3.0]]


@pytest.mark.parametrize(("n_mice", "slots"), [(None, 3), (1, 3), (4, 4)])
def test_mouse_axis_is_max_of_metadata_and_file(n_mice, slots):
    frame = pd.DataFrame(
        {"video_frame": [0], "mouse_id": [3], "bodypart": ["nose"], "x": [1.0], "y": [1.0]}
    )
    assert tracking_to_dense(frame, ["nose"], n_mice=n_mice).n_mice == slots


def test_empty_rows_give_zero_frames():
    frame = pd.DataFrame(
        {c: pd.Series(dtype=t) for c, t in
         {"video_frame": "int64", "mouse_id": "int64", "bodypart": "str",
          "x": "float32", "y": "float32"}.items()}
    )
    pose = tracking_to_dense(frame, ["nose", "tail"], n_mice=2)
    assert pose.coords.shape == (0, 2, 2, 2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"video_frame": [-1]}, "negative video_frame"),
        ({"mouse_id": [0]}, "mouse_id 0 < 1"),
        ({"bodypart": [None]}, "missing bodypart"),
    ],
)
def test_rejects_rows_the_readers_would_reject(change, message):
    values = {"video_frame": [0], "mouse_id": [1], "bodypart": ["nose"], "x": [1.0], "y": [1.0]}
    with pytest.raises(ValueError, match=message):
        tracking_to_dense(pd.DataFrame({**values, **change}))


def test_missing_column_is_an_error():
    with pytest.raises(ValueError, match="lack columns"):
        tracking_to_dense(pd.DataFrame({"video_frame": [0], "mouse_id": [1]}))


def test_body_part_order_drops_repeats():
    assert body_part_order(["a", "b", "a"], ["c", "b"]) == ("a", "b", "c")
