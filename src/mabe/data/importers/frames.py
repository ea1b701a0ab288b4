"""Per-frame label tables: one 0/1 column per action (SimBA / DLC2action style).

Row ``i`` is frame ``i`` of the recording, unless a ``frame`` /
``video_frame`` / ``frame_idx`` column gives the frame numbers. Action columns
are the columns holding only 0 and 1 (pose and probability columns are
skipped), or exactly those named by ``--behaviors``. The whole table is about
one (agent, target) pair given by ``--agent`` / ``--target`` (target empty or
``self``: self actions); ``--agent`` may be left out when the recording has
one individual.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mabe.data.importers.intervals import read_table
from mabe.data.importers.labels import (
    LABEL_COLUMNS,
    LabelTable,
    RecordingInfo,
    match_recording,
    runs_of_ones,
)
from mabe.errors import DataError

FRAME_COLUMNS: tuple[str, ...] = ("frame", "video_frame", "frame_idx", "frames")
"""Column names taken as frame numbers rather than actions."""


def _binary(values: pd.Series) -> np.ndarray | None:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
    if len(numbers) == 0 or not np.isin(numbers, (0.0, 1.0)).all():
        return None
    return numbers.astype(np.int8)


def read_frames(
    path: str | Path,
    infos: Sequence[RecordingInfo],
    agent: str | None,
    target: str | None,
    behaviors: Sequence[str] | None = None,
) -> LabelTable:
    """Read a per-frame 0/1 table into intervals.

    Raises
    ------
    DataError
        No action column, a ``--behaviors`` column missing or not 0/1, more
        rows (frames) than the recording has, no ``--agent`` with several
        individuals.
    """
    path = Path(path)
    table = read_table(path)
    recording = match_recording(path, [path.stem], [i.stem for i in infos])
    info = infos[recording]
    if not agent:
        if len(info.individuals) != 1:
            raise DataError(
                path,
                f"per-frame labels need --agent (individuals: {', '.join(info.individuals)})",
            )
        agent = info.individuals[0]
    target = "" if not target or target in ("self", agent) else target
    frame_column = next(
        (c for c in table.columns if str(c).lower() in FRAME_COLUMNS), None
    )
    if frame_column is not None:
        frames = pd.to_numeric(table[frame_column], errors="coerce").to_numpy(
            np.float64
        )
        if (
            not np.isfinite(frames).all()
            or (frames != np.round(frames)).any()
            or (frames < 0).any()
        ):
            raise DataError(
                path,
                f"column {frame_column!r} holds a value that is not a frame number",
            )
        frames = frames.astype(np.int64)
    else:
        frames = np.arange(len(table), dtype=np.int64)
    if len(frames) and int(frames.max()) >= info.n_frames:
        line = int(np.argmax(frames >= info.n_frames)) + 2
        raise DataError(
            path,
            f"line {line}: frame {int(frames.max())} is beyond the video "
            f"({info.stem}: {info.n_frames} frames)",
        )
    candidates = [c for c in table.columns if c != frame_column]
    if behaviors is not None:
        absent = [b for b in behaviors if b not in table.columns]
        if absent:
            raise DataError(path, f"no column for behaviour(s) {', '.join(absent)}")
        candidates = list(behaviors)
    actions: dict[str, np.ndarray] = {}
    for column in candidates:
        values = _binary(table[column])
        if values is None:
            if behaviors is not None:
                raise DataError(
                    path, f"column {column!r} holds values other than 0 and 1"
                )
            continue
        actions[str(column)] = values
    if not actions:
        raise DataError(path, "no action column (a column holding only 0 and 1)")
    rows = []
    for action, values in actions.items():
        dense = np.zeros(info.n_frames, dtype=np.int8)
        dense[frames] = values
        for start, stop in runs_of_ones(dense):
            rows.append(
                {
                    "recording": recording,
                    "row": f"column {action!r} frames {start}-{stop - 1}",
                    "agent": agent,
                    "target": target,
                    "action": action,
                    "start_frame": start,
                    "stop_frame": stop,
                }
            )
    declared = {(recording, agent, target, a) for a in actions}
    return LabelTable(path, pd.DataFrame(rows, columns=list(LABEL_COLUMNS)), declared)
