"""Long-format tracking rows to a dense ``(frames, mice, body_parts, 2)`` array."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mabe.data.schema import TRACKING_COLUMNS
from mabe.data.types import Pose


def body_part_order(listed: Sequence[str] | None, found: Sequence[str]) -> tuple[str, ...]:
    """Names of the body-part axis: ``listed`` in order, then unlisted ``found`` names sorted.

    Repeated names are kept once.

    Examples
    --------
    >>> body_part_order(["nose", "tail_base"], ["tail_base", "ear_left", "nose"])
    ('nose', 'tail_base', 'ear_left')
    >>> body_part_order(None, ["tail_base", "nose"])
    ('nose', 'tail_base')
    """
    names = dict.fromkeys(listed or ())
    extra = sorted(set(found) - set(names))
    return tuple(names) + tuple(extra)


def tracking_to_dense(
    df: pd.DataFrame,
    body_parts: Sequence[str] | None = None,
    n_mice: int | None = None,
) -> Pose:
    """Turn long-format tracking rows into a dense :class:`~mabe.data.types.Pose`.

    Vectorised: body-part names are factorised once and every row is written
    with one fancy-indexed assignment into a NaN-filled ``float32`` array.

    Parameters
    ----------
    df
        Rows with the columns of :data:`~mabe.data.schema.TRACKING_COLUMNS`,
        as checked by :func:`mabe.data.io.read_tracking` (frames >= 0,
        mouse ids >= 1, body parts named, no duplicate keypoints; if there are duplicates one of
        them wins).
    body_parts
        The metadata's ``body_parts_tracked``; sets the order of the body-part
        axis. Names found in ``df`` but not listed are appended, sorted.
    n_mice
        Mice listed in the metadata; the mouse axis has
        ``max(n_mice, max mouse_id)`` slots (slot ``i`` is mouse ``i + 1``).

    Returns
    -------
    Pose
        ``coords`` of shape ``(max video_frame + 1, mice, body_parts, 2)``,
        NaN where a keypoint has no row.

    Raises
    ------
    ValueError
        If a column is missing, a frame is negative, a mouse id is < 1 or a
        body-part name is missing.

    Examples
    --------
    >>> df = pd.DataFrame({"video_frame": [0, 2], "mouse_id": [1, 2],
    ...                    "bodypart": ["nose", "ear"], "x": [1.0, 3.0], "y": [2.0, 4.0]})
    >>> pose = tracking_to_dense(df, body_parts=["nose"], n_mice=2)
    >>> pose.coords.shape, pose.body_parts
    ((3, 2, 2, 2), ('nose', 'ear'))
    >>> pose.coords[2, 1, 1].tolist()
    [3.0, 4.0]
    """
    missing = [c for c in TRACKING_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"tracking rows lack columns {missing}")
    frames = df["video_frame"].to_numpy(dtype=np.int64)
    mice = df["mouse_id"].to_numpy(dtype=np.int64)
    if len(df) and frames.min() < 0:
        raise ValueError(f"negative video_frame {frames.min()}")
    if len(df) and mice.min() < 1:
        raise ValueError(f"mouse_id {mice.min()} < 1")
    codes, uniques = pd.factorize(df["bodypart"])
    if (codes < 0).any():
        raise ValueError("missing bodypart names")
    found = [str(name) for name in uniques]
    names = body_part_order(body_parts, found)
    slot_of = {name: i for i, name in enumerate(names)}
    lookup = np.array([slot_of[name] for name in found], dtype=np.int64)
    n_frames = int(frames.max()) + 1 if len(df) else 0
    n_slots = max(int(n_mice or 1), int(mice.max()) if len(df) else 0)
    coords = np.full((n_frames, n_slots, len(names), 2), np.nan, dtype=np.float32)
    xy = np.stack([df["x"].to_numpy(np.float32), df["y"].to_numpy(np.float32)], axis=1)
    coords[frames, mice - 1, lookup[codes]] = xy
    return Pose(coords=coords, body_parts=names)
