"""``export_submission``: intervals -> export -> re-import gives the same intervals; never overwrites."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mabe.data.io import MabeDataset
from mabe.errors import MabeError
from mabe.workflows.export import export_submission
from mabe.workflows.import_ import ImportOptions, import_poses

LABELS = (
    "video,agent,target,action,start_frame,stop_frame\n"
    "s_DLC,adult,juvenile,sniff,3,9\n"
    "s_DLC,juvenile,,rear,10,12\n"
    "s_DLC,juvenile,adult,sniff,20,31\n"
)


def write_dlc(path: Path, n_frames: int = 40) -> None:
    from movement.io import load_poses, save_poses

    rng = np.random.default_rng(0)
    position = rng.uniform(0, 500, (n_frames, 2, 2, 2))
    ds = load_poses.from_numpy(
        position, np.ones((n_frames, 2, 2)), ["adult", "juvenile"], ["nose", "tail"]
    )
    save_poses.to_dlc_file(ds, path, split_individuals=False)


def submission_of(data: Path) -> Path:
    """The dataset's own labels written as a submission (a perfect prediction)."""
    solution = MabeDataset(data).solution("train", progress=False)
    sub = solution.drop(columns=["lab_id", "behaviors_labeled"])
    sub.insert(0, "row_id", range(len(sub)))
    path = data.parent / "submission.csv"
    sub.to_csv(path, index=False)
    return path


def annotations(data: Path) -> list[list]:
    ds = MabeDataset(data)
    rows = [ds.load_annotations(m).values.tolist() for m in ds.metas("train")]
    return sorted(r for video in rows for r in video)


@pytest.fixture
def imported(tmp_path: Path) -> tuple[Path, Path]:
    write_dlc(tmp_path / "s_DLC.csv")
    (tmp_path / "labels.csv").write_text(LABELS)
    options = ImportOptions(lab="lab", fps=20.0, annotation_format="intervals")
    import_poses(
        [tmp_path / "s_DLC.csv"],
        tmp_path / "d",
        options,
        [tmp_path / "labels.csv"],
        progress=False,
    )
    return tmp_path / "s_DLC.csv", tmp_path / "d"


@pytest.mark.parametrize("fmt", ["intervals", "boris"])
def test_export_then_reimport_gives_the_same_intervals(
    tmp_path: Path, imported, fmt: str
) -> None:
    pose, data = imported
    written = export_submission(submission_of(data), data, fmt, tmp_path / "review")
    assert [n for _, n in written] == [3]
    fresh = tmp_path / "fresh"
    options = ImportOptions(lab="lab", fps=20.0, annotation_format=fmt)
    import_poses([pose], fresh, options, [written[0][0]], progress=False)
    assert (
        annotations(fresh)
        == annotations(data)
        == [
            [1, 2, "sniff", 3, 9],
            [2, 1, "sniff", 20, 31],
            [2, 2, "rear", 10, 12],
        ]
    )


def test_exported_tables_use_names_seconds_and_frames(tmp_path: Path, imported) -> None:
    _, data = imported
    sub = submission_of(data)
    ((path, _),) = export_submission(sub, data, "intervals", tmp_path / "review")
    table = pd.read_csv(path, keep_default_na=False)
    first = table.iloc[0].to_dict()
    assert (
        first["video"] == "s_DLC"
        and first["agent"] == "adult"
        and first["target"] == "juvenile"
    )
    assert (first["start_s"], first["stop_s"]) == (
        0.15,
        0.45,
    )  # frames 3 and 9 at 20 fps
    assert "self" in set(table["target"])
    ((events_path, _),) = export_submission(sub, data, "boris", tmp_path / "review")
    events = pd.read_csv(events_path, keep_default_na=False)
    assert list(events["Status"][:2]) == ["START", "STOP"] and set(
        events["Subject"]
    ) == {"adult", "juvenile"}
    assert events["Time"].is_monotonic_increasing


def test_export_never_overwrites(tmp_path: Path, imported) -> None:
    _, data = imported
    sub = submission_of(data)
    ((path, _),) = export_submission(sub, data, "intervals", tmp_path / "review")
    content = path.read_bytes()
    with pytest.raises(MabeError, match="already exists; refusing to replace it"):
        export_submission(sub, data, "intervals", tmp_path / "review")
    assert path.read_bytes() == content
    with pytest.raises(MabeError, match="--format must be one of boris, intervals"):
        export_submission(sub, data, "excel", tmp_path / "other")


def test_without_sources_mice_keep_their_mabe_names(tmp_path: Path, imported) -> None:
    _, data = imported
    sub = submission_of(data)
    (data / "sources.csv").unlink()  # as in a dataset that was not imported
    ((path, _),) = export_submission(sub, data, "intervals", tmp_path / "review")
    table = pd.read_csv(path, keep_default_na=False)
    assert set(table["agent"]) == {"mouse1", "mouse2"} and set(table["video"]) == {""}
    assert table["start_frame"].tolist() == table["video_start_frame"].tolist()
