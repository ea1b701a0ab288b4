"""Readers of the Kaggle layout: every bad input gives a DataError naming file and problem."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from mabe.data import schema
from mabe.data.io import (
    MabeDataset,
    meta_from_row,
    read_annotations,
    read_metadata,
    read_tracking,
)
from mabe.errors import DataError

# ------------------------------------------------------------------ metadata


def test_read_metadata_of_a_clean_file(tiny):
    table = read_metadata(tiny.csv("train"), "train")
    assert list(table.columns) == list(schema.METADATA_COLUMNS)
    assert table["video_id"].dtype == np.int64
    assert table["video_id"].tolist() == [101, 202, 203]


def test_meta_from_row(tiny):
    rows = read_metadata(tiny.csv("train"), "train").to_dict("records")
    meta = meta_from_row(rows[1], "train")
    assert (meta.split, meta.key, meta.fps, meta.n_mice) == ("train", "LabB/202", 30.0, 3)
    assert meta.body_parts == ("head", "neck", "body_center", "tail_base")
    assert meta.behaviors_labeled == (("mouse1", "mouse3", "attack"), ("mouse2", "self", "dig"))
    assert (meta.pix_per_cm, meta.arena_shape, meta.tracking_method) == (15.5, "square", "DeepLabCut")
    assert meta_from_row(rows[2], "train").behaviors_labeled == ()


def test_meta_from_row_without_listed_mice_falls_back_to_one(tiny):
    row = read_metadata(tiny.csv("train"), "train").iloc[0].copy()
    for column in schema.MOUSE_COLUMNS:
        row[column] = np.nan
    assert meta_from_row(row, "train").n_mice == 1


def _set(column, value, row=1):
    def change(frame):
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
        return frame

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["lab_id"]), "missing column 'lab_id'"),
        (lambda f: f.drop(columns=["frames_per_second", "tracking_method"]),
         "missing columns 'frames_per_second', 'tracking_method'"),
        (lambda f: f.assign(comment="x"), "unexpected column 'comment'"),
        (_set("frames_per_second", 0), "row 2 (video_id 202): column 'frames_per_second': must be > 0"),
        (_set("frames_per_second", -30), "row 2 (video_id 202): column 'frames_per_second': must be > 0"),
        (_set("frames_per_second", np.nan), "row 2 (video_id 202): column 'frames_per_second': missing"),
        (_set("frames_per_second", "thirty"), "column 'frames_per_second': not a number: 'thirty'"),
        (_set("video_width_pix", -640), "row 2 (video_id 202): column 'video_width_pix': must be > 0"),
        (_set("behaviors_labeled", "mouse1,mouse2,sniff"),
         "row 2 (video_id 202): column 'behaviors_labeled': not valid JSON"),
        (_set("body_parts_tracked", "[nose]"),
         "row 2 (video_id 202): column 'body_parts_tracked': not valid JSON"),
        (_set("body_parts_tracked", np.nan), "column 'body_parts_tracked': missing"),
        (_set("video_id", 101), "video_id 101 appears in rows 1, 2"),
        (_set("video_id", np.nan), "row 2: column 'video_id': missing"),
        (_set("video_id", "abc"), "row 2: column 'video_id': not an integer: 'abc'"),
        (_set("lab_id", np.nan), "row 2 (video_id 202): column 'lab_id': missing"),
        (_set("lab_id", "../up"), "column 'lab_id': not a valid directory name"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_read_metadata_names_file_row_and_column(tiny, change, message):
    tiny.write_csv("train", change(tiny.read_csv("train")))
    with pytest.raises(DataError) as info:
        read_metadata(tiny.csv("train"), "train")
    assert str(info.value).startswith(f"{tiny.csv('train')}: ")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "file not found"), (b"", "empty file (0 bytes)"),
     (b"\xff\xfe\x00bad\x00", "not a readable CSV file")],
)
def test_read_metadata_unreadable_files(tiny, content, message):
    path = tiny.csv("train")
    path.unlink()
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=re.escape(f"{path}: {message}")):
        read_metadata(path, "train")


def test_read_metadata_rejects_unknown_split(tiny):
    with pytest.raises(ValueError, match="split must be one of"):
        read_metadata(tiny.csv("train"), "validation")


# ------------------------------------------------------------------ tracking


def test_read_tracking_of_a_clean_file(tiny):
    frame = read_tracking(tiny.tracking(101))
    assert list(frame.columns) == list(schema.TRACKING_COLUMNS)
    assert frame["video_frame"].max() == 39


def _cell(column, value, row=3):
    def change(frame):
        frame[column] = frame[column].astype(object) if isinstance(value, str) else frame[column]
        frame.loc[row, column] = value
        return frame

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["y"]), "missing column 'y'"),
        (lambda f: f.assign(likelihood=1.0), "unexpected column 'likelihood'"),
        (lambda f: f.assign(x=f["x"].astype(str)), "column 'x' has dtype str, expected a number"),
        (lambda f: f.assign(mouse_id=f["mouse_id"].astype(float)),
         "column 'mouse_id' has dtype float64, expected integers"),
        (lambda f: f.assign(bodypart=1), "column 'bodypart' has dtype int64, expected text"),
        (_cell("x", np.inf), "row 4 (video_frame 0, mouse_id 1, bodypart 'tail_base'): x is inf"),
        (_cell("y", np.nan), "y is nan, not a finite number"),
        (_cell("video_frame", -2), "row 4 (video_frame -2, mouse_id 1, bodypart 'tail_base'): video_frame is negative"),
        (_cell("mouse_id", 5), "mouse_id is outside 1..4"),
        (_cell("mouse_id", 0), "mouse_id is outside 1..4"),
        (_cell("bodypart", ""), "bodypart is empty"),
        (lambda f: pd.concat([f, f.iloc[[5, 7]]]),
         "2 duplicate (video_frame, mouse_id, bodypart) rows, first: row 321 (video_frame 0, "
         "mouse_id 2, bodypart 'ear_left') repeats row 6"),
        (lambda f: f.iloc[:0], "empty file (0 rows)"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_read_tracking_names_file_and_problem(tiny, change, message):
    path = tiny.tracking(101)
    spec = tiny.spec(101)  # every keypoint present: row 4 is frame 0, mouse 1, 'tail_base'
    frame = tiny.tracking_frame(spec.n_frames, spec.n_mice, spec.body_parts, absent=0.0)
    tiny.write_parquet(path, change(frame))
    with pytest.raises(DataError) as info:
        read_tracking(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.unlink(), "file not found"),
        (lambda p: p.write_bytes(b""), "empty file (0 bytes)"),
        (_truncate, "not a readable parquet file"),
        (lambda p: p.write_text("video_frame,mouse_id\n0,1\n"), "not a readable parquet file"),
    ],
    ids=["missing", "zero-bytes", "truncated", "csv-inside"],
)
def test_read_tracking_unreadable_files(tiny, damage, message):
    path = tiny.tracking(101)
    damage(path)
    with pytest.raises(DataError, match=re.escape(f"{path}: {message}")):
        read_tracking(path)


# --------------------------------------------------------------- annotations


def test_read_annotations_of_a_clean_file(tiny):
    frame = read_annotations(tiny.annotation(101), n_frames=40, n_mice=2)
    assert frame.dtypes.astype(str).to_dict() == schema.ANNOTATION_DTYPES
    assert frame["stop_frame"].max() == 40  # exclusive stop may equal the frame count


def test_unknown_actions_are_allowed(tiny):
    path = tiny.annotation(101)
    tiny.write_parquet(path, tiny.annotation_frame([(1, 2, "nuzzle", 0, 5)]))
    assert read_annotations(path)["action"].tolist() == ["nuzzle"]


def test_zero_interval_file_is_fine(tiny):
    path = tiny.annotation(101)
    tiny.write_parquet(path, tiny.annotation_frame([]))
    assert len(read_annotations(path, n_frames=40, n_mice=2)) == 0


@pytest.mark.parametrize(
    ("rows", "kwargs", "message"),
    [
        ([(1, 2, "sniff", 0, 5), (1, 2, "sniff", 10, 8)], {},
         "row 2 (agent_id 1, target_id 2, action 'sniff', start_frame 10, stop_frame 8): "
         "stop_frame is before start_frame"),
        ([(1, 2, "sniff", -3, 5)], {}, "start_frame is negative"),
        ([(1, 2, "sniff", 30, 41)], {"n_frames": 40}, "stop_frame is past the video's end (40 frames)"),
        ([(1, 3, "sniff", 0, 5)], {"n_mice": 2},
         "target_id names a mouse the video lacks (the video has 2 mice)"),
        ([(5, 1, "sniff", 0, 5)], {}, "agent_id names a mouse the video lacks (ids are 1..4)"),
        ([(1, 2, "", 0, 5)], {}, "action is empty"),
    ],
    ids=["stop-before-start", "negative-start", "past-end", "missing-mouse", "mouse-5", "empty-action"],
)
def test_read_annotations_names_file_row_and_problem(tiny, rows, kwargs, message):
    path = tiny.annotation(101)
    tiny.write_parquet(path, tiny.annotation_frame(rows))
    with pytest.raises(DataError) as info:
        read_annotations(path, **kwargs)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["action"]), "missing column 'action'"),
        (lambda f: f.assign(note="x"), "unexpected column 'note'"),
        (lambda f: f.assign(start_frame=f["start_frame"].astype(str)),
         "column 'start_frame' has dtype str, expected integers"),
    ],
)
def test_read_annotations_columns_and_dtypes(tiny, change, message):
    path = tiny.annotation(101)
    tiny.write_parquet(path, change(pd.read_parquet(path)))
    with pytest.raises(DataError, match=message):
        read_annotations(path)


# ------------------------------------------------------------------- dataset


def test_dataset_root_must_exist_and_hold_metadata(tmp_path):
    with pytest.raises(DataError, match="dataset directory not found"):
        MabeDataset(tmp_path / "nowhere")
    with pytest.raises(DataError, match="neither train.csv nor test.csv"):
        MabeDataset(tmp_path)


def test_dataset_metadata_and_metas(tiny):
    ds = MabeDataset(tiny.root)
    assert ds.splits() == ["train", "test"]
    assert ds.metadata("train") is ds.metadata("train")
    assert [m.key for m in ds.metas("train")] == ["LabA/101", "LabB/202", "LabB/203"]
    assert ds.meta("test", 301).n_mice == 2
    with pytest.raises(DataError, match="no video_id 999"):
        ds.meta("train", 999)


def test_dataset_loads_one_video(tiny):
    ds = MabeDataset(tiny.root)
    video = ds.load_video(ds.meta("train", 202))
    assert video.pose.coords.shape == (30, 3, 4, 2)
    assert video.pose.body_parts == ("head", "neck", "body_center", "tail_base")
    assert video.annotations["action"].tolist() == ["attack", "dig"]
    assert ds.load_annotations(ds.meta("train", 203)) is None  # no file
    assert ds.load_annotations(ds.meta("test", 301)) is None  # no test_annotation/
    assert (ds.has_labels("train"), ds.has_labels("test")) == (True, False)


def test_iter_videos_yields_every_video_in_order(tiny):
    ds = MabeDataset(tiny.root)
    videos = list(ds.iter_videos("train", progress=False))
    assert [v.meta.video_id for v in videos] == [101, 202, 203]
    assert [v.n_frames for v in videos] == [40, 30, 20]


def test_metadata_is_the_only_eager_read(tiny):
    shutil.rmtree(tiny.root / "train_tracking")
    ds = MabeDataset(tiny.root)
    assert len(ds.metas("train")) == 3
    with pytest.raises(DataError, match="file not found"):
        ds.load_pose(ds.metas("train")[0])


def test_solution_is_built_from_annotations_only(tiny):
    shutil.rmtree(tiny.root / "train_tracking")
    solution = MabeDataset(tiny.root).solution("train", progress=False)
    assert list(solution.columns) == list(schema.SOLUTION_COLUMNS)
    assert solution.drop(columns="behaviors_labeled").values.tolist() == [
        [101, "mouse1", "mouse2", "sniff", 0, 10, "LabA"],
        [101, "mouse2", "mouse1", "sniff", 5, 15, "LabA"],
        [101, "mouse1", "self", "rear", 20, 40, "LabA"],
        [202, "mouse1", "mouse3", "attack", 3, 8, "LabB"],
        [202, "mouse2", "self", "dig", 10, 12, "LabB"],
    ]
    assert solution["behaviors_labeled"].iloc[3] == tiny.spec(202).behaviors


def test_solution_needs_labels(tiny):
    with pytest.raises(DataError, match="no annotations for this split"):
        MabeDataset(tiny.root).solution("test", progress=False)


def test_reading_never_modifies_the_dataset(tiny):
    before = tiny.tree_digest(tiny.root)
    ds = MabeDataset(tiny.root)
    for split in ds.splits():
        for video in ds.iter_videos(split, progress=True):
            assert video.pose.n_frames > 0
    ds.solution("train", progress=True)
    assert tiny.tree_digest(tiny.root) == before


def test_columns_in_another_order_are_returned_in_schema_order(tiny):
    table = tiny.read_csv("train")
    tiny.write_csv("train", table[list(reversed(table.columns))])
    assert list(read_metadata(tiny.csv("train"), "train").columns) == list(schema.METADATA_COLUMNS)


def test_n_mice_is_the_highest_listed_mouse(tiny):
    row = read_metadata(tiny.csv("train"), "train").iloc[0].copy()
    for field in schema.MOUSE_FIELDS:
        row[f"mouse2_{field}"] = np.nan
        row[f"mouse3_{field}"] = "x" if field == "sex" else np.nan
    assert meta_from_row(row, "train").n_mice == 3


@pytest.mark.parametrize("module", ["checks", "metadata", "dense", "io", "solution", "validate"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"mabe.data.{module}"))
    assert result.failed == 0


def test_solution_without_any_interval_holds_one_placeholder_per_labelled_video(tiny):
    for path in (tiny.root / "train_annotation").rglob("*.parquet"):
        path.unlink()
    ds = MabeDataset(tiny.root)
    solution = ds.solution("train", progress=False)
    assert list(solution.columns) == list(schema.SOLUTION_COLUMNS)
    # 101 and 202 list behaviours but have no bout; 203 lists nothing, so it is not labelled
    assert solution["video_id"].tolist() == [101, 202]
    assert solution[["agent_id", "target_id", "action"]].isna().all().all()
    assert (solution["start_frame"] == 0).all() and (solution["stop_frame"] == 0).all()
    assert solution["lab_id"].tolist() == ["LabA", "LabB"]
    assert solution["behaviors_labeled"].iloc[1] == tiny.spec(202).behaviors
    bouts_only = ds.solution("train", progress=False, include_boutless=False)
    assert list(bouts_only.columns) == list(schema.SOLUTION_COLUMNS) and len(bouts_only) == 0


def test_labelled_video_with_an_empty_annotation_file_gets_a_placeholder(tiny):
    tiny.write_parquet(tiny.annotation(202), tiny.annotation_frame([]))
    solution = MabeDataset(tiny.root).solution("train", progress=False)
    assert solution["video_id"].tolist() == [101, 101, 101, 202]
    assert solution["action"].isna().tolist() == [False, False, False, True]
    # placeholders never show up as an action when bouts are counted
    assert solution.groupby(["lab_id", "action"]).size().to_dict() == {
        ("LabA", "rear"): 1, ("LabA", "sniff"): 2,
    }


def test_split_without_metadata(tiny):
    tiny.csv("test").unlink()
    ds = MabeDataset(tiny.root)
    assert ds.splits() == ["train"]
    with pytest.raises(DataError, match="test.csv: file not found"):
        ds.metas("test")


def test_fast_duplicate_marking_matches_pandas_on_random_rows():
    import numpy as np
    import pandas as pd

    from mabe.data.checks import _duplicated_keys

    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(0, 200))
        frames, mice, codes = rng.integers(-3, 20, n), rng.integers(0, 6, n), rng.integers(-1, 5, n)
        expected = pd.DataFrame({"f": frames, "m": mice, "p": codes}).duplicated().to_numpy()
        assert (_duplicated_keys(frames, mice, codes, 5) == expected).all()
