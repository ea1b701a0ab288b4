"""``DATA/sources.csv``: where every imported video came from.

One row per imported video: the source pose file (absolute path, size and the
sha256 of its first MiB, or of the whole file when smaller), the software it
was read as, which frames of it the video holds (a recording may be cut into
several videos), the individual names and their mouse ids. Export, reports and
ethograms use it to name mice and times as the user knows them
(:func:`individual_names`, :func:`individual_name`); import uses the
fingerprint to refuse the same file twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mabe.data import schema
from mabe.errors import DataError

SOURCES_FILE = "sources.csv"

SOURCE_COLUMNS: tuple[str, ...] = (
    "video_id",
    "lab_id",
    "split",
    "source_file",
    "source_size",
    "source_sha256",
    "sha256_of",
    "source_software",
    "fps",
    "first_frame",
    "n_frames",
    "individuals",
    "mouse_ids",
)
"""Columns of ``sources.csv``. ``sha256_of`` is ``"first MiB"`` or ``"whole file"``;
``first_frame`` is the recording's frame that is the video's frame 0;
``individuals`` a JSON list in file order; ``mouse_ids`` a JSON object name -> id."""

FINGERPRINT_BYTES = 1 << 20


def fingerprint(path: Path) -> tuple[int, str, str]:
    """``(size, sha256 hex, what was hashed)`` of a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes(b"abc")
    >>> fingerprint(p)[0], fingerprint(p)[2]
    (3, 'whole file')
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read(FINGERPRINT_BYTES)).hexdigest()
    return size, digest, "whole file" if size <= FINGERPRINT_BYTES else "first MiB"


def sources_path(root: Path) -> Path:
    """Return the sources table's path in dataset ``root``."""
    return Path(root) / SOURCES_FILE


def read_sources(root: str | Path) -> pd.DataFrame:
    """Read the sources table of a dataset; empty (with the columns) when there is none.

    Raises
    ------
    DataError
        If the file exists but is not readable or lacks columns.
    """
    path = sources_path(Path(root))
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SOURCE_COLUMNS})
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001
        raise DataError(
            path, f"not a readable CSV file ({' '.join(str(exc).split())})"
        ) from None
    missing = [c for c in SOURCE_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)}")
    return table


def _individuals(cell: object) -> list[str]:
    return [str(name) for name in json.loads(str(cell) or "[]")]


def source_of(sources: pd.DataFrame, video_id: int) -> dict[str, object] | None:
    """Return the parsed source row of one video (``individuals`` list, ints), or ``None``."""
    hits = sources[sources["video_id"].astype(str) == str(int(video_id))]
    if hits.empty:
        return None
    row: dict[str, object] = dict(hits.iloc[0])
    row["individuals"] = _individuals(row["individuals"])
    try:
        row["first_frame"] = int(str(row["first_frame"]))
        row["n_frames"] = int(str(row["n_frames"]))
        row["fps"] = float(str(row["fps"]))
    except ValueError:
        raise DataError(
            SOURCES_FILE, f"video {int(video_id)}: first_frame, n_frames and fps must be numbers "
            f"(got {row['first_frame']!r}, {row['n_frames']!r}, {row['fps']!r})"
        ) from None
    return row


def individual_names(sources: pd.DataFrame) -> dict[int, tuple[str, ...]]:
    """Individual names of each imported video, in mouse order (``{video_id: names}``).

    Examples
    --------
    >>> table = pd.DataFrame({"video_id": ["4"], "individuals": ['["adult", "juvenile"]']})
    >>> individual_names(table)
    {4: ('adult', 'juvenile')}
    """
    return {
        int(vid): tuple(_individuals(cell))
        for vid, cell in zip(sources["video_id"], sources["individuals"], strict=True)
    }


def individual_name(mouse: str, names: Sequence[str]) -> str:
    """Return the name a person uses for ``mouseN`` (slot ``N - 1`` of ``names``), else ``mouse``.

    ``self``, and a mouse beyond the names (or no names at all), stay as they are.

    Examples
    --------
    >>> [individual_name(m, ["adult", "juvenile"]) for m in ("mouse2", "self", "mouse3")]
    ['juvenile', 'self', 'mouse3']
    >>> individual_name("mouse1", ())
    'mouse1'
    """
    try:
        number = schema.mouse_number(mouse)
    except ValueError:
        return mouse
    return str(names[number - 1]) if 1 <= number <= len(names) else mouse


def mouse_names(sources: pd.DataFrame, video_id: int, n_mice: int) -> tuple[str, ...]:
    """Return the names of mouse slots 1..``n_mice`` of one video.

    The individual names ``mabe import`` recorded in ``sources.csv``, else ``mouseN``.

    Examples
    --------
    >>> mouse_names(read_sources("no-such-dataset"), 7, 2)
    ('mouse1', 'mouse2')
    """
    names = individual_names(sources[sources["video_id"].astype(str) == str(int(video_id))]).get(int(video_id), ())
    return tuple(individual_name(schema.mouse_name(i), names) for i in range(1, n_mice + 1))
