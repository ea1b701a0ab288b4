"""Small random building blocks shared by the simulator modules."""

from __future__ import annotations

import math

import numpy as np

_LOOP_STEPS = 4096
"""Up to this many time steps :func:`ou_noise` filters in a plain loop.

Longer series use ``scipy.signal.lfilter``, which computes the same numbers
(``y[t] = b * x[t] + a * y[t - 1]``, same operations in the same order) but
costs ~1 s of start-up to import: a small ``mabe synth`` should not pay it.
"""

Z90 = 1.2815515655446004
"""The 90th percentile of the standard normal distribution."""


def split_lognormal(
    rng: np.random.Generator, p10: float, p50: float, p90: float, size: int | None = None
) -> np.ndarray | float:
    """Draw from a log-normal whose two halves match the given percentiles.

    Below the median the log-scale spread is fitted to ``p10``, above it to
    ``p90``, so all three percentiles are reproduced exactly even for skewed
    catalog entries (``p50`` far from the geometric mean of ``p10`` and ``p90``).

    Parameters
    ----------
    rng
        Random generator.
    p10, p50, p90
        Target percentiles (positive, non-decreasing).
    size
        Number of draws; ``None`` for one float.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> draws = split_lognormal(rng, 10.0, 20.0, 80.0, size=20000)
    >>> [round(float(np.percentile(draws, q)) / v, 1) for q, v in ((10, 10), (50, 20), (90, 80))]
    [1.0, 1.0, 1.0]
    """
    p50 = max(float(p50), 1e-9)
    low = math.log(p50 / max(float(p10), 1e-9)) / Z90 if p10 < p50 else 0.0
    high = math.log(max(float(p90), p50) / p50) / Z90
    z = rng.standard_normal(size)
    values = p50 * np.exp(np.where(z < 0, z * low, z * high))
    return float(values) if size is None else values


def ou_noise(
    rng: np.random.Generator, n: int, sigma: float, tau: float, dt: float, shape: tuple = ()
) -> np.ndarray:
    """Stationary Ornstein-Uhlenbeck noise along the first axis.

    Parameters
    ----------
    rng
        Random generator.
    n
        Number of time steps.
    sigma
        Stationary standard deviation.
    tau
        Correlation time (same unit as ``dt``).
    dt
        Time step.
    shape
        Trailing shape (independent processes).

    Returns
    -------
    numpy.ndarray
        ``float64`` array of shape ``(n, *shape)``.
    """
    white = rng.standard_normal((n, *shape))
    if n == 0 or sigma == 0.0:
        return np.zeros((n, *shape))
    a = math.exp(-dt / max(tau, 1e-9))
    b = sigma * math.sqrt(1.0 - a * a)
    white[0] *= sigma / max(b, 1e-12)
    if n > _LOOP_STEPS:
        from scipy.signal import lfilter  # heavy: imported only for long series

        return lfilter([b], [1.0, -a], white, axis=0)
    out = np.empty_like(white)
    previous = np.zeros(white.shape[1:])
    for t in range(n):
        previous = b * white[t] + a * previous
        out[t] = previous
    return out


def smooth_window(n: int, ramp: int) -> np.ndarray:
    """Weights in [0, 1] over ``n`` frames with raised-cosine ramps of ``ramp`` frames."""
    w = np.ones(n)
    ramp = min(int(ramp), n // 2)
    if ramp > 0:
        edge = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)
        w[:ramp] = edge
        w[n - ramp :] = edge[::-1]
    return w


def angle_diff(a: float, b: float) -> float:
    """Return ``a - b`` wrapped to [-pi, pi)."""
    return (a - b + math.pi) % (2.0 * math.pi) - math.pi
