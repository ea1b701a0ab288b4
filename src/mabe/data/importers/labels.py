"""Label files, whatever their format, as one table of named intervals; names to mouse ids.

Each label reader (:mod:`~mabe.data.importers.boris`,
:mod:`~mabe.data.importers.intervals`, :mod:`~mabe.data.importers.frames`)
returns a :class:`LabelTable`: intervals in the frames of a pose recording,
agents and targets still as the names the user wrote (the pose file's
individual names, or ``mouse1``..``mouseN``). :func:`resolve` turns them into
integer mouse ids, checks every row (one line naming the file and row on the
first bad one) and :func:`behaviors_labeled` builds the whitelist.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mabe.data import schema
from mabe.errors import DataError

LABEL_COLUMNS: tuple[str, ...] = (
    "recording",
    "row",
    "agent",
    "target",
    "action",
    "start_frame",
    "stop_frame",
)
"""Columns of :attr:`LabelTable.rows`: recording index, row label for messages
(e.g. ``"line 18"``), agent name, target name (``""`` = self), action, frames
of the recording (stop exclusive)."""


@dataclass(frozen=True)
class RecordingInfo:
    """What a label reader needs to know about one pose recording."""

    stem: str
    fps: float
    n_frames: int
    individuals: tuple[str, ...]


@dataclass
class LabelTable:
    """Intervals read from one label file.

    Attributes
    ----------
    path
        The label file (named in messages).
    rows
        Columns :data:`LABEL_COLUMNS`.
    declared
        ``(recording, agent, target, action)`` annotated by the file even when
        no interval has them (a per-frame column of zeros).
    skipped
        Rows left out because they are about recordings not in this import
        (one label file kept for a whole project, imported in several calls).
    skipped_actions
        ``(action, is_self)`` of those rows: the file annotates these actions
        even when no row of this import has them.
    """

    path: Path
    rows: pd.DataFrame
    declared: set[tuple[int, str, str, str]] = field(default_factory=set)
    skipped: int = 0
    skipped_actions: set[tuple[str, bool]] = field(default_factory=set)


def empty_rows() -> pd.DataFrame:
    """Return a :attr:`LabelTable.rows` frame without rows."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in LABEL_COLUMNS})


def seconds_to_frame(seconds: float, fps: float) -> int:
    """Nearest frame boundary of a time in seconds (halves round up).

    Examples
    --------
    >>> seconds_to_frame(29.85, 30.0), seconds_to_frame(0.05, 30.0)
    (896, 2)
    """
    return math.floor(seconds * fps + 0.5)


def match_recording(path: Path, names: Sequence[str], stems: Sequence[str]) -> int:
    """Index of the pose recording a label file belongs to.

    With one recording, that one. Otherwise the recording whose file stem
    shares the longest common prefix with one of ``names`` (the label file's
    stem, BORIS's media file stem); a tie or no common prefix is an error.

    Examples
    --------
    >>> match_recording(Path("a_boris.csv"), ["a_boris"], ["a_DLC", "b_DLC"])
    0
    """
    if len(stems) == 1:
        return 0
    scores = [max(len(_common_prefix(n, s)) for n in names) for s in stems]
    best = max(scores)
    if best == 0 or scores.count(best) > 1:
        raise DataError(
            path,
            "cannot tell which pose file this label file belongs to; name them alike "
            "(e.g. session1_DLC.csv and session1_boris.csv) or import them one at a time",
        )
    return scores.index(best)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def mouse_id_of(name: str, individuals: Sequence[str]) -> int | None:
    """Mouse id of an individual name or ``mouseN``; ``None`` if unknown.

    Examples
    --------
    >>> mouse_id_of("juvenile", ["adult", "juvenile"]), mouse_id_of("mouse1", ["a", "b"])
    (2, 1)
    >>> mouse_id_of("mouse3", ["a", "b"]) is None
    True
    """
    if name in individuals:
        return list(individuals).index(name) + 1
    try:
        number = schema.mouse_number(name)
    except ValueError:
        return None
    return number if 1 <= number <= len(individuals) else None


def _id_or_raise(
    path: Path, row: str, what: str, name: str, info: RecordingInfo
) -> int:
    found = mouse_id_of(name, info.individuals)
    if found is None:
        known = ", ".join(info.individuals)
        raise DataError(
            path,
            f"{row}: unknown {what} {name!r} in {info.stem} (individuals: {known}; "
            f"or mouse1..mouse{len(info.individuals)})",
        )
    return found


