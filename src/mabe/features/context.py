"""Multi-scale temporal context of per-frame signals (pure, vectorised array functions).

A per-frame classifier (gradient-boosted trees) sees one frame at a time; these
functions give each frame a summary of what happens around it. Windows are
given in **seconds** and converted to frames with the video's fps
(:func:`~mabe.features.temporal.window_frames`), so a ``1 s`` window means the
same at 10 and at 120 fps.

There is one definition of a centred rolling window,
:func:`~mabe.features.temporal.centred_window_bounds`: frame ``t`` summarises
the ``window`` frames ``t - (window - 1) // 2 .. t + window // 2`` (an odd
window is symmetric, an even one has its extra frame on the right), cut at
the ends of the video, NaN ignored (NaN only where the window holds no finite
value). :func:`~mabe.features.temporal.rolling_mean_std` and
:func:`rolling_min_max` both follow it; windows made from seconds
(:func:`~mabe.features.temporal.window_frames`) are always odd.

For a window of ``n`` frames the statistics are, per signal ``x``:

``mean``, ``std``, ``min``, ``max``
    over the centred window;
``dback``, ``dfwd``
    ``x[t] - x[t - h]`` and ``x[t + h] - x[t]`` with ``h = window // 2`` (how
    the signal changed over the half-window before and after the frame), with
    the lag shortened to what exists near the ends (so they are 0 on the first
    / last frame).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mabe.features.temporal import centred_window_halves, rolling_mean_std, window_frames

CONTEXT_STATS: tuple[str, ...] = ("mean", "std", "min", "max", "dback", "dfwd")
"""Every statistic :func:`multiscale_context` can compute, in column order."""


def _as_2d(x: np.ndarray) -> tuple[np.ndarray, bool]:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise ValueError(f"x must have shape (frames,) or (frames, columns), got {x.shape}")
    return (x[:, None], True) if x.ndim == 1 else (x, False)


def rolling_min_max(x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Centred rolling minimum and maximum along axis 0, ignoring NaN.

    Same window as :func:`~mabe.features.temporal.rolling_mean_std`
    (:func:`~mabe.features.temporal.centred_window_bounds`: ``window`` frames,
    an even window's extra frame on the right, cut at the ends); NaN where the
    window holds no finite value.

    Parameters
    ----------
    x
        ``(frames,)`` or ``(frames, columns)``.
    window
        Window length in frames (>= 1).

    Returns
    -------
    lo, hi
        ``float64`` arrays shaped like ``x``.

    Examples
    --------
    >>> lo, hi = rolling_min_max(np.array([3.0, np.nan, 1.0, 5.0, 2.0]), 3)
    >>> lo.tolist(), hi.tolist()
    ([3.0, 1.0, 1.0, 1.0, 2.0], [3.0, 3.0, 5.0, 5.0, 5.0])
    """
    from scipy.ndimage import maximum_filter1d, minimum_filter1d  # heavy: not needed to import mabe.features

    x2, flat = _as_2d(x)
    before, _ = centred_window_halves(window)
    size = int(window)
    origin = before - size // 2  # scipy centres on size // 2; an even window's extra frame goes right
    finite = np.isfinite(x2)
    if x2.shape[0] == 0:
        return x2.reshape(np.shape(x)).copy(), x2.reshape(np.shape(x)).copy()
    # +inf / -inf stand for "no value": the padding and NaN never win a min / max
    lo = minimum_filter1d(np.where(finite, x2, np.inf), size, axis=0, mode="constant", cval=np.inf, origin=origin)
    hi = maximum_filter1d(np.where(finite, x2, -np.inf), size, axis=0, mode="constant", cval=-np.inf, origin=origin)
    lo = np.where(np.isfinite(lo), lo, np.nan)
    hi = np.where(np.isfinite(hi), hi, np.nan)
    return (lo[:, 0], hi[:, 0]) if flat else (lo, hi)


