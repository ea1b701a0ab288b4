"""Frame-rate-aware temporal helpers: derivatives, centred windows and NaN-aware rolling statistics.

Windows and derivative steps are given in seconds and converted to frames
with the video's fps, so 10 fps and 120 fps videos give comparable values.

:func:`centred_window_bounds` is the one definition of a centred rolling
window in the package: the features' rolling statistics
(:func:`rolling_mean_std`, :func:`~mabe.features.context.rolling_min_max`)
and the decoder's smoothing (:func:`~mabe.decode.intervals.moving_average`)
all use it.
"""

from __future__ import annotations

import numpy as np

DERIVATIVE_HALF_SPAN_S = 1.0 / 30.0
"""Half the step of :func:`time_derivative` in seconds (one frame at 30 fps, four at 120 fps)."""


def _check_fps(fps: float) -> float:
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps}")
    return float(fps)


def window_frames(seconds: float, fps: float) -> int:
    """Odd number of frames closest to ``seconds`` at ``fps`` (at least 1).

    Examples
    --------
    >>> window_frames(1.0, 30.0), window_frames(0.25, 30.0), window_frames(0.25, 10.0)
    (31, 9, 3)
    """
    n = max(1, int(round(float(seconds) * _check_fps(fps))))
    return n if n % 2 else n + 1


def centred_window_halves(window: int) -> tuple[int, int]:
    """Frames ``(before, after)`` the centre frame in a centred window of ``window`` frames.

    ``before = (window - 1) // 2`` and ``after = window // 2``: an odd window
    is symmetric, an even one has its extra frame on the right (later in
    time), so a window always covers exactly ``window`` frames away from the
    ends.

    Examples
    --------
    >>> centred_window_halves(5), centred_window_halves(4), centred_window_halves(1)
    ((2, 2), (1, 2), (0, 0))
    """
    if int(window) < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    return (int(window) - 1) // 2, int(window) // 2


