"""Reading and writing ``submission.csv`` files.

A submission has the columns :data:`mabe.data.schema.SUBMISSION_COLUMNS`:
``row_id, video_id, agent_id, target_id, action, start_frame, stop_frame`` with
agents as ``mouseN``, targets ``mouseM`` or ``self`` and exclusive stops.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mabe.data.schema import SUBMISSION_COLUMNS
from mabe.errors import DataError, MabeError
from mabe.fileio import atomic_write_text

_INT_COLUMNS = ("row_id", "video_id", "start_frame", "stop_frame")


def read_submission(path: str | Path) -> pd.DataFrame:
    """Read a submission CSV, checking its columns and integer fields.

    Raises
    ------
    DataError
        If the file is missing, not CSV, lacks a column or has a non-integer frame.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(path, "is a directory, not a submission CSV file")
    if not path.is_file():
        raise DataError(path, "submission file not found")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(path, f"not a readable CSV file ({type(exc).__name__})") from None
    missing = [c for c in SUBMISSION_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)}")
    for col in _INT_COLUMNS:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | values.abs().eq(float("inf")) | (values != values.round())
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise DataError(
                path, f"column '{col}' row {row + 2}: {df[col].iloc[row]!r} is not an integer"
            )
        df[col] = values.astype("int64")
    for col in ("agent_id", "target_id", "action"):
        df[col] = df[col].astype(str)
    return df[list(SUBMISSION_COLUMNS)]


def write_submission(df: pd.DataFrame, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``df`` atomically to ``path`` (temp file, then rename).

    Refuses to replace an existing file unless ``overwrite`` is true.
    """
    path = Path(path)
    if path.is_dir():
        raise MabeError(f"{path}: is a directory; give --out a file name such as submission.csv")
    if path.exists() and not overwrite:
        raise MabeError(f"{path}: already exists; choose another --out or pass --overwrite")
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, df[list(SUBMISSION_COLUMNS)].to_csv(index=False))
