"""Writing the tracking and annotation parquet files of imported videos.

The same schemas as the simulator's files (:mod:`mabe.data.synth.writer`),
derived from :data:`mabe.data.schema.TRACKING_DTYPES` /
:data:`~mabe.data.schema.ANNOTATION_DTYPES`; kept here so that importing does
not load the simulator.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mabe.data import schema

BLOCK_FRAMES = 4096
"""Frames per parquet row group."""


def _arrow_schema(dtypes: dict[str, str]) -> pa.Schema:
    one_row = {
        c: pd.Series(["" if d == "object" else 0], dtype=d) for c, d in dtypes.items()
    }
    return pa.Schema.from_pandas(pd.DataFrame(one_row), preserve_index=False)


def write_tracking(path: Path, coords: np.ndarray, body_parts: tuple[str, ...]) -> int:
    """Write ``coords (frames, mice, parts, 2)`` as long-format rows, skipping NaN keypoints.

    Rows are ordered by frame, mouse id (slot + 1), then body part. Returns the rows written.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "1.parquet"
    >>> xy = np.zeros((2, 1, 2, 2), np.float32); xy[1, 0, 1] = np.nan
    >>> write_tracking(p, xy, ("nose", "tail"))
    3
    """
    if coords.ndim != 4 or coords.shape[2] != len(body_parts) or coords.shape[3] != 2:
        raise ValueError(
            f"coords must be (frames, mice, {len(body_parts)}, 2), got {coords.shape}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    arrow = _arrow_schema(schema.TRACKING_DTYPES)
    names = pa.array(list(body_parts))
    rows = 0
    with pq.ParquetWriter(path, arrow) as writer:
        for first in range(0, coords.shape[0], BLOCK_FRAMES):
            block = coords[first : first + BLOCK_FRAMES]
            f, m, p = np.nonzero(np.isfinite(block).all(axis=-1))
            xy = block[f, m, p].astype(np.float32)
            parts = pa.DictionaryArray.from_arrays(pa.array(p.astype(np.int32)), names)
            table = pa.Table.from_arrays(
                [
                    pa.array(f.astype(np.int64) + first),
                    pa.array(m.astype(np.int64) + 1),
                    parts.dictionary_decode(),
                    pa.array(xy[:, 0]),
                    pa.array(xy[:, 1]),
                ],
                schema=arrow,
            )
            writer.write_table(table)
            rows += table.num_rows
    return rows


def write_annotations(path: Path, frame: pd.DataFrame) -> None:
    """Write an annotation frame (possibly empty) with the exact annotation dtypes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrow = _arrow_schema(schema.ANNOTATION_DTYPES)
    table = pa.Table.from_pandas(
        frame[list(schema.ANNOTATION_COLUMNS)].astype(schema.ANNOTATION_DTYPES),
        schema=arrow,
        preserve_index=False,
    )
    pq.write_table(table, path)
