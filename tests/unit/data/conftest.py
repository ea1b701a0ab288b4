"""A tiny hand-written dataset in the Kaggle MABe 2025 layout, for data-layer tests.

``tiny`` writes, into a fresh temporary directory::

    train.csv   LabA/101 (2 mice, 40 frames, annotated)
                LabB/202 (3 mice, 30 frames, annotated, single-quoted behaviors_labeled)
                LabB/203 (1 mouse, 20 frames, behaviors_labeled empty, no annotation file)
    test.csv    LabA/301 (2 mice, 25 frames, no test_annotation/)

Tests break one file at a time through the helpers of :class:`Tiny`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mabe.data import schema

PARTS_A = ["nose", "ear_left", "ear_right", "tail_base"]
PARTS_B = ["head", "neck", "body_center", "tail_base"]


@dataclass(frozen=True)
class VideoSpec:
    split: str
    lab_id: str
    video_id: int
    n_mice: int
    n_frames: int
    body_parts: list[str]
    behaviors: str | None  # raw behaviors_labeled cell
    annotations: list[tuple[int, int, str, int, int]] | None


VIDEOS = (
    VideoSpec(
        "train", "LabA", 101, 2, 40, PARTS_A,
        json.dumps(["mouse1,mouse2,sniff", "mouse2,mouse1,sniff", "mouse1,self,rear"]),
        [(1, 2, "sniff", 0, 10), (2, 1, "sniff", 5, 15), (1, 1, "rear", 20, 40)],
    ),
    VideoSpec(
        "train", "LabB", 202, 3, 30, PARTS_B,
        "[\"'mouse1','mouse3','attack'\", \"'mouse2','self','dig'\"]",
        [(1, 3, "attack", 3, 8), (2, 2, "dig", 10, 12)],
    ),
    VideoSpec("train", "LabB", 203, 1, 20, PARTS_B, None, None),
    VideoSpec("test", "LabA", 301, 2, 25, PARTS_A, json.dumps(["mouse1,mouse2,sniff"]), None),
)


def metadata_row(spec: VideoSpec) -> dict[str, object]:
    """One metadata row; mouse columns of absent mice stay empty."""
    row: dict[str, object] = dict.fromkeys(schema.METADATA_COLUMNS, np.nan)
    row.update(
        lab_id=spec.lab_id,
        video_id=spec.video_id,
        frames_per_second=30.0,
        video_duration_sec=spec.n_frames / 30.0,
        pix_per_cm_approx=15.5,
        video_width_pix=640,
        video_height_pix=480,
        arena_width_cm=40.0,
        arena_height_cm=40.0,
        arena_shape="square",
        arena_type="familiar",
        body_parts_tracked=json.dumps(spec.body_parts),
        behaviors_labeled=spec.behaviors,
        tracking_method="DeepLabCut",
    )
    for m in range(1, spec.n_mice + 1):
        row.update(
            {
                f"mouse{m}_strain": "C57Bl/6J",
                f"mouse{m}_color": "black",
                f"mouse{m}_sex": "male",
                f"mouse{m}_id": float(m),
                f"mouse{m}_age": "8-10 weeks",
                f"mouse{m}_condition": "wild type",
            }
        )
    return row


def tracking_frame(
    n_frames: int, n_mice: int, body_parts: list[str], seed: int = 0, absent: float = 0.2
) -> pd.DataFrame:
    """Long-format tracking with a random share of rows absent (never the last frame)."""
    rng = np.random.default_rng(seed)
    f, m, p = np.meshgrid(
        np.arange(n_frames), np.arange(1, n_mice + 1), np.arange(len(body_parts)), indexing="ij"
    )
    f, m, p = f.ravel(), m.ravel(), p.ravel()
    keep = (rng.random(f.size) >= absent) | (f == n_frames - 1)
    return pd.DataFrame(
        {
            "video_frame": f[keep].astype(np.int64),
            "mouse_id": m[keep].astype(np.int64),
            "bodypart": np.asarray(body_parts, dtype=object)[p[keep]],
            "x": rng.uniform(0, 640, keep.sum()).astype(np.float32),
            "y": rng.uniform(0, 480, keep.sum()).astype(np.float32),
        }
    )


def annotation_frame(rows: list[tuple[int, int, str, int, int]]) -> pd.DataFrame:
    """Annotation rows ``(agent, target, action, start, stop)`` with the schema dtypes."""
    frame = pd.DataFrame(rows, columns=list(schema.ANNOTATION_COLUMNS))
    return frame.astype(schema.ANNOTATION_DTYPES)


def tree_digest(root: Path) -> dict[str, str]:
    """``relative path -> sha256`` of every file below ``root`` (directories as ``"dir"``)."""
    digest = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        digest[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


class Tiny:
    """The tiny dataset at ``root`` plus helpers to break it."""

    videos = VIDEOS
    tracking_frame = staticmethod(tracking_frame)
    annotation_frame = staticmethod(annotation_frame)
    tree_digest = staticmethod(tree_digest)

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        for split in schema.SPLITS:
            specs = [v for v in VIDEOS if v.split == split]
            rows = [metadata_row(v) for v in specs]
            self.write_csv(split, pd.DataFrame(rows, columns=list(schema.METADATA_COLUMNS)))
            for i, spec in enumerate(specs):
                frame = tracking_frame(spec.n_frames, spec.n_mice, spec.body_parts, seed=i)
                self.write_parquet(self.tracking(spec.video_id), frame)
                if spec.annotations is not None:
                    self.write_parquet(
                        self.annotation(spec.video_id), annotation_frame(spec.annotations)
                    )

    def spec(self, video_id: int) -> VideoSpec:
        return next(v for v in VIDEOS if v.video_id == video_id)

    def csv(self, split: str = "train") -> Path:
        return schema.metadata_path(self.root, split)

    def tracking(self, video_id: int) -> Path:
        spec = self.spec(video_id)
        return schema.tracking_path(self.root, spec.split, spec.lab_id, video_id)

    def annotation(self, video_id: int) -> Path:
        spec = self.spec(video_id)
        return schema.annotation_path(self.root, spec.split, spec.lab_id, video_id)

    def read_csv(self, split: str = "train") -> pd.DataFrame:
        return pd.read_csv(self.csv(split), dtype={"lab_id": "str"})

    def write_csv(self, split: str, frame: pd.DataFrame) -> None:
        frame.to_csv(self.csv(split), index=False)

    @staticmethod
    def write_parquet(path: Path, frame: pd.DataFrame) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(path, index=False)


@pytest.fixture
def tiny(tmp_path: Path) -> Tiny:
    """A fresh tiny dataset (see module docstring) in a temporary directory."""
    return Tiny(tmp_path / "data")
