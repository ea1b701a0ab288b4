"""Time grids, fixed-length windows with padding masks, and overlap averaging.

How ``fps``, ``frame_gap`` and ``sequence_length`` are read
-----------------------------------------------------------
A video of ``n`` frames recorded at ``src_fps`` is first put on a *time grid*:
the nearest original frame every ``frame_gap / fps`` seconds (``fps=None``
keeps the native rate). Features and labels are taken at the grid points, so
every lab's windows span the same time. A window is ``sequence_length``
consecutive grid points; training windows start every ``window_stride`` grid
points (plus a random jitter). Videos shorter than a window are padded with
zeros and the padded frames are masked out of the loss and metrics.
Predictions on the grid are mapped back to every original frame through the
nearest grid point.
"""

from __future__ import annotations

import numpy as np


def time_grid(n_frames: int, src_fps: float, fps: float | None = None, frame_gap: int = 1) -> np.ndarray:
    """Original-frame index of each grid point.

    Parameters
    ----------
    n_frames
        Frames of the video (>= 0).
    src_fps
        The video's frame rate.
    fps
        Target rate; ``None`` keeps ``src_fps``.
    frame_gap
        Keep every ``frame_gap``-th point of the resampled sequence.

    Returns
    -------
    numpy.ndarray
        Non-decreasing ``int64`` indices in ``[0, n_frames)``; at least one point
        when ``n_frames > 0``.

    Examples
    --------
    >>> time_grid(10, 30.0, 15.0).tolist()
    [0, 2, 4, 6, 8]
    >>> time_grid(5, 30.0, None, frame_gap=2).tolist()
    [0, 2, 4]
    """
    if n_frames <= 0:
        return np.zeros(0, dtype=np.int64)
    rate = float(fps or src_fps) / max(int(frame_gap), 1)
    step = float(src_fps) / rate  # original frames per grid point
    n_points = int(np.floor((n_frames - 1) / step + 1e-9)) + 1
    grid = np.rint(np.arange(n_points) * step).astype(np.int64)
    return np.clip(grid, 0, n_frames - 1)


def grid_positions(n_frames: int, grid: np.ndarray) -> np.ndarray:
    """For every original frame, the nearest grid point (to map predictions back).

    Examples
    --------
    >>> grid_positions(6, np.array([0, 2, 4])).tolist()
    [0, 0, 1, 1, 2, 2]
    """
    grid = np.asarray(grid, dtype=np.int64)
    frames = np.arange(int(n_frames))
    right = np.clip(np.searchsorted(grid, frames, side="left"), 0, len(grid) - 1)
    left = np.clip(right - 1, 0, len(grid) - 1)
    use_left = np.abs(frames - grid[left]) <= np.abs(grid[right] - frames)
    return np.where(use_left, left, right)


def window_starts(n: int, length: int, stride: int) -> np.ndarray:
    """Return the starts of windows of ``length`` every ``stride`` points, the last one ending at ``n``.

    A sequence shorter than a window gets one window at 0 (to be padded).

    Examples
    --------
    >>> window_starts(10, 4, 3).tolist()
    [0, 3, 6]
    >>> window_starts(11, 4, 3).tolist()
    [0, 3, 6, 7]
    >>> window_starts(3, 4, 2).tolist()
    [0]
    """
    if n <= length:
        return np.zeros(1, dtype=np.int64)
    starts = np.arange(0, n - length + 1, max(int(stride), 1), dtype=np.int64)
    if starts[-1] != n - length:
        starts = np.append(starts, n - length)
    return starts


def tile_starts(n: int, length: int) -> np.ndarray:
    """Non-overlapping window starts covering ``n`` points once (the last window padded).

    Examples
    --------
    >>> tile_starts(10, 4).tolist()
    [0, 4, 8]
    """
    return np.arange(0, max(int(n), 1), int(length), dtype=np.int64)


def take_window(array: np.ndarray, start: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``start:start+length`` of ``array``, zero-padded past the end.

    Returns
    -------
    window
        Shape ``(length, *array.shape[1:])``, dtype of ``array``.
    valid
        ``bool`` of shape ``(length,)``: False on padded rows.

    Examples
    --------
    >>> w, v = take_window(np.arange(3.0)[:, None], 1, 4)
    >>> w[:, 0].tolist(), v.tolist()
    ([1.0, 2.0, 0.0, 0.0], [True, True, False, False])
    """
    start = int(start)
    if start < 0:
        raise ValueError(f"window start must be >= 0, got {start}")
    chunk = array[start : start + length]
    valid = np.zeros(length, dtype=bool)
    valid[: len(chunk)] = True
    if len(chunk) == length:
        return np.ascontiguousarray(chunk), valid
    window = np.zeros((length, *array.shape[1:]), dtype=array.dtype)
    window[: len(chunk)] = chunk
    return window, valid


def jitter_start(start: int, shift: int, n: int, length: int) -> int:
    """Shift a window start by ``shift`` points, keeping the window inside the sequence.

    Examples
    --------
    >>> jitter_start(0, -2, 10, 4), jitter_start(6, 2, 10, 4), jitter_start(3, 1, 10, 4)
    (0, 6, 4)
    """
    return int(np.clip(int(start) + int(shift), 0, max(int(n) - int(length), 0)))


def overlap_average(n: int, starts: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Average window outputs over the points they cover.

    Parameters
    ----------
    n
        Points of the sequence.
    starts
        ``(W,)`` window starts.
    outputs
        ``(W, length, ...)`` per-window outputs (padded rows past ``n`` are ignored).

    Returns
    -------
    numpy.ndarray
        ``(n, ...)`` float32 mean of the windows covering each point.
    """
    length = outputs.shape[1]
    total = np.zeros((n, *outputs.shape[2:]), dtype=np.float64)
    count = np.zeros(n, dtype=np.float64)
    for start, out in zip(np.asarray(starts, dtype=np.int64), outputs, strict=True):
        stop = min(int(start) + length, n)
        total[start:stop] += out[: stop - start]
        count[start:stop] += 1
    if (count == 0).any():
        raise ValueError("windows do not cover every point")
    shape = (n,) + (1,) * (total.ndim - 1)
    return (total / count.reshape(shape)).astype(np.float32)