def centred_window_bounds(n: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Half-open frame range ``[lo, hi)`` of each frame's centred window, cut at the ends.

    Frame ``t`` covers ``t - before .. t + after`` (see
    :func:`centred_window_halves`), clipped to ``0 .. n - 1``.

    Parameters
    ----------
    n
        Frames of the signal.
    window
        Window length in frames (>= 1).

    Returns
    -------
    lo, hi
        ``int`` arrays of length ``n``; the window of frame ``t`` is ``x[lo[t]:hi[t]]``.

    Examples
    --------
    An even window takes its extra frame on the right:

    >>> lo, hi = centred_window_bounds(5, 4)
    >>> lo.tolist(), hi.tolist()
    ([0, 0, 1, 2, 3], [3, 4, 5, 5, 5])
    >>> [r.tolist() for r in centred_window_bounds(5, 3)]
    [[0, 0, 1, 2, 3], [2, 3, 4, 5, 5]]
    """
    before, after = centred_window_halves(window)
    t = np.arange(int(n))
    return np.maximum(t - before, 0), np.minimum(t + after + 1, int(n))


def time_derivative(x: np.ndarray, fps: float, half_span_s: float = DERIVATIVE_HALF_SPAN_S) -> np.ndarray:
    """Central difference over about ``2 * half_span_s`` seconds, in units per second.

    ``(x[t + k] - x[t - k]) / (2k / fps)`` with ``k = max(1, round(half_span_s * fps))``;
    near the ends the step shrinks to what is available (one-sided at the
    first and last frame). NaN propagates.

    Parameters
    ----------
    x
        ``(frames, ...)``.
    fps
        Frames per second.
    half_span_s
        Half the difference step in seconds.

    Returns
    -------
    numpy.ndarray
        ``float64`` array shaped like ``x``; zeros for a single frame.

    Examples
    --------
    >>> time_derivative(np.arange(5.0), fps=30.0).tolist()
    [30.0, 30.0, 30.0, 30.0, 30.0]
    >>> float(time_derivative(np.arange(9.0) / 4, fps=120.0)[4])  # k = 4 at 120 fps
    30.0
    """
    x = np.asarray(x, dtype=np.float64)
    fps = _check_fps(fps)
    n = x.shape[0] if x.ndim else 0
    if n < 2:
        return np.zeros_like(x)
    k = max(1, int(round(half_span_s * fps)))
    t = np.arange(n)
    hi, lo = np.minimum(t + k, n - 1), np.maximum(t - k, 0)
    dt = ((hi - lo) / fps).reshape((n,) + (1,) * (x.ndim - 1))
    return (x[hi] - x[lo]) / dt


def rolling_mean_std(x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Centred rolling mean and standard deviation along axis 0, ignoring NaN.

    Vectorised with cumulative sums. Each frame's window is
    :func:`centred_window_bounds` (``window`` frames, cut at the ends); frames
    whose window holds no finite value get NaN.

    Parameters
    ----------
    x
        ``(frames,)`` or ``(frames, columns)``.
    window
        Window length in frames (>= 1; an even window has its extra frame on the right).

    Returns
    -------
    mean, std
        ``float64`` arrays shaped like ``x`` (population std).

    Examples
    --------
    >>> mean, std = rolling_mean_std(np.array([1.0, np.nan, 3.0, 5.0]), 3)
    >>> mean.tolist(), std.tolist()
    ([1.0, 2.0, 4.0, 4.0], [0.0, 1.0, 1.0, 1.0])
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise ValueError(f"x must have shape (frames,) or (frames, columns), got {x.shape}")
    n = x.shape[0]
    lo, hi = centred_window_bounds(n, window)
    finite = np.isfinite(x)
    # centre each column on its mean so the sums of squares do not cancel catastrophically
    offset = np.zeros(x.shape[1:])
    if n:
        count_all = finite.sum(axis=0)
        offset = np.where(count_all > 0, np.where(finite, x, 0.0).sum(axis=0) / np.maximum(count_all, 1), 0.0)
    values = np.where(finite, x - offset, 0.0)
    zero = np.zeros((1,) + x.shape[1:])
    c_sum = np.concatenate([zero, np.cumsum(values, axis=0)])
    c_sq = np.concatenate([zero, np.cumsum(values * values, axis=0)])
    c_n = np.concatenate([zero, np.cumsum(finite, axis=0, dtype=np.float64)])
    count = c_n[hi] - c_n[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (c_sum[hi] - c_sum[lo]) / count
        var = (c_sq[hi] - c_sq[lo]) / count - mean * mean
    std = np.sqrt(np.maximum(var, 0.0))
    return mean + offset, std


def angular_velocity(
    direction: np.ndarray, fps: float, half_span_s: float = DERIVATIVE_HALF_SPAN_S
) -> np.ndarray:
    """Signed turning rate (rad/s) of a direction over time.

    The angle between the direction at ``t - k`` and ``t + k`` (``atan2`` of
    their cross and dot products, so no unwrapping is needed) divided by the
    time between them; ``k`` as in :func:`time_derivative`. Positive is
    counter-clockwise in the array's ``(x, y)`` axes. NaN where either
    direction is missing.

    Parameters
    ----------
    direction
        ``(frames, 2)`` vectors (need not be unit length).
    fps
        Frames per second.

    Examples
    --------
    >>> angle = np.arange(5) * 0.1
    >>> np.round(angular_velocity(np.stack([np.cos(angle), np.sin(angle)], 1), 10.0), 6).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0]
    """
    direction = np.asarray(direction, dtype=np.float64)
    if direction.ndim != 2 or direction.shape[1] != 2:
        raise ValueError(f"direction must have shape (frames, 2), got {direction.shape}")
    fps = _check_fps(fps)
    n = direction.shape[0]
    if n < 2:
        return np.zeros(n)
    k = max(1, int(round(half_span_s * fps)))
    t = np.arange(n)
    hi, lo = np.minimum(t + k, n - 1), np.maximum(t - k, 0)
    a, b = direction[lo], direction[hi]
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    dot = (a * b).sum(axis=1)
    return np.arctan2(cross, dot) / ((hi - lo) / fps)
