"""``write_ethogram``: lanes carry the individual names of an imported dataset, ``mouseN`` otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mabe.workflows.plot_ethogram as plot_ethogram
from mabe.data.importers.sources import sources_path
from mabe.workflows.import_ import ImportOptions, import_poses


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """One DeepLabCut recording of 'adult' and 'juvenile' with one labelled bout, as video 1."""
    from movement.io import load_poses, save_poses

    rng = np.random.default_rng(0)
    ds = load_poses.from_numpy(
        rng.uniform(0, 500, (40, 2, 2, 2)), np.ones((40, 2, 2)), ["adult", "juvenile"], ["nose", "tail"]
    )
    save_poses.to_dlc_file(ds, tmp_path / "s_DLC.csv", split_individuals=False)
    labels = tmp_path / "s_labels.csv"
    labels.write_text("agent,target,action,start_frame,stop_frame\nadult,juvenile,sniff,3,9\n")
    options = ImportOptions(lab="mylab", fps=10.0, annotation_format="intervals")
    import_poses([tmp_path / "s_DLC.csv"], tmp_path / "d", options, [labels], progress=False)
    return tmp_path / "d"


def _lane_labels(monkeypatch, data: Path, tmp_path: Path, name: str) -> list[str]:
    drawn = []

    def keep(fig, path):
        drawn.append(fig)
        return real(fig, path)

    real = plot_ethogram.save_figure
    monkeypatch.setattr(plot_ethogram, "save_figure", keep)
    sub = tmp_path / "sub.csv"
    sub.write_text(
        "row_id,video_id,agent_id,target_id,action,start_frame,stop_frame\n"
        "0,1,mouse1,mouse2,sniff,2,8\n1,1,mouse2,self,sniff,20,30\n"
    )
    plot_ethogram.write_ethogram(data, sub, 1, tmp_path / name, split="train")
    assert (tmp_path / name).is_file()
    return [t.get_text() for t in drawn[0].axes[0].get_yticklabels()]


def test_ethogram_lanes_use_the_names_of_sources_csv(monkeypatch, imported: Path, tmp_path: Path) -> None:
    assert _lane_labels(monkeypatch, imported, tmp_path, "named.png") == [
        "adult → juvenile  true", "predicted", "juvenile → self  not annotated", "predicted",
    ]
    sources_path(imported).unlink()  # a dataset not made by mabe import
    assert _lane_labels(monkeypatch, imported, tmp_path, "plain.png") == [
        "mouse1 → mouse2  true", "predicted", "mouse2 → self  not annotated", "predicted",
    ]