def lag_differences(x: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Backward and forward differences ``x[t] - x[t - lag]`` and ``x[t + lag] - x[t]``.

    Near the ends the lag shrinks to what exists (both are 0 on a one-frame
    video, the backward one on the first frame, the forward one on the last).
    NaN propagates.

    Parameters
    ----------
    x
        ``(frames,)`` or ``(frames, columns)``.
    lag
        Lag in frames (>= 0).

    Returns
    -------
    back, forward
        ``float64`` arrays shaped like ``x``.

    Examples
    --------
    >>> back, fwd = lag_differences(np.array([0.0, 1.0, 4.0, 9.0]), 2)
    >>> back.tolist(), fwd.tolist()
    ([0.0, 1.0, 4.0, 8.0], [4.0, 8.0, 5.0, 0.0])
    """
    x2, flat = _as_2d(x)
    if int(lag) < 0:
        raise ValueError(f"lag must be >= 0, got {lag}")
    n = x2.shape[0]
    t = np.arange(n)
    back = x2 - x2[np.maximum(t - int(lag), 0)]
    fwd = x2[np.minimum(t + int(lag), max(n - 1, 0))] - x2
    return (back[:, 0], fwd[:, 0]) if flat else (back, fwd)


def rolling_stats(
    x: np.ndarray, window: int, stats: Sequence[str] = CONTEXT_STATS, out: np.ndarray | None = None
) -> np.ndarray:
    """Compute the chosen statistics of :data:`CONTEXT_STATS` over one centred window.

    Parameters
    ----------
    x
        ``(frames, columns)`` signals.
    window
        Window length in frames (>= 1); the differences use a lag of
        ``window // 2`` frames.
    stats
        Names from :data:`CONTEXT_STATS`, in the order wanted.
    out
        Optional array to write into (any float dtype), shaped ``(frames,
        *column_shape, len(stats))`` where ``column_shape`` splits the columns
        (row-major), e.g. ``(pairs, signals)``. Writing into a view of a
        larger array saves copies.

    Returns
    -------
    numpy.ndarray
        ``out``, or a new ``float64 (frames, columns, len(stats))``.

    Examples
    --------
    >>> rolling_stats(np.arange(4.0)[:, None], 3, ["mean", "max", "dfwd"])[:, 0].tolist()
    [[0.5, 1.0, 1.0], [1.0, 2.0, 1.0], [2.0, 3.0, 1.0], [2.5, 3.0, 0.0]]
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (frames, columns), got {x.shape}")
    _, half = centred_window_halves(window)  # the lag of dback / dfwd
    unknown = [s for s in stats if s not in CONTEXT_STATS]
    if unknown:
        raise ValueError(f"unknown statistics {unknown}; choose from {list(CONTEXT_STATS)}")
    if out is None:
        out = np.empty(x.shape + (len(stats),))
    elif out.shape[0] != x.shape[0] or out.shape[-1] != len(stats) or int(np.prod(out.shape[1:-1])) != x.shape[1]:
        raise ValueError(f"out has shape {out.shape}, expected ({x.shape[0]}, <{x.shape[1]} columns>, {len(stats)})")
    target = out.shape[:-1]
    position = {s: k for k, s in enumerate(stats)}
    for group, compute in (
        (("mean", "std"), lambda: rolling_mean_std(x, window)),
        (("min", "max"), lambda: rolling_min_max(x, window)),
        (("dback", "dfwd"), lambda: lag_differences(x, half)),
    ):
        if not set(group) & set(stats):
            continue
        for name, values in zip(group, compute(), strict=True):
            if name in position:
                out[..., position[name]] = values.reshape(target)
    return out


def context_names(
    signals: Sequence[str], windows_s: Sequence[float], stats: Sequence[str] = CONTEXT_STATS
) -> list[str]:
    """Column names of :func:`multiscale_context`: ``<signal>_<stat>_<seconds>s``, window-major.

    Examples
    --------
    >>> context_names(["speed"], [0.5, 2.0], ["mean", "dfwd"])
    ['speed_mean_0.5s', 'speed_dfwd_0.5s', 'speed_mean_2s', 'speed_dfwd_2s']
    """
    return [
        f"{signal}_{stat}_{float(w):g}s" for w in windows_s for signal in signals for stat in stats
    ]


def multiscale_context(
    x: np.ndarray,
    fps: float,
    windows_s: Sequence[float],
    stats: Sequence[str] = CONTEXT_STATS,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Compute rolling statistics of every column over several windows given in seconds.

    Parameters
    ----------
    x
        ``(frames, columns)`` per-frame signals (NaN = unknown).
    fps
        Frames per second of the video.
    windows_s
        Window lengths in seconds (each becomes
        :func:`~mabe.features.temporal.window_frames` frames).
    stats
        Names from :data:`CONTEXT_STATS`.
    out
        Optional array to write into, ``(frames, len(windows_s), *column_shape,
        len(stats))`` (see :func:`rolling_stats`); returned as given.

    Returns
    -------
    numpy.ndarray
        ``float32 (frames, len(windows_s) * columns * len(stats))``, columns as
        :func:`context_names` (window-major, then signal, then statistic), or ``out``.

    Raises
    ------
    ValueError
        On a wrong shape, a non-positive fps or window, or an unknown statistic.

    Examples
    --------
    >>> x = np.arange(10.0)[:, None]
    >>> a = multiscale_context(x, fps=10.0, windows_s=[0.5], stats=["mean"])
    >>> b = multiscale_context(np.arange(0, 10, 0.25)[:, None], fps=40.0, windows_s=[0.5], stats=["mean"])
    >>> float(a[5, 0]), float(b[20, 0])          # same time, same window in seconds
    (5.0, 5.0)
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (frames, columns), got {x.shape}")
    if any(not (np.isfinite(w) and w > 0) for w in windows_s):
        raise ValueError(f"windows must be positive seconds, got {list(windows_s)}")
    n, n_windows = x.shape[0], len(windows_s)
    if out is None:
        buffer = np.empty((n, n_windows, x.shape[1], len(stats)), dtype=np.float32)
        result = buffer.reshape(n, n_windows * x.shape[1] * len(stats))
    elif out.shape[:2] != (n, n_windows):
        raise ValueError(f"out has shape {out.shape}, expected ({n}, {n_windows}, ...)")
    else:
        buffer = result = out
    for w, seconds in enumerate(windows_s):
        rolling_stats(x, window_frames(seconds, fps), stats, out=buffer[:, w])
    return result