def resolve(table: LabelTable, infos: Sequence[RecordingInfo]) -> pd.DataFrame:
    """Check every row and give integer mouse ids.

    Returns
    -------
    pd.DataFrame
        ``recording`` plus :data:`~mabe.data.schema.ANNOTATION_COLUMNS`
        (annotation dtypes), in file order.

    Raises
    ------
    DataError
        On the first bad row: unknown agent or target, stop before start,
        negative start, interval past the recording's end.
    """
    out = []
    for rec in table.rows.to_dict("records"):
        info = infos[int(rec["recording"])]
        row = str(rec["row"])
        agent = _id_or_raise(table.path, row, "subject/agent", str(rec["agent"]), info)
        target_name = str(rec["target"]).strip()
        target = (
            agent
            if not target_name or target_name == "self"
            else _id_or_raise(table.path, row, "target", target_name, info)
        )
        start, stop = int(rec["start_frame"]), int(rec["stop_frame"])
        if start < 0:
            raise DataError(
                table.path, f"{row}: start before the video's first frame ({start})"
            )
        if stop < start:
            raise DataError(
                table.path, f"{row}: stop ({stop}) is before start ({start})"
            )
        if stop > info.n_frames:
            raise DataError(
                table.path,
                f"{row}: interval [{start}, {stop}) goes beyond the video "
                f"({info.stem}: {info.n_frames} frames at {info.fps:g} fps)",
            )
        out.append(
            (int(rec["recording"]), agent, target, str(rec["action"]), start, stop)
        )
    frame = pd.DataFrame(out, columns=["recording", *schema.ANNOTATION_COLUMNS])
    return frame.astype({"recording": "int64", **schema.ANNOTATION_DTYPES})


def declared_pairs(
    table: LabelTable, resolved: pd.DataFrame, infos: Sequence[RecordingInfo]
) -> set[tuple[int, int, int, str]]:
    """List the ``(recording, agent_id, target_id, action)`` the file annotates (rows, declarations)."""
    found = {
        (int(r), int(a), int(t), str(act))
        for r, a, t, act in resolved[
            ["recording", "agent_id", "target_id", "action"]
        ].itertuples(index=False)
    }
    for recording, agent, target, action in table.declared:
        info = infos[recording]
        where = "declared pair"
        a = _id_or_raise(table.path, where, "agent", agent, info)
        t = (
            a
            if not target or target in ("self", agent)
            else _id_or_raise(table.path, where, "target", target, info)
        )
        found.add((recording, a, t, action))
    return found


def behaviors_labeled(
    declared: set[tuple[int, int, int, str]],
    recording: int,
    only: Sequence[str] | None = None,
    elsewhere: Collection[tuple[str, bool]] = (),
) -> list[schema.Triple]:
    """Build one recording's whitelist: each annotated pair times the file's actions of its kind.

    An action seen with a self pair (agent == target) is a self action; one
    seen with two mice is a pair action. Each (agent, target) pair annotated in
    ``recording`` gets every action of its kind that the label file annotates
    anywhere, ``elsewhere`` included (``(action, is_self)`` of rows about
    recordings not in this import, so importing a project's recordings in
    several calls gives the same whitelists as one call). ``only``
    (``--behaviors``) replaces the file's actions: a listed action never seen
    takes its kind from the MABe vocabulary (pair unless a known self action).

    Examples
    --------
    >>> d = {(0, 1, 2, "sniff"), (0, 2, 2, "rear"), (1, 1, 2, "attack")}
    >>> behaviors_labeled(d, 0)
    [('mouse1', 'mouse2', 'attack'), ('mouse1', 'mouse2', 'sniff'), ('mouse2', 'self', 'rear')]
    """
    self_actions = {act for _, a, t, act in declared if a == t}
    self_actions |= {act for act, is_self in elsewhere if is_self}
    pair_actions = {act for _, a, t, act in declared if a != t}
    pair_actions |= {act for act, is_self in elsewhere if not is_self}
    if only is not None:
        chosen = list(dict.fromkeys(only))
        self_actions = {
            a
            for a in chosen
            if a in self_actions or (a not in pair_actions and a in schema.SELF_ACTIONS)
        }
        pair_actions = set(chosen) - self_actions
    pairs = sorted({(a, t) for r, a, t, _ in declared if r == recording})
    triples = []
    for agent, target in pairs:
        actions = self_actions if agent == target else pair_actions
        for action in sorted(actions):
            triples.append(
                (schema.mouse_name(agent), schema.target_name(agent, target), action)
            )
    return triples


def runs_of_ones(column: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` runs where a 0/1 column is 1.

    Examples
    --------
    >>> runs_of_ones(np.array([0, 1, 1, 0, 1]))
    [(1, 3), (4, 5)]
    """
    padded = np.concatenate([[0], (np.asarray(column) > 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
