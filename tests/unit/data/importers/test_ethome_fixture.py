"""The committed slice of the real ethome DeepLabCut recording imports exactly, from a bare clone (no ../shared)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mabe.data.io import MabeDataset
from mabe.data.validate import validate_dataset
from mabe.workflows.import_ import ImportOptions, import_poses

FIXTURE = Path(__file__).resolve().parents[3] / "data" / "ethome"
POSE = next(FIXTURE.glob("*_DLC.csv"))
BORIS = next(FIXTURE.glob("*_boris.csv"))


def test_the_fixture_is_the_real_recording_slice() -> None:
    raw = pd.read_csv(POSE, header=[0, 1, 2, 3], index_col=0)
    assert raw.shape == (600, 42) and raw.index.tolist() == list(range(600))
    assert set(raw.columns.get_level_values(1)) == {"adult", "juvenile"}


def test_real_slice_imports_with_its_boris_bouts(tmp_path: Path) -> None:
    out = tmp_path / "ethome"
    options = ImportOptions(lab="ethome", fps=30.0, min_confidence=0.5, annotation_format="boris", target="juvenile")
    summary = import_poses([POSE], out, options, [BORIS], progress=False)
    assert [v.intervals for v in summary.videos] == [3]
    assert validate_dataset(out, progress=False) == []
    video = next(MabeDataset(out).iter_videos("train", progress=False))
    assert video.pose.coords.shape == (600, 2, 7, 2)
    assert video.meta.behaviors_labeled == (("mouse1", "mouse2", "interact"),)
    # BORIS seconds -> frames at 30 fps, rounded: 4.929-5.625, 13.225-14.100, 15.475-16.875 s
    bouts = pd.read_parquet(next((out / "train_annotation").rglob("*.parquet")))
    assert bouts[["start_frame", "stop_frame"]].values.tolist() == [[148, 169], [397, 423], [464, 506]]
    assert set(bouts["agent_id"]) == {1} and set(bouts["target_id"]) == {2}
    # coordinates as in the csv, read independently of movement; low likelihoods left out
    raw = pd.read_csv(POSE, header=[0, 1, 2, 3], index_col=0)
    for slot, who in enumerate(["adult", "juvenile"]):
        for k, part in enumerate(video.meta.body_parts):
            cols = raw.xs((who, part), axis=1, level=(1, 2))
            expected = np.stack([cols.xs(c, axis=1, level=1).iloc[:, 0].to_numpy() for c in ("x", "y")], axis=-1)
            expected[cols.xs("likelihood", axis=1, level=1).iloc[:, 0].to_numpy() < 0.5] = np.nan
            np.testing.assert_allclose(video.pose.coords[:, slot, k], expected.astype(np.float32), rtol=0, atol=1e-4)
