"""``import_clips``: labelled clips become videos whose labels cover the clip's frames and pair only."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from mabe.data.importers.clips import CLIP_MARKER, import_clips
from mabe.data.importers.sources import read_sources
from mabe.data.io import MabeDataset
from mabe.data.validate import validate_dataset
from mabe.errors import DataError
from mabe.workflows.import_ import ImportOptions, import_poses

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workflows"))
from test_import_workflow import snapshot, write_dlc  # noqa: E402

CLIP_HEADER = "clip,video_id,recording,agent,target,agent_id,target_id,start_frame,stop_frame,video_start_frame,video_stop_frame"


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """An unlabelled 100-frame recording at 20 fps cut into five 20-frame videos (ids 1..5), and two clips."""
    write_dlc(tmp_path / "long_DLC.csv", n_frames=100)
    data = tmp_path / "data"
    import_poses([tmp_path / "long_DLC.csv"], data, ImportOptions(lab="lab", fps=20.0, split_minutes=1 / 60),
                 progress=False)
    suggested = tmp_path / "suggested"
    suggested.mkdir()
    (suggested / "clips.csv").write_text(
        f"{CLIP_HEADER}\n"
        "1,2,long_DLC,adult,juvenile,1,2,25,35,5,15\n"  # video 2 holds recording frames 20-39
        "2,1,long_DLC,juvenile,self,2,2,0,10,0,10\n"
    )
    (suggested / "suggest.json").write_text(json.dumps({"data": str(data)}))
    return tmp_path


def _intervals(path: Path, rows: list[str]) -> Path:
    marker = [f"long_DLC,adult,juvenile,{CLIP_MARKER},25,35", f"long_DLC,juvenile,,{CLIP_MARKER},0,10"]
    path.write_text("video,agent,target,action,start_frame,stop_frame\n" + "\n".join(marker + rows) + "\n")
    return path


def test_a_clip_is_labelled_on_its_frames_and_pair_and_nothing_else(recording: Path) -> None:
    data = recording / "data"
    labels = _intervals(recording / "labels.csv", [
        "long_DLC,adult,juvenile,chase,28,31",   # in clip 1
        "long_DLC,adult,juvenile,chase,33,40",   # crosses clip 1's end: cut to 33-35
        "long_DLC,adult,juvenile,chase,50,60",   # outside every clip: left out
        "long_DLC,juvenile,adult,chase,26,30",   # clip 1's frames but another pair: left out
        "long_DLC,juvenile,,rear,2,4",           # in clip 2 (self)
    ])
    before = MabeDataset(data).metas("train")
    summary = import_clips(recording / "suggested" / "clips.csv", [labels], "intervals", data)
    assert summary.ignored_rows == 2 and summary.markers == 2 and not summary.created
    assert [(c.video_id, c.source_video, c.n_frames, c.intervals) for c in summary.clips] == [(6, 2, 10, 2), (7, 1, 10, 1)]
    assert validate_dataset(data, progress=False) == []
    ds = MabeDataset(data)
    metas = {m.video_id: m for m in ds.metas("train")}
    # the source videos keep their (empty) whitelist: none of their frames is labelled, none negative
    assert [metas[m.video_id].behaviors_labeled for m in before] == [()] * 5
    assert set(metas[6].behaviors_labeled) == {("mouse1", "mouse2", "chase")}
    assert set(metas[7].behaviors_labeled) == {("mouse2", "self", "rear")}
    assert ds.load_annotations(metas[6]).values.tolist() == [[1, 2, "chase", 3, 6], [1, 2, "chase", 8, 10]]
    assert ds.load_annotations(metas[7]).values.tolist() == [[2, 2, "rear", 2, 4]]
    # the clip's tracking is the source video's slice
    assert (ds.load_pose(metas[6]).coords == ds.load_pose(metas[2]).coords[5:15]).all()
    src = read_sources(data).set_index("video_id")
    assert src.loc["6", "first_frame"] == "25" and src.loc["6", "n_frames"] == "10"
    assert src.loc["6", "source_file"] == src.loc["2", "source_file"]


@pytest.mark.slow  # imports the training stack (torch, lightning)
def test_training_sees_only_the_clip_frames_as_labelled(recording: Path) -> None:
    from mabe.training.labels import pair_action_mask
    from mabe.training.prepare import labelled_metas

    data = recording / "data"
    labels = _intervals(recording / "labels.csv", ["long_DLC,adult,juvenile,chase,28,31"])
    import_clips(recording / "suggested" / "clips.csv", [labels], "intervals", data, behaviors=["chase", "rear"])
    ds = MabeDataset(data)
    trained_on = labelled_metas(ds, "train")
    assert [m.video_id for m in trained_on] == [6, 7]
    assert sum(ds.load_pose(m).n_frames for m in trained_on) == 20  # two clips of 10 frames, nothing more
    pairs = [(1, 1), (1, 2), (2, 1), (2, 2)]
    mask = pair_action_mask(trained_on[0], pairs, ["chase", "rear"])
    assert mask.tolist() == [[False, False], [True, False], [False, False], [False, False]]
    mask = pair_action_mask(trained_on[1], pairs, ["chase", "rear"])
    assert mask.tolist() == [[False, False], [False, False], [False, False], [False, True]]


def test_boris_export_of_the_clips_reads_back_into_a_new_dataset(recording: Path) -> None:
    boris = recording / "long_DLC_clips_boris.csv"
    boris.write_text(
        "Time,Media file path,FPS,Subject,Behavior,Modifiers,Status\n"
        f"1.25,long.mp4,20,adult,{CLIP_MARKER},juvenile,START\n"
        "1.4,long.mp4,20,adult,chase,juvenile,START\n"
        "1.55,long.mp4,20,adult,chase,juvenile,STOP\n"
        f"1.75,long.mp4,20,adult,{CLIP_MARKER},juvenile,STOP\n"
    )
    new = recording / "clips_only"
    summary = import_clips(recording / "suggested" / "clips.csv", [boris], "boris", new, behaviors=["chase", "rear"])
    assert summary.created and [c.video_id for c in summary.clips] == [1, 2]
    ds = MabeDataset(new)
    assert ds.load_annotations(ds.metas("train")[0]).values.tolist() == [[1, 2, "chase", 3, 6]]
    assert ds.load_annotations(ds.metas("train")[1]).empty
    assert validate_dataset(new, progress=False) == []


def test_a_clip_nobody_could_label_is_refused_and_nothing_changes(recording: Path) -> None:
    data = recording / "data"
    labels = _intervals(recording / "labels.csv", ["long_DLC,adult,juvenile,chase,28,31"])  # no self action
    before = snapshot(data)
    with pytest.raises(DataError, match="clip 2: the label files annotate no self action"):
        import_clips(recording / "suggested" / "clips.csv", [labels], "intervals", data)
    assert snapshot(data) == before
    bad = recording / "suggested" / "bad.csv"
    bad.write_text(f"{CLIP_HEADER}\n1,2,long_DLC,adult,juvenile,1,2,25,35,5,x\n")
    with pytest.raises(DataError, match="line 2: video_stop_frame 'x' is not a whole number"):
        import_clips(bad, [labels], "intervals", data)
    frame = pd.read_csv(recording / "suggested" / "clips.csv")
    frame.loc[0, ["video_start_frame", "video_stop_frame"]] = [15, 25]
    frame.to_csv(bad, index=False)
    with pytest.raises(DataError, match="clip 1: frames beyond video 2"):
        import_clips(bad, [labels], "intervals", data)
    assert snapshot(data) == before
