"""BORIS tabular event exports (``Observations > Export events``, csv/tsv).

The file may start with a block of observation details (``Observation id``,
``Media file(s)``, ...); the event table starts at the row holding the column
names ``Time``, ``Subject``, ``Behavior`` and ``Status`` (newer BORIS versions
call the last one ``Behavior type``). State events come as ``START`` / ``STOP``
pairs; a ``POINT`` event has no duration and is refused. The subject is the
agent; the target comes from a modifier column (``Modifiers``,
``Modifier #1``, ...) or from ``--target``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mabe.data.importers.labels import (
    LABEL_COLUMNS,
    LabelTable,
    RecordingInfo,
    match_recording,
    seconds_to_frame,
)
from mabe.errors import DataError


def _header_line(lines: list[list[str]], path: Path) -> int:
    for i, cells in enumerate(lines):
        names = {c.strip() for c in cells}
        if {"Time", "Behavior", "Subject"} <= names and names & {
            "Status",
            "Behavior type",
        }:
            return i
    raise DataError(
        path,
        "not a BORIS tabular events export (no row with the columns Time, Subject, "
        "Behavior and Status)",
    )


def read_events(path: str | Path) -> pd.DataFrame:
    """Read the event table of a BORIS export, with a ``line`` column (1-based file line).

    Examples
    --------
    >>> read_events("/nonexistent_boris.csv")
    Traceback (most recent call last):
    ...
    mabe.errors.DataError: /nonexistent_boris.csv: label file not found
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "label file not found")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    top = _header_line(lines, path)
    header = [c.strip() for c in lines[top]]
    records = []
    for offset, cells in enumerate(lines[top + 1 :], start=top + 2):
        if not any(c.strip() for c in cells):
            continue
        cells = (cells + [""] * len(header))[: len(header)]
        records.append({"line": offset, **dict(zip(header, cells, strict=True))})
    frame = pd.DataFrame(records, columns=["line", *header])
    if "Status" not in frame:
        frame["Status"] = frame["Behavior type"]
    return frame


def _modifier(event: dict[str, str]) -> str:
    for key, value in event.items():
        if str(key).lower().startswith("modifier") and str(value).strip():
            return str(value).strip()
    return ""


def read_boris(
    path: str | Path,
    infos: Sequence[RecordingInfo],
    agent: str | None = None,
    target: str | None = None,
) -> LabelTable:
    """Read a BORIS tabular events export into intervals.

    Parameters
    ----------
    path
        The export (``.csv`` or ``.tsv``).
    infos
        The pose recordings of this import; the file is matched to one of them
        by name (:func:`~mabe.data.importers.labels.match_recording`, using the
        file's own stem and its media file's stem).
    agent
        Used when an event has no subject.
    target
        Used when an event has no modifier; ``"self"`` for self actions.

    Raises
    ------
    DataError
        Naming the file and line: a ``POINT`` event, a ``STOP`` without
        ``START`` (or the reverse), an event without a target, a bad time,
        an ``FPS`` different from the pose file's.
    """
    path = Path(path)
    events = read_events(path)
    media = [
        Path(m.replace("\\", "/")).stem for m in events.get("Media file path", []) if m
    ]
    names = [path.stem, *dict.fromkeys(media)]
    recording = match_recording(path, names, [i.stem for i in infos])
    info = infos[recording]
    rows: list[dict[str, object]] = []
    open_events: dict[tuple[str, str, str], tuple[int, float]] = {}
    for event in events.to_dict("records"):
        where = f"line {event['line']}"
        status = str(event["Status"]).strip().upper()
        behavior = str(event["Behavior"]).strip()
        if status == "POINT":
            raise DataError(
                path,
                f"{where}: POINT event {behavior!r} has no duration; only state events "
                "(START/STOP) can become intervals (re-code it as a state event in BORIS)",
            )
        if status not in ("START", "STOP"):
            raise DataError(
                path, f"{where}: status {event['Status']!r} is not START or STOP"
            )
        fps_text = str(event.get("FPS", "") or "").strip()
        if fps_text:
            try:
                fps = float(fps_text)
            except ValueError:
                raise DataError(
                    path, f"{where}: FPS {fps_text!r} is not a number"
                ) from None
            if fps > 0 and abs(fps - info.fps) > 1e-3:
                raise DataError(
                    path,
                    f"{where}: FPS {fps:g} differs from {info.stem} ({info.fps:g} fps)",
                )
        try:
            seconds = float(str(event["Time"]).strip())
        except ValueError:
            raise DataError(
                path, f"{where}: Time {event['Time']!r} is not a number"
            ) from None
        subject = str(event["Subject"]).strip() or (agent or "")
        if not subject:
            raise DataError(
                path, f"{where}: event {behavior!r} has no subject; pass --agent"
            )
        whom = _modifier(event) or (target or "")
        if not whom:
            raise DataError(
                path,
                f"{where}: no target for {behavior!r} by {subject!r} (no modifier); "
                "pass --target NAME (or --target self)",
            )
        key = (subject, whom, behavior)
        if status == "START":
            if key in open_events:
                raise DataError(
                    path, f"{where}: START of {behavior!r} while it is already on"
                )
            open_events[key] = (int(event["line"]), seconds)
            continue
        if key not in open_events:
            raise DataError(path, f"{where}: STOP of {behavior!r} without a START")
        line, begin = open_events.pop(key)
        if seconds < begin:
            raise DataError(
                path, f"line {line}: STOP ({seconds} s) is before START ({begin} s)"
            )
        start = seconds_to_frame(begin, info.fps)
        stop = max(seconds_to_frame(seconds, info.fps), start + 1)
        rows.append(
            {
                "recording": recording,
                "row": f"lines {line}-{event['line']}",
                "agent": subject,
                "target": "" if whom in ("self", subject) else whom,
                "action": behavior,
                "start_frame": start,
                "stop_frame": stop,
            }
        )
    if open_events:
        (subject, _, behavior), (line, _) = next(iter(open_events.items()))
        raise DataError(
            path, f"line {line}: START of {behavior!r} by {subject!r} is never stopped"
        )
    return LabelTable(path, pd.DataFrame(rows, columns=list(LABEL_COLUMNS)))
