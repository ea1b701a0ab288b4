"""Summaries of a dataset for ``mabe info``: per-lab recording facts, bout counts, tracking quality.

Frame counts come from the parquet footers (the ``video_frame`` column's
maximum) and mouse counts from the tracking's ``mouse_id`` column alone, so a
summary reads no pose data. Where the csv's ``mouseN_*`` columns list another
number of mice than the tracking holds, the video is listed in
:attr:`DatasetSummary.mice_mismatch`. :func:`tracking_quality` (``mabe info
--details``, ``mabe report``) does read the pose, one video at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mabe.data.importers.sources import mouse_names, read_sources
from mabe.data.io import MabeDataset
from mabe.data.quality import JUMP_BODY_LENGTHS_PER_S, find_jumps, jump_speeds, missing_fraction
from mabe.data.schema import tracking_path
from mabe.data.types import VideoMeta
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


MISSING_PREFIX = "missing "
"""Prefix of the per-body-part columns of :func:`tracking_quality` (fraction of frames missing)."""


def tracking_quality(
    dataset: MabeDataset,
    metas: list[VideoMeta] | None = None,
    threshold: float = JUMP_BODY_LENGTHS_PER_S,
    progress: bool = True,
) -> pd.DataFrame:
    """Return one row per (video, mouse) describing how well it was tracked.

    Parameters
    ----------
    dataset
        The dataset; mice are named as ``sources.csv`` recorded them, else ``mouseN``.
    metas
        Videos to read (default: every video of every split).
    threshold
        Jump threshold in body lengths per second (:func:`mabe.data.quality.find_jumps`).
    progress
        Show a progress bar while reading the tracking.

    Returns
    -------
    pd.DataFrame
        ``split, lab_id, video_id, mouse, name, frames, seen`` (fraction of
        frames with at least one keypoint), ``body_length_px``,
        ``max_speed`` (body lengths per second), ``jumps`` (count),
        ``jump_frames`` (the first five, text), ``swap_frames`` (frames where
        two or more mice jump at once, the first five), then one
        ``"missing <part>"`` column per body part (fraction of frames; NaN
        for a part this video does not track).
    """
    metas = [m for split in dataset.splits() for m in dataset.metas(split)] if metas is None else metas
    sources = read_sources(dataset.root)
    rows = []
    for meta in track(metas, "reading tracking quality") if progress else metas:
        coords = dataset.load_pose(meta).coords
        missing = missing_fraction(coords)
        jumps = find_jumps(coords, meta.fps, threshold)
        speeds = jump_speeds(coords, meta.fps, jumps.lengths)
        names = mouse_names(sources, meta.video_id, coords.shape[1])
        swaps = jumps.swaps()
        for m, name in enumerate(names):
            frames = jumps.of_mouse(m)
            finite = speeds[:, m][np.isfinite(speeds[:, m])]
            rows.append({
                "split": meta.split,
                "lab_id": meta.lab_id,
                "video_id": meta.video_id,
                "mouse": m + 1,
                "name": name,
                "frames": int(coords.shape[0]),
                "seen": float((~np.isnan(coords[:, m]).any(axis=-1)).any(axis=-1).mean()) if len(coords) else float("nan"),
                "body_length_px": float(jumps.lengths[m]),
                "max_speed": float(finite.max()) if finite.size else float("nan"),
                "jumps": len(frames),
                "jump_frames": _first(frames),
                "swap_frames": _first(np.intersect1d(swaps, frames)),
                **{f"{MISSING_PREFIX}{part}": float(missing[m, k]) for k, part in enumerate(meta.body_parts)},
            })
    return pd.DataFrame(rows)


def _first(frames: np.ndarray, limit: int = 5) -> str:
    text = ", ".join(str(int(f)) for f in frames[:limit])
    return text + (f" (+{len(frames) - limit})" if len(frames) > limit else "")


def missing_text(row: pd.Series, limit: int = 3, at_least: float = 0.01) -> str:
    """Return the most often missing body parts of one :func:`tracking_quality` row, as text.

    Examples
    --------
    >>> missing_text(pd.Series({"missing nose": 0.25, "missing tail": 0.002, "missing neck": float("nan")}))
    'nose 25.0%'
    """
    parts = {
        str(k)[len(MISSING_PREFIX):]: float(v) for k, v in row.items()
        if str(k).startswith(MISSING_PREFIX) and v == v and float(v) >= at_least
    }
    top = sorted(parts.items(), key=lambda kv: -kv[1])[:limit]
    return ", ".join(f"{part} {100 * value:.1f}%" for part, value in top) or "none"


def quality_overview(quality: pd.DataFrame) -> pd.DataFrame:
    """Return a compact view of :func:`tracking_quality`: one row per (video, mouse), percentages.

    Columns ``video_id, mouse, % seen, body length px, jumps, jump frames,
    most missing`` (the three body parts missing most often, see :func:`missing_text`).
    """
    if not len(quality):
        return pd.DataFrame(columns=["video_id", "mouse", "% seen", "body length px", "jumps", "jump frames", "most missing"])
    return pd.DataFrame({
        "video_id": quality["video_id"],
        "mouse": quality["name"],
        "% seen": (100 * quality["seen"]).round(1),
        "body length px": quality["body_length_px"].round(0),
        "jumps": quality["jumps"],
        "jump frames": quality["jump_frames"],
        "most missing": quality.apply(missing_text, axis=1),
    }).reset_index(drop=True)
