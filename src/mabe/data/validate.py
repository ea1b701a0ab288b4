"""Check a whole dataset directory and list every problem found.

Unlike the readers of :mod:`mabe.data.io`, which stop at the first problem,
:func:`validate_dataset` keeps going and reports all of them: metadata cells,
missing and broken tracking files, tracking that disagrees with its metadata
row, bad annotations, annotated behaviours missing from ``behaviors_labeled``,
and parquet files that no metadata row refers to. It never writes anything.

Each tracking file is read once. A clean file (the common case) goes through
the fast streaming reader of :func:`mabe.data.stream.stream_pose`, which
checks every value (finite coordinates, frames >= 0, mouse ids 1..4, named
body parts, no duplicate keypoint) and only succeeds when there is nothing to
report; any other file is read by the careful pandas path
(:func:`mabe.data.checks.check_tracking`), which words each problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mabe.data import schema
from mabe.data.checks import check_annotations, check_tracking
from mabe.data.io import frame_limit
from mabe.data.metadata import (
    check_metadata,
    listed_mice,
    meta_from_row,
    parse_lab_id,
    parse_video_id,
)
from mabe.data.stream import stream_pose
from mabe.data.types import VideoMeta
from mabe.progress import track

Key = tuple[str, int]
"""``(lab_id, video_id)`` of a video."""


@dataclass(frozen=True)
class Problem:
    """One problem of a dataset: the file at fault and what is wrong.

    Examples
    --------
    >>> str(Problem(Path("train.csv"), "missing column 'lab_id'"))
    "train.csv: missing column 'lab_id'"
    """

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def validate_dataset(root: str | Path, progress: bool = True) -> list[Problem]:
    """Check every file of a dataset in the Kaggle layout.

    Parameters
    ----------
    root
        The dataset directory.
    progress
        Show a progress bar per split (on stderr).

    Returns
    -------
    list[Problem]
        Every problem found, metadata first, then per video in metadata
        order, then orphan files; empty for a clean dataset.

    Examples
    --------
    >>> validate_dataset("/nonexistent", progress=False)
    [Problem(path=PosixPath('/nonexistent'), message='dataset directory not found')]
    """
    root = Path(root)
    if not root.is_dir():
        return [Problem(root, "dataset directory not found")]
    if not any(schema.metadata_path(root, s).is_file() for s in schema.SPLITS):
        return [Problem(root, "not a MABe dataset: neither train.csv nor test.csv found")]
    problems: list[Problem] = []
    for split in schema.SPLITS:
        problems += _validate_split(root, split, progress)
    return problems


def _row_key(row: dict[str, Any]) -> Key | None:
    try:
        return parse_lab_id(row.get("lab_id")), parse_video_id(row.get("video_id"))
    except ValueError:
        return None


def _validate_split(root: Path, split: str, progress: bool) -> list[Problem]:
    csv = schema.metadata_path(root, split)
    known: set[Key] = set()
    problems: list[Problem] = []
    if csv.is_file():
        checked = check_metadata(csv)
        problems += [Problem(csv, message) for message in checked.problems]
        frame = checked.frame
        if frame is None or not {"lab_id", "video_id"} <= set(frame.columns):
            return problems  # no way to tell which files belong to which row
        rows = frame.to_dict("records")
        items = track(rows, f"validating {split}") if progress else rows
        for i, row in enumerate(items):
            key = _row_key(row)
            if key is not None:
                known.add(key)
                problems += _validate_video(root, split, csv, i, row, key)
    return problems + _orphan_problems(root, split, known, csv)


def _validate_video(
    root: Path, split: str, csv: Path, i: int, row: dict[str, Any], key: Key
) -> list[Problem]:
    try:
        meta: VideoMeta | None = meta_from_row(row, split)
    except ValueError:
        meta = None  # already reported by check_metadata
    listed = listed_mice(row)
    tracking_file = schema.tracking_path(root, split, *key)
    annotation_file = schema.annotation_path(root, split, *key)
    problems: list[Problem] = []
    n_frames, n_mice = None, (listed or None)
    if not tracking_file.is_file():
        where = f"{csv.name} row {i + 1} (video_id {key[1]})"
        problems.append(Problem(tracking_file, f"tracking file missing for {where}"))
    else:
        summary = _clean_tracking(tracking_file, meta)
        if summary is None:  # not clean, or no metadata to bound it: the careful path
            checked = check_tracking(tracking_file)
            problems += [Problem(tracking_file, message) for message in checked.problems]
            if checked.frame is not None:
                tracking = checked.frame
                found = pd.unique(tracking["bodypart"].dropna().astype("str"))
                summary = int(tracking["video_frame"].max()) + 1, int(tracking["mouse_id"].max()), found
        if summary is not None:
            last, top, found = summary
            n_frames = max(last, 0)
            n_mice = max(listed, min(max(top, 1), schema.MAX_MICE))
            messages = _tracking_vs_meta(found, top, meta, listed, csv.name)
            problems += [Problem(tracking_file, message) for message in messages]
    if annotation_file.is_file():
        checked = check_annotations(annotation_file, n_frames=n_frames, n_mice=n_mice)
        problems += [Problem(annotation_file, message) for message in checked.problems]
        if checked.frame is not None and meta is not None:
            messages = _unlabeled_triples(checked.frame, meta, csv.name)
            problems += [Problem(annotation_file, message) for message in messages]
    return problems


def _clean_tracking(path: Path, meta: VideoMeta | None) -> tuple[int, int, list[str]] | None:
    """Frames, highest mouse id and body parts of a clean tracking file, or ``None``.

    ``None`` when the file needs the careful path (anything to report, or an
    unusual layout) and when there is no metadata to bound its frames.
    """
    if meta is None:
        return None
    pose = stream_pose(path, body_parts=meta.body_parts, max_frames=frame_limit(meta))
    if pose is None:
        return None
    # the names beyond body_parts_tracked are exactly the unlisted ones in the file
    return pose.n_frames, pose.n_mice, list(pose.body_parts)


def _tracking_vs_meta(
    found: Iterable[str], top: int, meta: VideoMeta | None, listed: int, csv_name: str
) -> list[str]:
    """Body parts not in ``body_parts_tracked``; mouse ids beyond the listed mice."""
    messages = []
    if meta is not None:
        unlisted = sorted(set(found) - set(meta.body_parts))
        if unlisted:
            names = ", ".join(repr(n) for n in unlisted)
            messages.append(f"body parts not in body_parts_tracked of {csv_name}: {names}")
    if listed and top > listed:
        mice = "1 mouse" if listed == 1 else f"{listed} mice"
        messages.append(f"mouse_id {top} in tracking but {csv_name} lists {mice}")
    return messages


def _unlabeled_triples(annotations: pd.DataFrame, meta: VideoMeta, csv_name: str) -> list[str]:
    """One message per annotated (agent, target, action) not in ``behaviors_labeled``."""
    if annotations.empty:
        return []
    counts = annotations.groupby(["agent_id", "target_id", "action"], sort=True).size()
    labeled = set(meta.behaviors_labeled)
    messages = []
    for (agent, target, action), n in counts.items():
        triple = (schema.mouse_name(agent), schema.target_name(agent, target), str(action))
        if triple not in labeled:
            intervals = "1 interval" if n == 1 else f"{n} intervals"
            messages.append(
                f"annotates {','.join(triple)} ({intervals}), "
                f"which is not in behaviors_labeled of {csv_name}"
            )
    return messages


def _file_key(path: Path, top: Path) -> Key | None:
    relative = path.relative_to(top)
    if len(relative.parts) != 2 or not path.stem.isdigit():
        return None
    return relative.parts[0], int(path.stem)


def _orphan_problems(root: Path, split: str, known: set[Key], csv: Path) -> list[Problem]:
    """Parquet files under ``{split}_tracking`` / ``{split}_annotation`` with no metadata row."""
    problems = []
    for kind in ("tracking", "annotation"):
        top = root / f"{split}_{kind}"
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*.parquet")):
            key = _file_key(path, top)
            if key is None:
                message = f"not named {split}_{kind}/<lab_id>/<video_id>.parquet"
                problems.append(Problem(path, message))
            elif key not in known:
                problems.append(Problem(path, f"no row in {csv.name} for this {kind} file"))
    return problems
