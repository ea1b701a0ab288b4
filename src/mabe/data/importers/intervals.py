"""Interval tables: one row per bout, in frames or in seconds.

Columns (csv, or parquet by suffix):

- ``video`` (the pose file's stem) or ``video_id`` (the id this import gives
  the recording); optional when one pose file is imported; rows about other
  recordings are skipped (and counted), so one table can serve several imports;
- ``agent``, ``target``: the pose file's individual names or ``mouse1``..
  ``mouseN``; ``target`` empty, missing or equal to ``agent`` means a self action;
- ``action``;
- ``start_frame``, ``stop_frame`` (stop exclusive) or ``start_s``, ``stop_s``.

This is also what ``mabe export --format intervals`` writes, with frames in
the source recording's frames, so an export reads back unchanged.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mabe.data.importers.labels import (
    LABEL_COLUMNS,
    LabelTable,
    RecordingInfo,
    seconds_to_frame,
)
from mabe.errors import DataError


def read_table(path: Path) -> pd.DataFrame:
    """Read a csv / tsv / parquet label table as text cells (except parquet)."""
    if not path.is_file():
        raise DataError(path, "label file not found")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        raise DataError(
            path, f"not a readable table ({' '.join(str(exc).split())})"
        ) from None


def _number(path: Path, where: str, column: str, value: object) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if not np.isfinite(number):
        raise DataError(path, f"{where}: {column} {value!r} is not a number")
    return number


def _frame(path: Path, where: str, column: str, value: object) -> int:
    number = _number(path, where, column, value)
    if number != int(number):
        raise DataError(
            path, f"{where}: {column} {value!r} is not a whole frame number"
        )
    return int(number)


def _recording_of(
    path: Path,
    where: str,
    record: dict[str, object],
    infos: Sequence[RecordingInfo],
    video_ids: Sequence[int | None],
    cut_ids: Collection[int],
) -> int | None:
    """Index of the recording a row is about; ``None`` for one not in this import."""
    stem = str(record.get("video", "") or "").strip()
    if stem:
        stems = [i.stem for i in infos]
        return stems.index(stem) if stem in stems else None
    vid = str(record.get("video_id", "") or "").strip()
    if vid:
        number = _frame(path, where, "video_id", vid)
        if number in cut_ids:
            raise DataError(
                path,
                f"{where}: video_id {number} is one piece of a recording cut by "
                "--split-minutes; give the pose file's stem in a video column instead",
            )
        return list(video_ids).index(number) if number in video_ids else None
    if len(infos) == 1:
        return 0
    raise DataError(
        path, f"{where}: no video or video_id, and several pose files are imported"
    )


def _named(record: dict[str, object]) -> str:
    stem = str(record.get("video", "") or "").strip()
    return stem or f"video_id {str(record.get('video_id', '')).strip()}"


def read_intervals(
    path: str | Path,
    infos: Sequence[RecordingInfo],
    video_ids: Sequence[int | None] | None = None,
    cut_ids: Collection[int] = (),
) -> LabelTable:
    """Read an interval table.

    One table may cover more recordings than this import (a project's labels,
    imported in several calls): rows whose ``video`` is not one of the pose
    files imported, or whose ``video_id`` is not an id this import gives, are
    left out and counted in :attr:`~mabe.data.importers.labels.LabelTable.skipped`.

    Parameters
    ----------
    path
        The table.
    infos
        The pose recordings of this import.
    video_ids
        The ids given to the recordings (``None`` for one cut into several videos).
    cut_ids
        The ids given to the pieces of recordings cut into several videos.

    Raises
    ------
    DataError
        Missing columns; a row with a bad number, a ``video_id`` of a cut
        recording, or both frame and second columns missing (naming file and
        csv line); rows, none of them about a recording of this import.
    """
    path = Path(path)
    table = read_table(path)
    columns = set(table.columns)
    missing = [c for c in ("agent", "action") if c not in columns]
    in_frames = {"start_frame", "stop_frame"} <= columns
    in_seconds = {"start_s", "stop_s"} <= columns
    if not (in_frames or in_seconds):
        missing.append("start_frame/stop_frame or start_s/stop_s")
    if missing:
        raise DataError(path, f"missing column(s): {', '.join(missing)}")
    ids = list(video_ids) if video_ids is not None else [None] * len(infos)
    rows = []
    others: list[str] = []
    seen: set[tuple[str, bool]] = set()
    for i, record in enumerate(table.to_dict("records")):
        where = f"line {i + 2}"
        recording = _recording_of(path, where, record, infos, ids, set(cut_ids))
        if recording is None:
            others.append(_named(record))
            agent = str(record.get("agent", "") or "").strip()
            target = str(record.get("target", "") or "").strip()
            action = str(record.get("action", "") or "").strip()
            if agent and action:
                seen.add((action, target in ("", "self", agent)))
            continue
        fps = infos[recording].fps
        use_frames = in_frames and str(record.get("start_frame", "")).strip() != ""
        if use_frames:
            start = _frame(path, where, "start_frame", record["start_frame"])
            stop = _frame(path, where, "stop_frame", record["stop_frame"])
        else:
            start_s = _number(path, where, "start_s", record["start_s"])
            stop_s = _number(path, where, "stop_s", record["stop_s"])
            if stop_s < start_s:
                raise DataError(
                    path, f"{where}: stop_s ({stop_s}) is before start_s ({start_s})"
                )
            start = seconds_to_frame(start_s, fps)
            stop = max(seconds_to_frame(stop_s, fps), start + 1)
        agent = str(record["agent"]).strip()
        target = str(record.get("target", "") or "").strip()
        action = str(record["action"]).strip()
        if not agent:
            raise DataError(path, f"{where}: agent is empty")
        if not action:
            raise DataError(path, f"{where}: action is empty")
        rows.append(
            {
                "recording": recording,
                "row": where,
                "agent": agent,
                "target": "" if target in ("self", agent) else target,
                "action": action,
                "start_frame": start,
                "stop_frame": stop,
            }
        )
    if others and not rows:
        named = list(dict.fromkeys(others))
        more = f" and {len(named) - 3} more" if len(named) > 3 else ""
        raise DataError(
            path,
            f"no row is about a pose file of this import (rows name {', '.join(named[:3])}"
            f"{more}; imported: {', '.join(i.stem for i in infos)})",
        )
    return LabelTable(
        path,
        pd.DataFrame(rows, columns=list(LABEL_COLUMNS)),
        skipped=len(others),
        skipped_actions=seen,
    )
