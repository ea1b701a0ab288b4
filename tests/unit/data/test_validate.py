"""validate_dataset: a clean dataset gives [], a broken one lists every problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mabe.data.validate import Problem, validate_dataset


def test_problem_reads_as_path_colon_message():
    assert str(Problem(Path("data/train.csv"), "missing column 'lab_id'")) == (
        "data/train.csv: missing column 'lab_id'"
    )


def test_clean_dataset_has_no_problems(tiny):
    assert validate_dataset(tiny.root, progress=False) == []


def test_validating_never_modifies_the_dataset(tiny):
    before = tiny.tree_digest(tiny.root)
    validate_dataset(tiny.root, progress=True)
    assert tiny.tree_digest(tiny.root) == before


@pytest.mark.parametrize(
    ("make_root", "message"),
    [
        (lambda tmp: tmp / "nowhere", "dataset directory not found"),
        (lambda tmp: tmp, "neither train.csv nor test.csv"),
    ],
)
def test_not_a_dataset_is_one_problem(tmp_path, make_root, message):
    root = make_root(tmp_path)
    problems = validate_dataset(root, progress=False)
    assert len(problems) == 1
    assert problems[0].path == root and message in problems[0].message


def break_everything(tiny) -> list[tuple[str, str]]:
    """Damage the tiny dataset in many ways; return the (path suffix, message) expected."""
    table = tiny.read_csv("train")
    table.loc[1, "frames_per_second"] = -30.0
    table["behaviors_labeled"] = table["behaviors_labeled"].astype(object)
    table.loc[2, "behaviors_labeled"] = "sniff"
    tiny.write_csv("train", table)

    tracking = pd.read_parquet(tiny.tracking(101))
    tracking.loc[0, "x"] = np.inf
    tracking.loc[1, "bodypart"] = "tail_tip"
    tracking.loc[1, "video_frame"] = 10_000  # unique key; also lengthens the video
    tiny.write_parquet(tiny.tracking(101), tracking)
    tiny.write_parquet(
        tiny.annotation(101),
        tiny.annotation_frame([(1, 2, "sniff", 0, 5), (2, 2, "rear", 0, 3), (1, 2, "sniff", 9, 4)]),
    )

    tracking = pd.read_parquet(tiny.tracking(202))
    tracking.loc[tracking.index[-1], "mouse_id"] = 4
    tiny.write_parquet(tiny.tracking(202), tracking)
    tiny.write_parquet(tiny.annotation(202), tiny.annotation_frame([(1, 3, "attack", 0, 31)]))

    tiny.tracking(203).unlink()
    data = tiny.tracking(301).read_bytes()
    tiny.tracking(301).write_bytes(data[: len(data) // 2])
    shutil.copy(tiny.tracking(202), tiny.root / "train_tracking/LabA/999.parquet")
    tiny.write_parquet(tiny.root / "train_annotation/LabC/5.parquet", tiny.annotation_frame([]))
    (tiny.root / "train_tracking/LabA/notes.parquet").write_bytes(b"")
    return [
        ("train.csv", "row 2 (video_id 202): column 'frames_per_second': must be > 0, got -30.0"),
        ("train.csv", "row 3 (video_id 203): column 'behaviors_labeled': not valid JSON"),
        ("train_tracking/LabA/101.parquet", "row 1 (video_frame 0, mouse_id 1, bodypart 'nose'): x is inf"),
        ("train_tracking/LabA/101.parquet", "body parts not in body_parts_tracked of train.csv: 'tail_tip'"),
        ("train_annotation/LabA/101.parquet", "row 3 (agent_id 1, target_id 2, action 'sniff', "
         "start_frame 9, stop_frame 4): stop_frame is before start_frame"),
        ("train_annotation/LabA/101.parquet", "annotates mouse2,self,rear (1 interval), "
         "which is not in behaviors_labeled of train.csv"),
        ("train_tracking/LabB/202.parquet", "mouse_id 4 in tracking but train.csv lists 3 mice"),
        ("train_annotation/LabB/202.parquet", "stop_frame is past the video's end (30 frames)"),
        ("train_tracking/LabB/203.parquet", "tracking file missing for train.csv row 3 (video_id 203)"),
        ("train_tracking/LabA/999.parquet", "no row in train.csv for this tracking file"),
        ("train_annotation/LabC/5.parquet", "no row in train.csv for this annotation file"),
        ("train_tracking/LabA/notes.parquet", "not named train_tracking/<lab_id>/<video_id>.parquet"),
        ("test_tracking/LabA/301.parquet", "not a readable parquet file"),
    ]


def test_every_problem_is_listed(tiny):
    expected = break_everything(tiny)
    problems = validate_dataset(tiny.root, progress=False)
    found = [(p.path.relative_to(tiny.root).as_posix(), p.message) for p in problems]
    for suffix, message in expected:
        assert any(path == suffix and message in text for path, text in found), (
            f"{suffix}: {message!r} not in\n" + "\n".join(map(str, problems))
        )
    assert len(problems) == len(expected)


def test_files_of_a_split_without_metadata_are_orphans(tiny):
    tiny.csv("test").unlink()
    problems = validate_dataset(tiny.root, progress=False)
    assert [str(p.path.relative_to(tiny.root)) for p in problems] == ["test_tracking/LabA/301.parquet"]
    assert problems[0].message == "no row in test.csv for this tracking file"


def test_unusable_metadata_is_reported_without_per_video_noise(tiny):
    tiny.write_csv("train", tiny.read_csv("train").drop(columns=["lab_id", "video_id"]))
    problems = validate_dataset(tiny.root, progress=False)
    assert [p.message for p in problems] == ["missing columns 'lab_id', 'video_id'"]


def _no_careful_path(monkeypatch) -> None:
    def refuse(path):
        raise AssertionError(f"{path}: a clean file should take the streaming reader")

    monkeypatch.setattr("mabe.data.validate.check_tracking", refuse)


def test_clean_tracking_is_read_once_by_the_streaming_reader(tiny, monkeypatch):
    _no_careful_path(monkeypatch)
    assert validate_dataset(tiny.root, progress=False) == []


def test_streaming_reader_still_reports_what_disagrees_with_the_metadata(tiny, monkeypatch):
    # clean files (no value problem) whose content disagrees with train.csv
    tracking = pd.read_parquet(tiny.tracking(101))
    extra = tracking.iloc[[0]].assign(bodypart="tail_tip")
    tiny.write_parquet(tiny.tracking(101), pd.concat([tracking, extra], ignore_index=True))
    tracking = pd.read_parquet(tiny.tracking(202))
    tracking.loc[tracking.index[-1], "mouse_id"] = 4
    tiny.write_parquet(tiny.tracking(202), tracking)
    tiny.write_parquet(tiny.annotation(202), tiny.annotation_frame([(1, 2, "attack", 0, 31)]))
    with monkeypatch.context() as patch:  # the careful path for every file, as before streaming
        patch.setattr("mabe.data.validate.stream_pose", lambda *args, **kwargs: None)
        careful = [str(p) for p in validate_dataset(tiny.root, progress=False)]
    _no_careful_path(monkeypatch)
    streamed = [str(p) for p in validate_dataset(tiny.root, progress=False)]
    assert streamed == careful
    assert any("body parts not in body_parts_tracked of train.csv: 'tail_tip'" in s for s in streamed)
    assert any("mouse_id 4 in tracking but train.csv lists 3 mice" in s for s in streamed)
    assert any("stop_frame is past the video's end (30 frames)" in s for s in streamed)
