"""``import_poses``: pose and label files in, a valid dataset out; appends; refusals leave DATA as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mabe.data import schema
from mabe.data.importers.sources import read_sources
from mabe.data.io import MabeDataset
from mabe.data.validate import validate_dataset
from mabe.errors import DataError, MabeError
from mabe.workflows.import_ import ImportOptions, import_poses

KEYPOINTS = ["nose", "neck", "tail"]


def shared_data() -> Path:
    env = os.environ.get("MABE_SHARED_DATA")
    return (
        Path(env)
        if env
        else Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    )


def write_dlc(
    path: Path, n_frames: int = 60, seed: int = 0, names=("adult", "juvenile")
) -> np.ndarray:
    """A multi-animal DeepLabCut csv written by movement; returns (frames, 2, kp, ind) positions."""
    from movement.io import load_poses, save_poses

    rng = np.random.default_rng(seed)
    position = rng.uniform(0, 500, (n_frames, 2, len(KEYPOINTS), len(names))).round(3)
    confidence = rng.uniform(0, 1, (n_frames, len(KEYPOINTS), len(names))).round(4)
    position[5, :, 0, 0] = np.nan
    ds = load_poses.from_numpy(position, confidence, list(names), KEYPOINTS)
    save_poses.to_dlc_file(ds, path, split_individuals=False)
    return position


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def opts(**kw) -> ImportOptions:
    return ImportOptions(**{"lab": "mylab", "fps": 30.0, **kw})


def test_real_deeplabcut_file_with_its_boris_labels(tmp_path: Path) -> None:
    folder = shared_data() / "ethome_dlc"
    poses, events = sorted(folder.glob("*_DLC.csv")), sorted(folder.glob("*_boris.csv"))
    if not poses or not events:
        pytest.skip("shared data absent")
    out = tmp_path / "ethome"
    options = opts(
        lab="ethome", min_confidence=0.6, annotation_format="boris", target="juvenile"
    )
    summary = import_poses(poses, out, options, events, progress=False)
    assert [v.intervals for v in summary.videos] == [10] and summary.low_confidence > 0
    assert validate_dataset(out, progress=False) == []
    video = next(MabeDataset(out).iter_videos("train", progress=False))
    assert video.meta.behaviors_labeled == (("mouse1", "mouse2", "interact"),)
    assert video.meta.body_parts == (
        "nose",
        "leftear",
        "rightear",
        "neck",
        "lefthip",
        "righthip",
        "tail",
    )
    # fidelity against the csv read independently of movement
    raw = pd.read_csv(poses[0], header=[0, 1, 2, 3], index_col=0)
    for slot, who in enumerate(["adult", "juvenile"]):
        for k, part in enumerate(video.meta.body_parts):
            cols = raw.xs((who, part), axis=1, level=(1, 2))
            xy = (
                cols.xs("x", axis=1, level=1).iloc[:, 0],
                cols.xs("y", axis=1, level=1).iloc[:, 0],
            )
            expected = np.stack([xy[0].to_numpy(), xy[1].to_numpy()], axis=-1)
            likelihood = cols.xs("likelihood", axis=1, level=1).iloc[:, 0].to_numpy()
            expected[likelihood < 0.6] = np.nan
            got = video.pose.coords[:, slot, k]
            assert np.array_equal(np.isnan(got), np.isnan(expected)), (who, part)
            np.testing.assert_allclose(
                got, expected.astype(np.float32), rtol=0, atol=1e-4
            )
    sources = read_sources(out)
    assert sources["individuals"].tolist() == ['["adult", "juvenile"]']
    assert sources["source_file"].tolist() == [str(poses[0].resolve())]


def test_tracking_parquet_holds_exactly_the_kept_keypoints(tmp_path: Path) -> None:
    position = write_dlc(tmp_path / "s1_DLC.csv")
    summary = import_poses(
        [tmp_path / "s1_DLC.csv"], tmp_path / "d", opts(), progress=False
    )
    tracking = pd.read_parquet(
        schema.tracking_path(tmp_path / "d", "train", "mylab", 1)
    )
    assert list(tracking.columns) == list(schema.TRACKING_COLUMNS)
    assert (
        summary.videos[0].tracking_rows
        == len(tracking)
        == np.isfinite(position[:, 0]).sum()
    )
    row = tracking[
        (tracking.video_frame == 9)
        & (tracking.mouse_id == 2)
        & (tracking.bodypart == "tail")
    ]
    assert row[["x", "y"]].to_numpy()[0].tolist() == pytest.approx(
        position[9, :, 2, 1].tolist()
    )
    assert (
        len(tracking[(tracking.video_frame == 5) & (tracking.mouse_id == 1)]) == 2
    )  # NaN nose absent
    meta = pd.read_csv(tmp_path / "d" / "train.csv")
    assert list(meta.columns) == list(schema.METADATA_COLUMNS)
    assert (
        meta.loc[0, "video_duration_sec"] == 2.0
        and meta.loc[0, "tracking_method"] == "DeepLabCut"
    )
    assert meta.loc[0, ["mouse1_id", "mouse2_id"]].tolist() == [1, 2]
    assert (
        meta[["mouse1_strain", "arena_shape", "behaviors_labeled"]].isna().all().all()
    )
    assert validate_dataset(tmp_path / "d", progress=False) == []


def test_appending_never_changes_existing_bytes(tmp_path: Path) -> None:
    write_dlc(tmp_path / "a_DLC.csv", seed=1)
    write_dlc(tmp_path / "b_DLC.csv", seed=2)
    labels = tmp_path / "b_labels.csv"
    labels.write_text(
        "agent,target,action,start_frame,stop_frame\nadult,juvenile,sniff,3,9\n"
    )
    data = tmp_path / "d"
    import_poses([tmp_path / "a_DLC.csv"], data, opts(), progress=False)
    before = snapshot(data)
    summary = import_poses(
        [tmp_path / "b_DLC.csv"],
        data,
        opts(lab="other", split="test", annotation_format="intervals"),
        [labels],
        progress=False,
    )
    after = snapshot(data)
    for name, content in before.items():
        if name.endswith(".csv"):
            assert after[name].startswith(content)
        else:
            assert after[name] == content
    assert summary.videos[0].video_id == 2 and summary.videos[0].split == "test"
    assert len(read_sources(data)) == 2
    assert validate_dataset(data, progress=False) == []
    ann = pd.read_parquet(schema.annotation_path(data, "test", "other", 2))
    assert ann.values.tolist() == [[1, 2, "sniff", 3, 9]]
    assert ann.dtypes.astype(str).to_dict() == {
        **schema.ANNOTATION_DTYPES,
        "action": ann.dtypes["action"].name,
    }


def test_same_file_twice_and_missing_fps_are_refused_without_a_trace(
    tmp_path: Path,
) -> None:
    write_dlc(tmp_path / "a_DLC.csv")
    data = tmp_path / "d"
    import_poses([tmp_path / "a_DLC.csv"], data, opts(), progress=False)
    before = snapshot(data)
    shutil.copy(tmp_path / "a_DLC.csv", tmp_path / "copy.csv")
    for path in (tmp_path / "a_DLC.csv", tmp_path / "copy.csv"):
        with pytest.raises(DataError, match="already imported"):
            import_poses([path], data, opts(), progress=False)
    write_dlc(tmp_path / "b_DLC.csv", seed=3)
    with pytest.raises(DataError, match="given twice"):
        import_poses([tmp_path / "b_DLC.csv"] * 2, data, opts(), progress=False)
    with pytest.raises(DataError, match="pass --fps"):
        import_poses([tmp_path / "b_DLC.csv"], data, opts(fps=None), progress=False)
    assert snapshot(data) == before
    with pytest.raises(DataError, match="pass --fps"):
        import_poses(
            [tmp_path / "b_DLC.csv"], tmp_path / "new", opts(fps=None), progress=False
        )
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_bad_labels_fail_the_whole_import(tmp_path: Path) -> None:
    write_dlc(tmp_path / "a_DLC.csv")
    data = tmp_path / "d"
    import_poses([tmp_path / "a_DLC.csv"], data, opts(), progress=False)
    before = snapshot(data)
    write_dlc(tmp_path / "b_DLC.csv", seed=4)
    labels = tmp_path / "labels.csv"
    labels.write_text("agent,target,action,start_frame,stop_frame\nadult,,rear,50,61\n")
    with pytest.raises(
        DataError, match=r"labels.csv: line 2: interval \[50, 61\) goes beyond"
    ):
        import_poses(
            [tmp_path / "b_DLC.csv"],
            data,
            opts(annotation_format="intervals"),
            [labels],
            progress=False,
        )
    assert snapshot(data) == before


def test_one_label_file_serves_separate_train_and_test_imports(tmp_path: Path) -> None:
    write_dlc(tmp_path / "a_DLC.csv", seed=6)
    write_dlc(tmp_path / "b_DLC.csv", seed=7)
    write_dlc(tmp_path / "c_DLC.csv", seed=8)
    labels = tmp_path / "project_labels.csv"
    labels.write_text(
        "video,agent,target,action,start_frame,stop_frame\n"
        "a_DLC,adult,juvenile,sniff,3,9\n"
        "b_DLC,juvenile,,rear,10,20\n"
        "b_DLC,adult,juvenile,chase,30,40\n"
    )
    data = tmp_path / "d"
    options = opts(annotation_format="intervals")
    first = import_poses([tmp_path / "a_DLC.csv"], data, options, [labels], progress=False)
    assert first.skipped_label_rows == {labels: 2} and first.videos[0].intervals == 1
    second = import_poses(
        [tmp_path / "b_DLC.csv"], data, opts(annotation_format="intervals", split="test"),
        [labels], progress=False,
    )
    assert second.skipped_label_rows == {labels: 1} and second.videos[0].intervals == 2
    ds = MabeDataset(data)
    assert ds.load_annotations(ds.metas("train")[0]).values.tolist() == [[1, 2, "sniff", 3, 9]]
    assert ds.load_annotations(ds.metas("test")[0]).values.tolist() == [
        [2, 2, "rear", 10, 20],
        [1, 2, "chase", 30, 40],
    ]
    assert validate_dataset(data, progress=False) == []
    # the whitelists are those of one import of both: the file annotates chase for a too
    together = import_poses(
        [tmp_path / "a_DLC.csv", tmp_path / "b_DLC.csv"], tmp_path / "both", options,
        [labels], progress=False,
    )
    assert [v.behaviors for v in together.videos] == [
        first.videos[0].behaviors, second.videos[0].behaviors
    ]
    assert first.videos[0].behaviors == [("mouse1", "mouse2", "chase"), ("mouse1", "mouse2", "sniff")]
    before = snapshot(data)
    with pytest.raises(DataError, match="project_labels.csv: no row is about a pose file"):
        import_poses([tmp_path / "c_DLC.csv"], data, options, [labels], progress=False)
    assert snapshot(data) == before


def test_split_minutes_cuts_a_recording_into_train_and_test_videos(
    tmp_path: Path,
) -> None:
    write_dlc(tmp_path / "long_DLC.csv", n_frames=100)
    labels = tmp_path / "long_labels.csv"
    labels.write_text(
        "agent,target,action,start_s,stop_s\nadult,juvenile,chase,0.5,1.5\njuvenile,,rear,2.0,2.2\n"
    )
    options = opts(
        fps=20.0, annotation_format="intervals", split_minutes=1 / 60, test_last=1
    )
    summary = import_poses(
        [tmp_path / "long_DLC.csv"], tmp_path / "d", options, [labels], progress=False
    )
    assert [(v.split, v.first_frame, v.n_frames) for v in summary.videos] == [
        ("train", 0, 20),
        ("train", 20, 20),
        ("train", 40, 20),
        ("train", 60, 20),
        ("test", 80, 20),
    ]
    assert validate_dataset(tmp_path / "d", progress=False) == []
    ds = MabeDataset(tmp_path / "d")
    per_video = {
        m.video_id: ds.load_annotations(m).values.tolist() for m in ds.metas("train")
    }
    assert per_video == {
        1: [[1, 2, "chase", 10, 20]],
        2: [[1, 2, "chase", 0, 10]],
        3: [[2, 2, "rear", 0, 4]],
        4: [],
    }
    whitelist = {("mouse1", "mouse2", "chase"), ("mouse2", "self", "rear")}
    assert all(
        set(m.behaviors_labeled) == whitelist
        for m in ds.metas("train") + ds.metas("test")
    )
    with pytest.raises(MabeError, match="--test-last needs --split-minutes"):
        import_poses([tmp_path / "long_DLC.csv"], tmp_path / "e", opts(test_last=1))
    with pytest.raises(MabeError, match="--test-last 5 leaves no video"):
        import_poses(
            [tmp_path / "long_DLC.csv"],
            tmp_path / "e",
            opts(split_minutes=1 / 60 * 1.5, test_last=5),
        )


def test_per_frame_labels_with_behaviors_option(tmp_path: Path) -> None:
    write_dlc(tmp_path / "s_DLC.csv", n_frames=30)
    table = pd.DataFrame({"attack": [0] * 10 + [1] * 5 + [0] * 15, "mount": [0] * 30})
    table.to_csv(tmp_path / "s_frames.csv", index=False)
    options = opts(
        annotation_format="frames",
        agent="juvenile",
        target="adult",
        behaviors=("attack", "mount"),
    )
    import_poses(
        [tmp_path / "s_DLC.csv"],
        tmp_path / "d",
        options,
        [tmp_path / "s_frames.csv"],
        progress=False,
    )
    meta = MabeDataset(tmp_path / "d").metas("train")[0]
    assert meta.behaviors_labeled == (
        ("mouse2", "mouse1", "attack"),
        ("mouse2", "mouse1", "mount"),
    )
    assert validate_dataset(tmp_path / "d", progress=False) == []


@pytest.mark.slow
def test_a_killed_import_leaves_the_dataset_unchanged(tmp_path: Path) -> None:
    write_dlc(tmp_path / "a_DLC.csv")
    write_dlc(tmp_path / "b_DLC.csv", seed=5)
    data = tmp_path / "d"
    import_poses([tmp_path / "a_DLC.csv"], data, opts(), progress=False)
    before = snapshot(data)
    script = textwrap.dedent(
        f"""
        import os, signal
        import mabe.workflows.import_ as imp
        from mabe.workflows.import_ import ImportOptions, import_poses
        imp.commit = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)  # dies with all staged
        import_poses([{str(tmp_path / "b_DLC.csv")!r}], {str(data)!r},
                     ImportOptions(lab="mylab", fps=30.0), progress=False)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -9, done.stderr.decode()[-500:]
    assert snapshot(data) == before
    assert validate_dataset(data, progress=False) == []
