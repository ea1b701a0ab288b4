"""Writing the Kaggle layout: parquet schemas, csv rows and an all-or-nothing staging dir.

The parquet schemas are derived from :data:`mabe.data.schema.TRACKING_DTYPES`
and :data:`~mabe.data.schema.ANNOTATION_DTYPES` through pandas, so the files
carry the same pandas metadata as files written with ``DataFrame.to_parquet``
(text columns: numpy ``object`` holding Python strings, stored as parquet
``string``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mabe.data import schema
from mabe.errors import MabeError


def _arrow_schema(dtypes: dict[str, str]) -> pa.Schema:
    """Arrow schema (with pandas metadata) of a frame with these dtypes; ``object`` is text."""
    one_row = {c: pd.Series(["" if d == "object" else 0], dtype=d) for c, d in dtypes.items()}
    return pa.Schema.from_pandas(pd.DataFrame(one_row), preserve_index=False)


TRACKING_SCHEMA = _arrow_schema(schema.TRACKING_DTYPES)
"""``video_frame int64, mouse_id int64, bodypart string, x float, y float``."""

ANNOTATION_SCHEMA = _arrow_schema(schema.ANNOTATION_DTYPES)
"""``agent_id int8, target_id int8, action string, start_frame int32, stop_frame int32``."""


def tracking_table(
    first_frame: int, keypoints: np.ndarray, present: np.ndarray, body_parts: tuple[str, ...]
) -> pa.Table:
    """Long-format tracking rows of a block of frames.

    Parameters
    ----------
    first_frame
        Frame number of ``keypoints[0]``.
    keypoints
        ``(frames, mice, parts, 2)`` pixel positions; mouse slot ``i`` is id ``i + 1``.
    present
        ``bool (frames, mice, parts)``: rows to write.
    body_parts
        Names of the parts axis.

    Returns
    -------
    pyarrow.Table
        Rows ordered by frame, mouse id, then body part (in ``body_parts`` order).
    """
    f, m, p = np.nonzero(present)
    xy = keypoints[f, m, p].astype(np.float32)
    parts = pa.DictionaryArray.from_arrays(pa.array(p.astype(np.int32)), pa.array(list(body_parts)))
    arrays = [
        pa.array(f.astype(np.int64) + first_frame),
        pa.array(m.astype(np.int64) + 1),
        parts.dictionary_decode(),
        pa.array(xy[:, 0]),
        pa.array(xy[:, 1]),
    ]
    return pa.Table.from_arrays(arrays, schema=TRACKING_SCHEMA)


def write_tracking(path: Path, blocks: Iterable[pa.Table]) -> int:
    """Write tracking blocks as row groups of one parquet file; return rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with pq.ParquetWriter(path, TRACKING_SCHEMA) as writer:
        for block in blocks:
            writer.write_table(block)
            rows += block.num_rows
    return rows


def write_annotations(path: Path, frame: pd.DataFrame) -> None:
    """Write an annotation frame (possibly empty) with the exact annotation schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(
        frame.astype(schema.ANNOTATION_DTYPES), schema=ANNOTATION_SCHEMA, preserve_index=False
    )
    pq.write_table(table, path)


def write_metadata(path: Path, rows: list[dict[str, object]]) -> None:
    """Write ``train.csv`` / ``test.csv``: the 38 columns in order, absent values empty."""
    frame = pd.DataFrame(rows, columns=list(schema.METADATA_COLUMNS))
    frame.to_csv(path, index=False, lineterminator="\n")


def check_out_dir(out: Path) -> None:
    """Refuse an ``out`` that exists and is not an empty directory."""
    if out.is_symlink():
        raise MabeError(f"{out}: is a symbolic link; choose a new path")
    if out.exists():
        if not out.is_dir():
            raise MabeError(f"{out}: exists and is not a directory; choose a new path")
        if any(out.iterdir()):
            raise MabeError(f"{out}: directory is not empty; refusing to write into it")


@contextmanager
def staging_dir(out: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``out`` that becomes ``out`` when the block succeeds.

    On any exception the temporary directory is removed and ``out`` is left as
    it was; a crash can therefore never leave half a dataset under ``out``.

    Raises
    ------
    MabeError
        If ``out`` exists and is not an empty directory (checked before and
        again just before the final rename).
    """
    out = Path(out)
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.synth-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
        check_out_dir(out)
        if out.is_dir():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
