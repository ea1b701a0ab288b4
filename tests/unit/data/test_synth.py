"""``synthesize`` writes a complete, exact Kaggle-layout dataset, reproducibly and safely."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import mabe.data.synth.dataset as dataset
from mabe.data import schema
from mabe.data.catalog import load_catalog
from mabe.data.io import MabeDataset
from mabe.data.synth import SynthSummary, synthesize
from mabe.data.validate import validate_dataset
from mabe.errors import MabeError

LABS = ["CalMS21_task1", "AdaptableSnail"]
MINUTES = 2.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    """A 2-lab dataset of 2-minute videos (4 videos: 3 train, 1 test)."""
    out = tmp_path_factory.mktemp("synth") / "demo"
    summary = synthesize(out, n_videos=4, seed=3, labs=LABS, minutes=MINUTES, progress=False)
    return out, summary


def _metadata(root: Path) -> pd.DataFrame:
    frames = [pd.read_csv(schema.metadata_path(root, s)).assign(split=s) for s in schema.SPLITS]
    return pd.concat(frames, ignore_index=True)


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _n_mice(row: pd.Series) -> int:
    return sum(pd.notna(row[f"mouse{m}_strain"]) for m in range(1, schema.MAX_MICE + 1))


def test_videos_have_the_asked_length_and_the_summary_counts_their_frames(demo) -> None:
    """Each video lasts ``minutes`` at its lab's frame rate; the summary adds up what was written.

    (How fast this is belongs to ``benchmarks/bench_synth.py``.)
    """
    root, summary = demo
    assert summary.total_videos == 4
    frames = {"train": 0, "test": 0}
    for _, row in _metadata(root).iterrows():
        fps = float(row["frames_per_second"])
        assert row["video_duration_sec"] == pytest.approx(MINUTES * 60, abs=1 / fps)
        track = pq.read_table(schema.tracking_path(root, row["split"], row["lab_id"], row["video_id"]))
        n_frames = int(pc.max(track.column("video_frame")).as_py()) + 1
        assert n_frames == round(MINUTES * 60 * fps), (row["lab_id"], fps, n_frames)
        frames[row["split"]] += n_frames
    assert summary.frames == frames


def test_layout_is_complete(demo) -> None:
    root, summary = demo
    top = sorted(p.name for p in root.iterdir())
    assert top == [
        "test.csv", "test_annotation", "test_tracking",
        "train.csv", "train_annotation", "train_tracking",
    ]
    meta = _metadata(root)
    assert summary.videos == {"train": 3, "test": 1}
    assert len(meta) == 4 and meta["video_id"].is_unique
    assert set(meta["lab_id"]) == set(LABS)
    for row in meta.itertuples():
        assert schema.tracking_path(root, row.split, row.lab_id, row.video_id).is_file()
        assert schema.annotation_path(root, row.split, row.lab_id, row.video_id).is_file()
    assert len(list(root.rglob("*.parquet"))) == 8


def test_metadata_columns_and_cells(demo) -> None:
    root, _ = demo
    catalog = load_catalog()
    for split in schema.SPLITS:
        header = schema.metadata_path(root, split).read_text().splitlines()[0]
        assert header.split(",") == list(schema.METADATA_COLUMNS)
    for _, row in _metadata(root).iterrows():
        lab = catalog[row["lab_id"]]
        n_mice = _n_mice(row)
        assert n_mice in lab.mice_per_video
        for m in range(n_mice + 1, schema.MAX_MICE + 1):
            assert all(pd.isna(row[f"mouse{m}_{f}"]) for f in schema.MOUSE_FIELDS)
        assert row["frames_per_second"] in lab.fps_values
        assert tuple(json.loads(row["body_parts_tracked"])) in lab.body_part_sets
        triples = schema.parse_behaviors_labeled(row["behaviors_labeled"])
        assert triples and {t[2] for t in triples} <= set(lab.actions)
        per_agent = sum(n_mice - 1 if a.kind == "pair" else 1 for a in lab.actions.values())
        possible = per_agent * n_mice
        low, high = lab.whitelist_min_max
        assert min(low, possible) <= len(triples) <= high
        assert row["arena_shape"] in lab.arena_shapes
        assert row["tracking_method"] in lab.tracking_methods
        assert row["video_width_pix"] >= row["arena_width_cm"] * row["pix_per_cm_approx"]


def test_parquet_schemas_are_exact(demo) -> None:
    root, _ = demo
    expected = {
        "tracking": (schema.TRACKING_DTYPES, ["int64", "int64", "string", "float", "float"]),
        "annotation": (schema.ANNOTATION_DTYPES, ["int8", "int8", "string", "int32", "int32"]),
    }
    for kind, (dtypes, arrow_types) in expected.items():
        for path in root.glob(f"*_{kind}/*/*.parquet"):
            arrow = pq.read_schema(path)
            assert arrow.names == list(dtypes)
            assert [str(t) for t in arrow.types] == arrow_types
            numpy_types = {c["name"]: c["numpy_type"] for c in arrow.pandas_metadata["columns"]}
            assert numpy_types == dtypes
            frame = pd.read_parquet(path)
            for column, dtype in dtypes.items():
                if dtype == "object":
                    assert pd.api.types.is_string_dtype(frame[column])
                else:
                    assert str(frame[column].dtype) == dtype


def test_tracking_values(demo) -> None:
    root, _ = demo
    for _, row in _metadata(root).iterrows():
        key = (row["split"], row["lab_id"], row["video_id"])
        track = pd.read_parquet(schema.tracking_path(root, *key))
        n_frames = int(round(row["video_duration_sec"] * row["frames_per_second"]))
        parts = json.loads(row["body_parts_tracked"])
        assert track["video_frame"].min() >= 0 and track["video_frame"].max() == n_frames - 1
        assert set(track["mouse_id"]) == set(range(1, _n_mice(row) + 1))
        assert set(track["bodypart"]) == set(parts)
        assert not track.duplicated(["video_frame", "mouse_id", "bodypart"]).any()
        assert np.isfinite(track[["x", "y"]].to_numpy()).all()
        assert track["x"].between(0, row["video_width_pix"]).all()
        assert track["y"].between(0, row["video_height_pix"]).all()
        frames = track["video_frame"].to_numpy()
        assert (np.diff(frames) >= 0).all(), "rows are ordered by frame"
        full = n_frames * _n_mice(row) * len(parts)
        assert 0.85 * full < len(track) < full, "a few keypoints are missing, most are there"


def test_annotations_are_valid_intervals(demo) -> None:
    root, summary = demo
    total = {"train": 0, "test": 0}
    for _, row in _metadata(root).iterrows():
        key = (row["split"], row["lab_id"], row["video_id"])
        ann = pd.read_parquet(schema.annotation_path(root, *key))
        n_frames = int(round(row["video_duration_sec"] * row["frames_per_second"]))
        total[row["split"]] += len(ann)
        assert (ann["start_frame"] >= 0).all() and (ann["stop_frame"] <= n_frames).all()
        assert (ann["start_frame"] < ann["stop_frame"]).all()
        labelled = set(schema.parse_behaviors_labeled(row["behaviors_labeled"]))
        for r in ann.itertuples():
            target = schema.target_name(r.agent_id, r.target_id)
            triple = (schema.mouse_name(r.agent_id), target, r.action)
            assert triple in labelled
        for _, pair in ann.groupby(["agent_id", "target_id"]):
            pair = pair.sort_values("start_frame")
            assert (pair["start_frame"].to_numpy()[1:] >= pair["stop_frame"].to_numpy()[:-1]).all()
    assert total == summary.bouts and total["train"] > 10


def test_summary_is_printable(demo) -> None:
    root, summary = demo
    text = str(summary)
    assert str(root) in text and "train: 3 videos" in text and "test: 1 video," in text
    assert summary.labs and set(summary.labs) == set(LABS)
    assert summary.frames["train"] > 0


def test_same_seed_same_bytes_other_seed_differs(demo, tmp_path: Path) -> None:
    root, _ = demo
    again = tmp_path / "again"
    synthesize(again, n_videos=4, seed=3, labs=LABS, minutes=MINUTES, progress=False)
    assert _files(again) == _files(root)
    other = tmp_path / "other"
    synthesize(other, n_videos=2, seed=4, labs=LABS, minutes=MINUTES, progress=False)
    assert set(_files(other).values()).isdisjoint(_files(root).values())


def test_a_video_does_not_depend_on_how_many_follow(tmp_path: Path) -> None:
    args = {"seed": 9, "labs": ["CRIM13"], "minutes": 0.2, "progress": False}
    small = synthesize(tmp_path / "a", n_videos=2, **args)
    large = synthesize(tmp_path / "b", n_videos=3, **args)

    def by_video(files: dict[str, str]) -> dict[str, str]:  # ignore which split a video went to
        return {k.split("_", 1)[1]: v for k, v in files.items() if k.endswith(".parquet")}

    a, b = by_video(_files(small.out)), by_video(_files(large.out))
    assert len(a) == 4 and all(b[k] == v for k, v in a.items())


def test_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    out = tmp_path / "data"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(MabeError, match="not empty"):
        synthesize(out, n_videos=1, seed=0, labs=["CRIM13"], minutes=0.1, progress=False)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["data"], "no temporary directory left"


def test_refuses_a_file_and_accepts_an_empty_directory(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(MabeError, match="not a directory"):
        synthesize(target, n_videos=1, seed=0, labs=["CRIM13"], minutes=0.1, progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    summary = synthesize(empty, n_videos=1, seed=0, labs=["CRIM13"], minutes=0.1, progress=False)
    assert summary.videos == {"train": 1, "test": 0}
    assert (empty / "train.csv").is_file() and (empty / "test.csv").is_file()


def test_a_crash_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = dataset.make_video
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(dataset, "make_video", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        synthesize(tmp_path / "data", 3, 0, labs=["CRIM13"], minutes=0.1, progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"labs": ["CRIM13", "Atlantis"]}, r"unknown lab\(s\) Atlantis; valid labs: Adaptable"),
        ({"n_videos": 0}, "at least 1"),
        ({"seed": -1}, "non-negative"),
        ({"minutes": 0.0}, "positive"),
        ({"test_fraction": 1.0}, r"\[0, 1\)"),
    ],
)
def test_bad_arguments_raise_mabe_error(tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {"n_videos": 1, "seed": 0, "labs": ["CRIM13"], "minutes": 0.1, "progress": False}
    args |= kwargs
    with pytest.raises(MabeError, match=message):
        synthesize(tmp_path / "data", **args)
    assert not (tmp_path / "data").exists()


def test_every_lab_round_robin_with_its_own_set_up(tmp_path: Path) -> None:
    summary = synthesize(tmp_path / "all", n_videos=19, seed=1, minutes=0.05, progress=False)
    catalog = load_catalog()
    meta = _metadata(summary.out)
    assert sorted(meta["lab_id"]) == sorted(catalog)
    assert summary.videos == {"train": 14, "test": 5}
    for _, row in meta.iterrows():
        lab = catalog[row["lab_id"]]
        arenas = {tuple(sorted(a)) for a in lab.arena_sizes}
        assert tuple(sorted((row["arena_width_cm"], row["arena_height_cm"]))) in arenas
        assert row["pix_per_cm_approx"] <= lab.pix_per_cm_range[1] + 0.01
        assert row["video_duration_sec"] == pytest.approx(3.0, abs=1.0 / row["frames_per_second"])


def test_reader_and_validator_accept_the_dataset(demo) -> None:
    root, _ = demo
    assert validate_dataset(root, progress=False) == []
    dataset = MabeDataset(root)
    for split in schema.SPLITS:
        meta = dataset.metas(split)[0]
        video = dataset.load_video(meta)
        assert video.pose.n_frames == round(meta.duration_sec * meta.fps)
        assert video.pose.n_mice == meta.n_mice
        assert video.pose.body_parts == meta.body_parts
        assert np.isfinite(video.pose.coords).mean() > 0.85
        assert video.annotations is not None
