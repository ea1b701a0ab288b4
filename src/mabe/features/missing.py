"""Missing keypoints: short-gap interpolation and an explicit observation mask.

Missing values never silently become fake positions: :func:`fill_missing`
interpolates gaps over time, and what cannot be interpolated becomes 0 *and*
is reported in a boolean mask that feature sets can pass to the model.
"""

from __future__ import annotations

import numpy as np


def _check(coords: np.ndarray, max_gap: int | None) -> np.ndarray:
    coords = np.asarray(coords)
    if coords.ndim < 2 or coords.shape[-1] != 2:
        raise ValueError(
            f"coords must have shape (frames, ..., 2), e.g. (frames, mice, body_parts, 2); "
            f"got {coords.shape}"
        )
    if max_gap is not None and int(max_gap) < 0:
        raise ValueError(f"max_gap must be >= 0 or None, got {max_gap}")
    return coords


def interpolate_gaps(coords: np.ndarray, max_gap: int | None = None) -> np.ndarray:
    """Linearly interpolate runs of missing frames, keeping NaN elsewhere.

    Each series (every index except the frame axis, each of x and y on its
    own) is treated independently. A run of missing frames between two
    observations is filled linearly; a run at the start or end is filled by
    holding the nearest observation. With ``max_gap``, only runs of at most
    ``max_gap`` frames are filled (a run is filled entirely or not at all).

    Parameters
    ----------
    coords
        ``(frames, ..., 2)`` with NaN where missing.
    max_gap
        Longest run of missing frames to fill; ``None`` fills every run.

    Returns
    -------
    numpy.ndarray
        Same shape and float dtype; NaN only in runs that were not filled
        (and in series with no observation at all).

    Examples
    --------
    >>> x = np.array([0.0, np.nan, 2.0, np.nan, np.nan, np.nan, 6.0, np.nan], dtype=np.float32)
    >>> xy = np.stack([x, x], axis=-1)
    >>> interpolate_gaps(xy)[:, 0].tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0]
    >>> interpolate_gaps(xy, max_gap=1)[:, 0].tolist()
    [0.0, 1.0, 2.0, nan, nan, nan, 6.0, 6.0]
    """
    coords = _check(coords, max_gap)
    dtype = coords.dtype if np.issubdtype(coords.dtype, np.floating) else np.float32
    n = coords.shape[0]
    flat = coords.reshape(n, -1).astype(np.float64)
    valid = np.isfinite(flat)
    if valid.all() or n == 0:
        return flat.reshape(coords.shape).astype(dtype)
    frames = np.arange(n)[:, None]
    prev = np.maximum.accumulate(np.where(valid, frames, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(valid, frames, n)[::-1], axis=0)[::-1]
    cols = np.broadcast_to(np.arange(flat.shape[1]), flat.shape)
    has_prev, has_next = prev >= 0, nxt < n
    v_prev = flat[np.clip(prev, 0, n - 1), cols]
    v_next = flat[np.clip(nxt, 0, n - 1), cols]
    span = np.maximum(np.where(has_prev & has_next, nxt - prev, 1), 1)
    frac = (frames - prev) / span
    interior = v_prev + (v_next - v_prev) * frac
    fill = np.where(has_prev & has_next, interior, np.where(has_prev, v_prev, v_next))
    ok = ~valid & (has_prev | has_next)
    if max_gap is not None:
        # run length: frames between the surrounding observations (or the video edge)
        run = np.where(has_next, nxt, n) - np.where(has_prev, prev, -1) - 1
        ok &= run <= int(max_gap)
    out = np.where(ok, fill, flat)
    return out.reshape(coords.shape).astype(dtype)


def fill_missing(
    coords: np.ndarray, max_gap: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate gaps, set what is still missing to 0, and say what was observed.

    Parameters
    ----------
    coords
        ``(frames, mice, body_parts, 2)`` (any ``(frames, ..., 2)``), NaN where missing.
    max_gap
        Longest run of missing frames to interpolate (see :func:`interpolate_gaps`);
        ``None`` fills every run between or next to observations.

    Returns
    -------
    filled
        ``float32`` array of the same shape without NaN: observations, then
        interpolated / held values, then 0 where nothing could be filled
        (for example a body part never tracked in the video).
    observed_mask
        ``bool`` array of shape ``coords.shape[:-1]`` (one value per keypoint):
        ``True`` where both x and y were observed in the input. Interpolated
        and zero-filled keypoints are ``False``, so a model given the mask
        can tell a real position from a filled one.

    Examples
    --------
    >>> xy = np.array([[1.0, 1.0], [np.nan, np.nan], [3.0, 3.0]], dtype=np.float32)
    >>> filled, observed = fill_missing(xy)
    >>> filled[:, 0].tolist(), observed.tolist()
    ([1.0, 2.0, 3.0], [True, False, True])
    >>> fill_missing(np.full((2, 2), np.nan))[0].tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    coords = _check(coords, max_gap)
    observed = np.isfinite(coords).all(axis=-1)
    filled = interpolate_gaps(coords, max_gap)
    filled = np.nan_to_num(filled, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
    return filled, observed
