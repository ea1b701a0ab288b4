"""Label files (BORIS, interval tables, per-frame tables) -> checked intervals and whitelists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared_data
from mabe.data.importers import boris, frames, intervals, labels
from mabe.errors import DataError

INFO = labels.RecordingInfo("s1_DLC", 30.0, 300, ("adult", "juvenile"))
OTHER = labels.RecordingInfo("s2_DLC", 30.0, 300, ("a", "b", "c"))

BORIS_HEAD = "Time,Media file path,Total length,FPS,Subject,Behavior,Behavioral category,Comment,Status\n"


def _boris(tmp_path: Path, rows: list[str], name: str = "s1_boris.csv") -> Path:
    path = tmp_path / name
    path.write_text(
        "Observation id,X\n,\n" + BORIS_HEAD + "".join(r + "\n" for r in rows)
    )
    return path


def resolved(table: labels.LabelTable, infos=(INFO,)) -> list[tuple]:
    frame = labels.resolve(table, list(infos))
    return [tuple(r) for r in frame.drop(columns="recording").itertuples(index=False)]


def test_real_boris_export_gives_its_ten_bouts() -> None:
    found = sorted((shared_data() / "ethome_dlc").glob("*_boris.csv"))
    if not found:
        pytest.skip("shared data absent")
    info = labels.RecordingInfo(
        found[0].stem.replace("_boris", "_DLC"), 30.0, 5700, ("adult", "juvenile")
    )
    table = boris.read_boris(found[0], [info], target="juvenile")
    rows = resolved(table, [info])
    assert len(rows) == 10
    assert rows[0] == (1, 2, "interact", 896, 1042)  # 29.850 s .. 34.725 s at 30 fps
    assert rows[-1] == (1, 2, "interact", 5225, 5417)  # 174.150 s .. 180.550 s
    assert table.rows["row"].iloc[0] == "lines 17-18"  # header on line 16


def test_boris_target_from_modifier_else_option_else_error(tmp_path: Path) -> None:
    head = "Time,Subject,Behavior,Modifier #1,Status\n"
    path = tmp_path / "s1_boris.csv"
    path.write_text(
        head + "1.0,adult,sniff,juvenile,START\n2.0,adult,sniff,juvenile,STOP\n"
    )
    assert resolved(boris.read_boris(path, [INFO])) == [(1, 2, "sniff", 30, 60)]
    plain = _boris(
        tmp_path,
        ["1.0,,,30.0,juvenile,rear,,,START", "1.5,,,30.0,juvenile,rear,,,STOP"],
    )
    assert resolved(boris.read_boris(plain, [INFO], target="self")) == [
        (2, 2, "rear", 30, 45)
    ]
    with pytest.raises(
        DataError, match=r"line 4: no target for 'rear' by 'juvenile'.*--target"
    ):
        boris.read_boris(plain, [INFO])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            ["1.0,,,30,adult,bite,,,POINT"],
            r"line 4: POINT event 'bite' has no duration",
        ),
        (["1.0,,,30,adult,sniff,,,STOP"], r"line 4: STOP of 'sniff' without a START"),
        (
            ["1.0,,,30,adult,sniff,,,START"],
            r"line 4: START of 'sniff' by 'adult' is never stopped",
        ),
        (
            ["1.0,,,25,adult,sniff,,,START"],
            r"line 4: FPS 25 differs from s1_DLC \(30 fps\)",
        ),
        (["x,,,30,adult,sniff,,,START"], r"line 4: Time 'x' is not a number"),
    ],
)
def test_boris_refusals_name_file_and_line(
    tmp_path: Path, rows: list[str], message: str
) -> None:
    path = _boris(tmp_path, rows)
    with pytest.raises(DataError, match=message) as info:
        boris.read_boris(path, [INFO], target="juvenile")
    assert str(info.value).startswith(str(path))


def test_boris_unknown_subject_is_refused_at_resolve(tmp_path: Path) -> None:
    path = _boris(tmp_path, ["1.0,,,30,rat,sniff,,,START", "2.0,,,30,rat,sniff,,,STOP"])
    with pytest.raises(
        DataError, match=r"lines 4-5: unknown subject/agent 'rat' .*adult, juvenile"
    ):
        labels.resolve(boris.read_boris(path, [INFO], target="juvenile"), [INFO])


def test_boris_file_is_matched_to_its_pose_file_by_name(tmp_path: Path) -> None:
    path = _boris(
        tmp_path,
        ["1.0,,,30,b,sniff,,,START", "2.0,,,30,b,sniff,,,STOP"],
        "s2_boris.csv",
    )
    table = boris.read_boris(path, [INFO, OTHER], target="c")
    assert set(table.rows["recording"]) == {1}
    alone = _boris(tmp_path, ["1.0,,,30,b,sniff,,,START"], "zzz.csv")
    with pytest.raises(DataError, match="cannot tell which pose file"):
        boris.read_boris(alone, [INFO, OTHER])


def _intervals(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text(text)
    return path


def test_intervals_in_frames_and_seconds_with_names_or_mouse_ids(
    tmp_path: Path,
) -> None:
    path = _intervals(
        tmp_path,
        "video,agent,target,action,start_frame,stop_frame,start_s,stop_s\n"
        "s1_DLC,adult,juvenile,sniff,10,20,,\n"
        "s1_DLC,mouse2,,rear,,,1.0,2.0\n"
        "s2_DLC,c,c,rear,5,6,,\n",
    )
    table = intervals.read_intervals(path, [INFO, OTHER])
    frame = labels.resolve(table, [INFO, OTHER])
    assert frame.values.tolist() == [
        [0, 1, 2, "sniff", 10, 20],
        [0, 2, 2, "rear", 30, 60],
        [1, 3, 3, "rear", 5, 6],
    ]
    assert (
        frame.dtypes["agent_id"] == np.int8 and frame.dtypes["start_frame"] == np.int32
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("s1_DLC,rat,,sniff,1,2", r"line 2: unknown subject/agent 'rat'"),
        ("s1_DLC,adult,wolf,sniff,1,2", r"line 2: unknown target 'wolf'"),
        (
            "s1_DLC,adult,juvenile,sniff,20,10",
            r"line 2: stop \(10\) is before start \(20\)",
        ),
        (
            "s1_DLC,adult,juvenile,sniff,290,301",
            r"line 2: interval \[290, 301\) goes beyond the video",
        ),
        ("s1_DLC,mouse3,,rear,1,2", r"line 2: unknown subject/agent 'mouse3'"),
        ("nope,adult,,rear,1,2", r"no row is about a pose file of this import \(rows name nope; imported: s1_DLC\)"),
        ("s1_DLC,adult,,rear,1.5,2", r"line 2: start_frame '1.5' is not a whole frame"),
    ],
)
def test_bad_interval_rows_are_refused_naming_the_line(
    tmp_path: Path, row: str, message: str
) -> None:
    path = _intervals(
        tmp_path, "video,agent,target,action,start_frame,stop_frame\n" + row + "\n"
    )
    with pytest.raises(DataError, match=message) as info:
        labels.resolve(intervals.read_intervals(path, [INFO]), [INFO])
    assert str(info.value).startswith(str(path))


def test_rows_of_recordings_not_imported_are_skipped_and_counted(tmp_path: Path) -> None:
    # one label file for a whole project; this import holds s1_DLC only
    path = _intervals(
        tmp_path,
        "video,video_id,agent,target,action,start_frame,stop_frame\n"
        "s9_DLC,,x,y,sniff,1,2\n"
        "s1_DLC,,adult,juvenile,sniff,10,20\n"
        ",7,adult,,rear,3,4\n"
        ",5,adult,,rear,5,6\n"
        "s9_DLC,,x,,rear,900,901\n",
    )
    table = intervals.read_intervals(path, [INFO], video_ids=[5])
    assert table.skipped == 3
    assert table.skipped_actions == {("sniff", False), ("rear", True)}
    assert resolved(table) == [(1, 2, "sniff", 10, 20), (1, 1, "rear", 5, 6)]
    assert table.rows["row"].tolist() == ["line 3", "line 5"]
    # rows of this import are still checked in full
    bad = _intervals(
        tmp_path, "video,agent,target,action,start_frame,stop_frame\ns9_DLC,x,,a,1,2\ns1_DLC,rat,,a,1,2\n"
    )
    with pytest.raises(DataError, match="line 3: unknown subject/agent 'rat'"):
        labels.resolve(intervals.read_intervals(bad, [INFO]), [INFO])


def test_a_label_file_about_none_of_the_imported_recordings_is_refused(tmp_path: Path) -> None:
    path = _intervals(
        tmp_path,
        "video,agent,target,action,start_frame,stop_frame\n"
        + "".join(f"t{i}_DLC,a,b,sniff,1,2\n" for i in range(5)),
    )
    with pytest.raises(DataError) as info:
        intervals.read_intervals(path, [INFO, OTHER])
    assert str(info.value) == (
        f"{path}: no row is about a pose file of this import (rows name t0_DLC, t1_DLC, "
        "t2_DLC and 2 more; imported: s1_DLC, s2_DLC)"
    )
    by_id = _intervals(tmp_path, "video_id,agent,action,start_frame,stop_frame\n3,a,sniff,1,2\n")
    with pytest.raises(DataError, match="rows name video_id 3; imported: s1_DLC"):
        intervals.read_intervals(by_id, [INFO], video_ids=[1])
    with pytest.raises(DataError, match="line 2: video_id 3 is one piece of a recording cut"):
        intervals.read_intervals(by_id, [INFO], video_ids=[None], cut_ids={2, 3})


def test_intervals_missing_columns(tmp_path: Path) -> None:
    path = _intervals(tmp_path, "agent,action,start\nadult,sniff,1\n")
    with pytest.raises(
        DataError, match="missing column.*start_frame/stop_frame or start_s/stop_s"
    ):
        intervals.read_intervals(path, [INFO])


def test_per_frame_table_becomes_runs_and_declares_silent_columns(
    tmp_path: Path,
) -> None:
    table = pd.DataFrame(
        {
            "frame": np.arange(10),
            "Nose_x": np.linspace(0, 1, 10),  # pose column: skipped
            "attack": [0, 1, 1, 0, 0, 0, 1, 1, 1, 0],
            "mount": [0] * 10,  # annotated, never seen
        }
    )
    path = tmp_path / "s1_frames.csv"
    table.to_csv(path, index=False)
    read = frames.read_frames(path, [INFO], agent="adult", target="juvenile")
    assert resolved(read) == [(1, 2, "attack", 1, 3), (1, 2, "attack", 6, 9)]
    declared = labels.declared_pairs(read, labels.resolve(read, [INFO]), [INFO])
    assert labels.behaviors_labeled(declared, 0) == [
        ("mouse1", "mouse2", "attack"),
        ("mouse1", "mouse2", "mount"),
    ]
    with pytest.raises(DataError, match="per-frame labels need --agent"):
        frames.read_frames(path, [INFO], agent=None, target=None)
    long = tmp_path / "s1_long.csv"
    pd.DataFrame({"attack": np.zeros(301, dtype=int)}).to_csv(long, index=False)
    with pytest.raises(DataError, match=r"line 302: frame 300 is beyond the video"):
        frames.read_frames(long, [INFO], agent="adult", target=None)


def test_behaviors_labeled_crosses_pairs_with_actions_of_their_kind() -> None:
    declared = {
        (0, 1, 2, "sniff"),
        (0, 2, 1, "attack"),
        (0, 1, 1, "rear"),
        (1, 1, 2, "sniff"),
    }
    assert labels.behaviors_labeled(declared, 0) == [
        ("mouse1", "self", "rear"),
        ("mouse1", "mouse2", "attack"),
        ("mouse1", "mouse2", "sniff"),
        ("mouse2", "mouse1", "attack"),
        ("mouse2", "mouse1", "sniff"),
    ]
    only = labels.behaviors_labeled(declared, 1, only=["sniff", "chase", "groom"])
    assert only == [
        ("mouse1", "mouse2", "chase"),
        ("mouse1", "mouse2", "groom"),
        ("mouse1", "mouse2", "sniff"),
    ]
