"""Stream a tracking parquet file straight into a dense pose array.

The fast path of :meth:`mabe.data.io.MabeDataset.load_pose`: the file is read
one row group at a time with pyarrow (only the five tracking columns, body
parts dictionary-encoded), each row group's rows are checked and written with
one scatter into a preallocated NaN-filled ``(frames, mice, body_parts, 2)``
``float32`` array, and the row group is dropped before the next one is read.
No pandas object is built, so the peak memory is the pose array plus one row
group, not the whole long table several times over.

The fast path only *detects* problems. When a file is not the plain, clean
case (unusual column types, nulls, non-finite values, negative frames, mouse
ids outside 1..4, blank body-part names, duplicate keypoints, no statistics
it can trust...), :func:`stream_pose` returns ``None`` and the caller takes
the careful path (:func:`mabe.data.checks.check_tracking` then
:func:`mabe.data.dense.tracking_to_dense`), which produces the same array for
a clean file and the one-line message for a bad one. Both paths therefore
give identical results; the fast one is merely the common case.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mabe.data.dense import body_part_order
from mabe.data.schema import MAX_MICE, TRACKING_COLUMNS
from mabe.data.types import Pose

__all__ = ["release_arrow_memory", "stream_pose"]

_INT_COLUMNS = ("video_frame", "mouse_id")
_XY = ("x", "y")
_BATCH_ROWS = 1 << 16
"""Rows decoded at a time: bounds the memory beyond the pose array (~3 MB)."""


class _Careful(Exception):
    """Internal: this file needs the careful (pandas) path."""


def release_arrow_memory() -> None:
    """Hand pyarrow's cached, unused buffers back to the system.

    pyarrow's allocator keeps freed memory for reuse; after a large read that
    shows up as resident memory held by a process that holds no data.
    """
    pa.default_memory_pool().release_unused()
    pool = _reading_pool()
    if pool is not None:
        pool.release_unused()


@functools.cache
def _reading_pool() -> pa.MemoryPool | None:
    """Return jemalloc where pyarrow has it, else ``None`` (keep the default pool).

    With pyarrow's default mimalloc pool, streaming a file row batch by row
    batch left the process's peak resident memory at ~3.5x the pose array
    (freed batches are not reused promptly); with jemalloc it is ~1.3x.
    """
    try:
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowException):
        return None


@contextlib.contextmanager
def _pool_for_reading() -> Iterator[None]:
    """Allocate pyarrow buffers from :func:`_reading_pool` inside the block."""
    pool, previous = _reading_pool(), pa.default_memory_pool()
    if pool is None:
        yield
        return
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _is_number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_float32(kind) or pa.types.is_float64(kind)


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return pa.types.is_integer(kind.index_type) and _is_text(kind.value_type)
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _index_columns(schema: pa.Schema) -> set[str]:
    """Columns pandas turns into the index (``__index_level_0__``...), not data."""
    meta = schema.pandas_metadata or {}
    return {name for name in meta.get("index_columns", []) if isinstance(name, str)}


def _check_schema(schema: pa.Schema) -> None:
    names = [n for n in schema.names if n not in _index_columns(schema)]
    if sorted(names) != sorted(TRACKING_COLUMNS) or len(set(schema.names)) != len(schema.names):
        raise _Careful
    for name in _INT_COLUMNS:
        if not pa.types.is_integer(schema.field(name).type):
            raise _Careful
    for name in _XY:
        if not _is_number(schema.field(name).type):
            raise _Careful
    if not _is_text(schema.field("bodypart").type):
        raise _Careful


def _bounds(meta: pq.FileMetaData, column: str) -> tuple[int, int]:
    """(min, max) of an integer column from the row-group statistics; no nulls allowed."""
    index = meta.schema.names.index(column)
    lows, highs = [], []
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        if group.num_rows == 0:
            continue
        stats = group.column(index).statistics
        if stats is None or not stats.has_min_max or stats.null_count != 0:
            raise _Careful
        lows.append(int(stats.min))
        highs.append(int(stats.max))
    if not lows:
        raise _Careful
    return min(lows), max(highs)


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    if column.null_count:
        raise _Careful
    return column.to_numpy()


def _codes(column: pa.ChunkedArray, slot_of: dict[str, int], names: list[str]) -> np.ndarray:
    """Body-part slot of every row; new (unlisted) names get the next slots."""
    if column.null_count:
        raise _Careful
    parts = []
    for chunk in column.chunks:
        if not isinstance(chunk, pa.DictionaryArray):
            chunk = chunk.dictionary_encode()
        indices = chunk.indices.to_numpy()
        dictionary = chunk.dictionary.to_pylist()
        used = np.bincount(indices, minlength=len(dictionary)) > 0
        lookup = np.zeros(len(dictionary), dtype=np.intp)
        for i, name in enumerate(dictionary):
            if not used[i]:
                continue
            if not name.strip():
                raise _Careful  # "bodypart is empty": the careful path words it
            if name not in slot_of:
                slot_of[name] = len(names)
                names.append(name)
            lookup[i] = slot_of[name]
        parts.append(lookup[indices])
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _finite(values: np.ndarray) -> bool:
    # A NaN or inf makes the sum non-finite; an overflowing sum of finite
    # values only sends the file down the careful path, which is still right.
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(values.sum(dtype=np.float64)))


def stream_pose(
    path: str | Path,
    body_parts: Sequence[str] | None = None,
    n_mice: int | None = None,
    max_frames: int | None = None,
) -> Pose | None:
    """Return the dense pose of a clean tracking file, or ``None`` for the careful path.

    Parameters
    ----------
    path
        A tracking parquet file (long format).
    body_parts, n_mice
        As for :func:`mabe.data.dense.tracking_to_dense`.
    max_frames
        A file whose last ``video_frame`` is at or beyond this takes the
        careful path (which refuses it) instead of allocating the array.

    Returns
    -------
    Pose or None
        Exactly ``tracking_to_dense(read_tracking(path), body_parts, n_mice)``
        when the file is clean; ``None`` when anything is unusual or wrong
        (then nothing is reported here: the careful path says what).

    Examples
    --------
    >>> stream_pose("/nonexistent.parquet") is None
    True
    """
    try:
        with _pool_for_reading():
            return _stream(Path(path), body_parts, n_mice, max_frames)
    except _Careful:
        return None
    except (OSError, ValueError, TypeError, KeyError, IndexError, pa.ArrowException):
        return None  # unreadable or odd: the careful path names the problem
    finally:
        release_arrow_memory()


def _stream(path: Path, listed: Sequence[str] | None, n_mice: int | None, max_frames: int | None) -> Pose:
    if not path.is_file() or path.stat().st_size == 0:
        raise _Careful
    reader = pq.ParquetFile(path, read_dictionary=["bodypart"], memory_map=False, pre_buffer=False, buffer_size=1 << 20)
    _check_schema(reader.schema_arrow)
    meta = reader.metadata
    if meta.num_rows == 0:
        raise _Careful
    low_frame, high_frame = _bounds(meta, "video_frame")
    low_mouse, high_mouse = _bounds(meta, "mouse_id")
    if low_frame < 0 or low_mouse < 1 or high_mouse > MAX_MICE:
        raise _Careful
    if max_frames is not None and high_frame >= max_frames:
        raise _Careful
    names = list(body_part_order(listed, []))
    slot_of = {name: i for i, name in enumerate(names)}
    n_frames, n_slots = high_frame + 1, max(int(n_mice or 1), high_mouse)
    coords = np.full((n_frames, n_slots, len(names), 2), np.nan, dtype=np.float32)
    rows = 0
    batches = reader.iter_batches(
        batch_size=_BATCH_ROWS, columns=list(TRACKING_COLUMNS), use_threads=False
    )
    for batch in batches:
        table = pa.Table.from_batches([batch])
        del batch
        # flat index of each row's (frame, mouse, part) slot, computed in place
        target = _numpy(table.column("video_frame")).astype(np.intp)
        target *= n_slots
        target += _numpy(table.column("mouse_id"))
        target -= 1
        codes = _codes(table.column("bodypart"), slot_of, names)
        if len(names) > coords.shape[2]:  # unlisted body parts: widen the axis
            wider = np.full((*coords.shape[:2], len(names), 2), np.nan, dtype=np.float32)
            wider[:, :, : coords.shape[2]] = coords
            coords = wider
        x, y = _numpy(table.column("x")), _numpy(table.column("y"))
        del table
        if not (_finite(x) and _finite(y)):
            raise _Careful
        target *= len(names)
        target += codes
        del codes
        flat = coords.reshape(-1, 2)
        flat[target, 0] = x
        flat[target, 1] = y
        rows += len(target)
        del x, y, target
    if np.count_nonzero(~np.isnan(coords[..., 0])) != rows:
        raise _Careful  # duplicate (video_frame, mouse_id, bodypart) rows
    order = body_part_order(listed, names)
    if tuple(names) != order:  # unlisted names arrive in file order; they go sorted
        coords = np.ascontiguousarray(coords[:, :, [slot_of[name] for name in order]])
    return Pose(coords=coords, body_parts=tuple(order))
