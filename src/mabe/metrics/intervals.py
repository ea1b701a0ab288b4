"""Interval arithmetic behind the MABe score: unions, overlaps and per-key frame counts.

Intervals are half-open ``[start, stop)`` integer frames. Keys are placed on
one long number line (``key * span + frame``) so that one sort and a few
``searchsorted`` calls handle any number of keys at once.
"""

from __future__ import annotations

import numpy as np

from mabe.errors import InvalidSubmission

__all__ = ["f_beta", "key_frame_counts", "line_span", "overlap_per_interval", "union_intervals"]



def union_intervals(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of half-open intervals on one line, as sorted disjoint intervals.

    Empty intervals are dropped; touching intervals are merged.

    Examples
    --------
    >>> s, e = union_intervals(np.array([5, 0, 8, 20]), np.array([9, 3, 12, 20]))
    >>> s.tolist(), e.tolist()
    ([0, 5], [3, 12])
    """
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    keep = stops > starts
    starts, stops = starts[keep], stops[keep]
    if starts.size == 0:
        return starts, stops
    order = np.argsort(starts, kind="stable")
    starts, stops = starts[order], stops[order]
    reach = np.maximum.accumulate(stops)
    first = np.ones(starts.size, dtype=bool)
    first[1:] = starts[1:] > reach[:-1]
    heads = np.flatnonzero(first)
    tails = np.append(heads[1:] - 1, starts.size - 1)
    return starts[heads], reach[tails]


def overlap_per_interval(
    a_starts: np.ndarray, a_stops: np.ndarray, b_starts: np.ndarray, b_stops: np.ndarray
) -> np.ndarray:
    """Length of each interval of ``a`` covered by ``b``.

    Both sets must be sorted and disjoint (as returned by :func:`union_intervals`).

    Examples
    --------
    >>> overlap_per_interval(np.array([0, 30]), np.array([20, 40]),
    ...                      np.array([5, 15]), np.array([10, 35])).tolist()
    [10, 5]
    """
    lo = np.searchsorted(b_stops, a_starts, side="right")
    hi = np.searchsorted(b_starts, a_stops, side="left")
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(a_starts.size, dtype=np.int64)
    owner = np.repeat(np.arange(a_starts.size), counts)
    first = np.cumsum(counts) - counts
    partner = lo[owner] + np.arange(total) - first[owner]
    pieces = np.minimum(a_stops[owner], b_stops[partner]) - np.maximum(
        a_starts[owner], b_starts[partner]
    )
    return np.bincount(owner, weights=pieces, minlength=a_starts.size).astype(np.int64)


def line_span(*frames: np.ndarray) -> tuple[int, int]:
    """Smallest frame and a span that keeps keys apart on the number line."""
    non_empty = [f for f in frames if f.size]
    if not non_empty:
        return 0, 1
    lo = min(int(f.min()) for f in non_empty)
    hi = max(int(f.max()) for f in non_empty)
    return lo, hi - lo + 1


def key_frame_counts(
    n_keys: int,
    label: tuple[np.ndarray, np.ndarray, np.ndarray],
    pred: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame counts per integer key: ``(tp, predicted, labelled)``.

    Parameters
    ----------
    n_keys
        Keys are ``0..n_keys-1``.
    label, pred
        ``(keys, starts, stops)`` arrays of labelled / predicted intervals.
        Intervals of one key may overlap; their union is counted.

    Examples
    --------
    >>> lab = (np.array([0, 0]), np.array([0, 30]), np.array([10, 40]))
    >>> pre = (np.array([0]), np.array([0]), np.array([40]))
    >>> [a.tolist() for a in key_frame_counts(1, lab, pre)]
    [[20], [40], [20]]
    """
    lo, span = line_span(label[1], label[2], pred[1], pred[2])
    if n_keys * span >= 2**62:
        raise InvalidSubmission("frame numbers are too large to score")

    def place(keys: np.ndarray, starts: np.ndarray, stops: np.ndarray):
        base = np.asarray(keys, dtype=np.int64) * span - lo
        return union_intervals(base + starts, base + stops)

    ls, le = place(*label)
    ps, pe = place(*pred)
    tp_each = overlap_per_interval(ps, pe, ls, le)
    tp = np.bincount(ps // span, weights=tp_each, minlength=n_keys)
    predicted = np.bincount(ps // span, weights=pe - ps, minlength=n_keys)
    labelled = np.bincount(ls // span, weights=le - ls, minlength=n_keys)
    return tp.astype(np.int64), predicted.astype(np.int64), labelled.astype(np.int64)


def f_beta(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Vectorised F-beta; 0 where ``tp + fp + fn == 0``.

    Examples
    --------
    >>> f_beta(np.array([20, 0]), np.array([20, 0]), np.array([0, 0])).round(4).tolist()
    [0.6667, 0.0]
    """
    b2 = beta * beta
    tp, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
    denom = (1 + b2) * tp + b2 * fn + fp
    safe = np.where(denom > 0, denom, 1.0)
    return np.where(denom > 0, (1 + b2) * tp / safe, 0.0)
