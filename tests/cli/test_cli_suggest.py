"""`mabe suggest` on a tiny ensemble run, then the labelled clips back through `mabe import --clips`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import invoke

from mabe.data.importers.clips import CLIP_MARKER
from mabe.data.io import MabeDataset

pytestmark = pytest.mark.slow

TINY = (
    "--folds", "2", "--set", "epochs=1", "--set", "conv_channels=[8]", "--set", "lstm_hidden=8",
    "--set", "max_windows_per_epoch=32", "--set", "batch_size=16",
    "--set", "lgbm.n_estimators=15", "--set", "lgbm.num_leaves=7",
)


@pytest.fixture(scope="module")
def trained(small_dataset, tmp_path_factory) -> tuple[Path, Path]:
    """A tiny ensemble run on the small dataset, and a copy whose test videos are unlabelled."""
    root = tmp_path_factory.mktemp("suggest")
    result = invoke("train", "--data", small_dataset, "--out", root / "run", *TINY, quiet=True)
    assert result.code == 0, result.err
    unlabelled = root / "new"
    shutil.copytree(small_dataset, unlabelled)
    shutil.rmtree(unlabelled / "test_annotation")
    test = pd.read_csv(unlabelled / "test.csv", dtype=str, keep_default_na=False)
    test["behaviors_labeled"] = ""
    test.to_csv(unlabelled / "test.csv", index=False)
    return root / "run", unlabelled


def test_suggest_writes_non_overlapping_clips_of_the_asked_seconds(trained, tmp_path):
    run, data = trained
    out = tmp_path / "s"
    result = invoke("suggest", "--run", run, "--data", data, "--clips", "8", "--seconds", "4", "--out", out)
    assert result.code == 0, result.err
    clips = pd.read_csv(out / "clips.csv", keep_default_na=False)
    assert len(clips) == 8 and clips["clip"].tolist() == list(range(1, 9))
    assert clips["score"].is_monotonic_decreasing
    metas = {m.video_id: m for split in ("train", "test") for m in MabeDataset(data).metas(split)}
    for clip in clips.to_dict("records"):  # a clip asks only about triples its video has not labelled
        target = "self" if clip["agent_id"] == clip["target_id"] else f"mouse{clip['target_id']}"
        asked = {(f"mouse{clip['agent_id']}", target, a) for a in clip["actions"].split(";")}
        assert asked and not asked & set(metas[clip["video_id"]].behaviors_labeled)
    assert {metas[v].split for v in clips["video_id"]} == {"train", "test"}  # partly labelled videos count too
    assert ((clips["stop_frame"] - clips["start_frame"]) == (4 * clips["fps"]).round().astype(int)).all()
    for _, part in clips.groupby("video_id"):
        spans = sorted(zip(part["start_frame"], part["stop_frame"], strict=True))
        assert all(b <= a for (_, b), (a, _) in zip(spans, spans[1:], strict=False))
    assert set(clips["why"]) <= {"disagreement", "threshold", "rarity"}
    template = pd.read_csv(out / "intervals.csv", keep_default_na=False)
    assert len(template) == 8 and set(template["action"]) == {CLIP_MARKER}
    assert sorted(p.name for p in out.glob("*_clips_boris.csv")) == sorted(
        f"{r}_clips_boris.csv" for r in set(clips["recording"]))
    assert json.loads((out / "suggest.json").read_text())["data"] == str(data.resolve())
    before = (out / "clips.csv").read_bytes()
    again = invoke("suggest", "--run", run, "--data", data, "--clips", "2", "--out", out)
    assert again.code == 2 and "not an empty directory" in again.err
    assert (out / "clips.csv").read_bytes() == before


def test_labelled_clips_come_back_as_videos_and_train(trained, tmp_path):
    run, data = trained
    out = tmp_path / "s"
    assert invoke("suggest", "--run", run, "--data", data, "--clips", "4", "--out", out, quiet=True).code == 0
    clips = pd.read_csv(out / "clips.csv", keep_default_na=False)
    labels = pd.read_csv(out / "intervals.csv", keep_default_na=False)
    # the labeller saw a sniff in the first clip of the template and nothing in the others
    labels.loc[0, "action"] = "sniff"
    labels.loc[0, "stop_frame"] = labels.loc[0, "start_frame"] + 10
    labels.to_csv(tmp_path / "labels.csv", index=False)
    new = tmp_path / "clips_data"
    result = invoke("import", "--clips", out / "clips.csv", "--annotations", tmp_path / "labels.csv",
                    "--annotation-format", "intervals", "--out", new)
    assert result.code == 0, result.err
    assert "created" in result.out and "4 clip video(s)" in result.out
    assert invoke("validate", new).code == 0
    ds = MabeDataset(new)
    metas = ds.metas("train")
    assert len(metas) == 4
    for meta, clip in zip(metas, clips.to_dict("records"), strict=True):  # one new video per clip, in clip order
        assert ds.load_pose(meta).n_frames == clip["stop_frame"] - clip["start_frame"]
    agent_target = {(m.behaviors_labeled[0][0], m.behaviors_labeled[0][1]) for m in metas}
    assert all(len({(a, t) for a, t, _ in m.behaviors_labeled}) == 1 for m in metas)  # one pair per clip
    assert agent_target
    assert sum(len(ds.load_annotations(m)) for m in metas) == 1
    result = invoke("train", "--data", new, "--out", tmp_path / "r", "--config", "demo", "--set", "epochs=1", quiet=True)
    assert result.code == 0, result.err


def test_rarity_counts_come_from_the_runs_training_labels(trained, small_dataset, tmp_path):
    from mabe.workflows.suggest import training_counts

    run, data = trained
    shutil.copytree(data, tmp_path / "none")
    shutil.rmtree(tmp_path / "none" / "train_annotation")
    ds = MabeDataset(small_dataset)
    truth: dict[str, float] = {}
    for meta in ds.metas("train"):
        ann = ds.load_annotations(meta)
        for action, frames in (ann["stop_frame"] - ann["start_frame"]).groupby(ann["action"]).sum().items():
            truth[action] = truth.get(action, 0.0) + float(frames)
    # the unlabelled copy has no labels of its own: the counts are read where the run trained
    assert truth and training_counts(run, MabeDataset(tmp_path / "none")) == truth


def test_import_clips_refuses_pose_files_and_needs_labels(trained, tmp_path):
    run, data = trained
    result = invoke("import", "--clips", tmp_path / "clips.csv", tmp_path / "x.csv", "--out", tmp_path / "d")
    assert result.code == 2 and "--clips takes no pose files" in result.err
    result = invoke("import", "--clips", tmp_path / "clips.csv", "--out", tmp_path / "d")
    assert result.code == 2 and "--clips needs the labels" in result.err
    result = invoke("import", tmp_path / "x.csv", "--out", tmp_path / "d")
    assert result.code == 2 and "--lab is required" in result.err
    assert not (tmp_path / "d").exists()
