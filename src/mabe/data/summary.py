"""Summaries of a dataset for ``mabe info``: per-lab recording facts and bout counts.

Frame counts come from the parquet footers (the ``video_frame`` column's
maximum) and mouse counts from the tracking's ``mouse_id`` column alone, so a
summary reads no pose data. Where the csv's ``mouseN_*`` columns list another
number of mice than the tracking holds, the video is listed in
:attr:`DatasetSummary.mice_mismatch`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mabe.data.io import MabeDataset
from mabe.data.schema import tracking_path
from mabe.progress import track


@dataclass
class DatasetSummary:
    """Tables describing a dataset.

    Attributes
    ----------
    labs
        One row per (split, lab): videos, frames, mice, body parts, fps, minutes.
    actions
        One row per (lab, action): number of annotated bouts per split.
    mice_mismatch
        One row per video whose csv and tracking disagree on the number of
        mice: split, lab_id, video_id, mice_csv, mice_tracking.
    """

    labs: pd.DataFrame
    actions: pd.DataFrame
    mice_mismatch: pd.DataFrame = field(default_factory=pd.DataFrame)


def count_frames(path: Path) -> int:
    """Count the frames of a tracking file (max ``video_frame`` + 1), from its footer if possible.

    Returns 0 when the file is missing or unreadable (``mabe validate`` reports why).
    """
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, ValueError):
        return 0
    names = parquet.schema_arrow.names
    if "video_frame" not in names or not pa.types.is_integer(parquet.schema_arrow.field("video_frame").type):
        return 0
    col = names.index("video_frame")
    best = -1
    meta = parquet.metadata
    for rg in range(meta.num_row_groups):
        stats = meta.row_group(rg).column(col).statistics
        if stats is None or not stats.has_min_max:
            table = parquet.read(columns=["video_frame"])
            series = table.column("video_frame").to_pandas()
            return max(int(series.max()) + 1, 0) if len(series) else 0
        best = max(best, int(stats.max))
    return best + 1


def count_mice(path: Path) -> int | None:
    """Distinct ``mouse_id`` values of a tracking file (reads that column only).

    ``None`` when the file is missing or unreadable (``mabe validate`` reports why).
    """
    try:
        column = pq.read_table(path, columns=["mouse_id"]).column("mouse_id")
        return int(pc.count_distinct(column.drop_null()).as_py())
    except (OSError, ValueError, KeyError, pa.ArrowException):
        return None


def summarize(dataset: MabeDataset) -> DatasetSummary:
    """Build the per-lab and per-action tables of ``dataset``."""
    lab_rows = []
    mismatch = []
    action_counts: dict[tuple[str, str], dict[str, int]] = {}
    for split in dataset.splits():
        metas = dataset.metas(split)
        frames, mice = {}, {}
        for meta in track(metas, f"reading {split} tracking"):
            path = tracking_path(dataset.root, split, meta.lab_id, meta.video_id)
            frames[meta.video_id] = count_frames(path)
            tracked = count_mice(path)
            mice[meta.video_id] = meta.n_mice if tracked is None else tracked
            if tracked is not None and tracked != meta.n_mice:
                mismatch.append(
                    {
                        "split": split,
                        "lab_id": meta.lab_id,
                        "video_id": meta.video_id,
                        "mice_csv": meta.n_mice,
                        "mice_tracking": tracked,
                    }
                )
        by_lab: dict[str, list] = {}
        for meta in metas:
            by_lab.setdefault(meta.lab_id, []).append(meta)
        for lab, lab_metas in sorted(by_lab.items()):
            n_frames = sum(frames[m.video_id] for m in lab_metas)
            fps = sorted({round(m.fps, 2) for m in lab_metas})
            minutes = sum(frames[m.video_id] / m.fps for m in lab_metas) / 60.0
            lab_rows.append(
                {
                    "split": split,
                    "lab_id": lab,
                    "videos": len(lab_metas),
                    "frames": n_frames,
                    "minutes": round(minutes, 1),
                    "mice": ",".join(str(n) for n in sorted({mice[m.video_id] for m in lab_metas})),
                    "body_parts": ",".join(
                        str(n) for n in sorted({len(m.body_parts) for m in lab_metas})
                    ),
                    "fps": ",".join(f"{f:g}" for f in fps),
                    "labelled_triples": sum(len(m.behaviors_labeled) for m in lab_metas),
                }
            )
        if dataset.has_labels(split):
            solution = dataset.solution(split)
            grouped = solution.groupby(["lab_id", "action"]).size()
            for (lab, action), count in grouped.items():
                action_counts.setdefault((lab, action), {})[f"bouts_{split}"] = int(count)
    labs = pd.DataFrame(lab_rows)
    actions = pd.DataFrame(
        [{"lab_id": lab, "action": action, **counts} for (lab, action), counts in action_counts.items()]
    )
    if len(actions):
        actions = actions.sort_values(["lab_id", "action"]).fillna(0)
        for col in actions.columns:
            if col.startswith("bouts_"):
                actions[col] = actions[col].astype(int)
    return DatasetSummary(labs=labs, actions=actions.reset_index(drop=True), mice_mismatch=pd.DataFrame(mismatch))
