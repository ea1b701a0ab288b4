"""Per-frame probabilities of one video -> behaviour intervals.

:func:`decode_video` runs these steps, each also available on its own:

1. :func:`smooth_probs` - optional centred moving average per action;
2. :func:`allowed_actions` - (pair, action) slots outside the video's
   whitelist get probability 0 and never fire;
3. :func:`assign_actions` - per (agent, target) and frame, at most one action:
   among the allowed actions at or above their (lab, action) threshold, the
   one with the largest probability / threshold ratio (ties: first action);
4. :func:`labels_to_bouts` - runs of one action become bouts; gaps of at most
   ``max_gap`` *empty* frames between two bouts of the same action are filled
   (a gap holding another action is never bridged), then bouts shorter than
   ``min_length`` are dropped.

A pair action (``mouse1 -> mouse2``) and a self action (``mouse1 -> self``)
of one agent live on different (agent, target) keys, so they may co-occur.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mabe.data.schema import SUBMISSION_COLUMNS, Pair, Triple, mouse_name, target_name
from mabe.data.submission import interval_rows
from mabe.decode.params import DecodeParams
from mabe.features.temporal import centred_window_bounds

Bouts = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""``(pair_index, action_index, start_frame, stop_frame)`` arrays, one entry per bout."""

OUTPUT_COLUMNS: tuple[str, ...] = SUBMISSION_COLUMNS[1:]
"""Columns of a decoded table: a submission without ``row_id``."""


def mask_to_intervals(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the runs of ``True`` in a 1-D mask as half-open ``[start, stop)`` intervals.

    Examples
    --------
    >>> starts, stops = mask_to_intervals(np.array([1, 1, 0, 0, 1, 0, 1], bool))
    >>> starts.tolist(), stops.tolist()
    ([0, 4, 6], [2, 5, 7])
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 1:
        raise ValueError(f"mask must be 1-D, got shape {mask.shape}")
    edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average along axis 0; the window shrinks at the edges.

    The window is :func:`~mabe.features.temporal.centred_window_bounds`: for
    even windows the extra frame is on the right. ``window <= 1`` returns a
    float copy.

    Examples
    --------
    >>> moving_average(np.array([0.0, 0.0, 3.0, 0.0, 0.0]), 3).tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0]
    >>> moving_average(np.array([0.0, 0.0, 4.0, 0.0, 0.0]), 4).tolist()
    [1.3333333333333333, 1.0, 1.0, 1.3333333333333333, 0.0]
    """
    x = np.asarray(x, dtype=np.float64)
    if window <= 1 or x.shape[0] == 0:
        return x.copy()
    n = x.shape[0]
    totals = np.concatenate((np.zeros((1, *x.shape[1:])), np.cumsum(x, axis=0)))
    lo, hi = centred_window_bounds(n, window)
    width = (hi - lo).reshape((n,) + (1,) * (x.ndim - 1))
    return (totals[hi] - totals[lo]) / width


def smooth_probs(probs: np.ndarray, windows: Sequence[int]) -> np.ndarray:
    """Smooth each action's probabilities ``(F, P, A)`` with its own window.

    NaN probabilities count as 0.

    Examples
    --------
    >>> p = np.zeros((5, 1, 2)); p[2] = 1.0
    >>> smooth_probs(p, [1, 5])[:, 0].round(2).tolist()
    [[0.0, 0.33], [0.0, 0.25], [1.0, 0.2], [0.0, 0.25], [0.0, 0.33]]
    """
    out = np.nan_to_num(np.asarray(probs, dtype=np.float64), nan=0.0)
    if len(windows) != out.shape[2]:
        raise ValueError(f"{len(windows)} smoothing windows for {out.shape[2]} actions")
    for a, window in enumerate(windows):
        if window > 1:
            out[:, :, a] = moving_average(out[:, :, a], window)
    return out


def allowed_actions(
    pairs: Sequence[Pair], actions: Sequence[str], whitelist: set[Triple]
) -> np.ndarray:
    """``(P, A)`` bool: whether ``(mouseN, mouseM | self, action)`` is whitelisted.

    Examples
    --------
    >>> allowed_actions([(1, 2), (1, 1)], ["sniff", "rear"],
    ...                 {("mouse1", "mouse2", "sniff"), ("mouse1", "self", "rear")}).tolist()
    [[True, False], [False, True]]
    """
    return np.array(
        [[(mouse_name(a), target_name(a, t), x) in whitelist for x in actions] for a, t in pairs],
        dtype=bool,
    ).reshape(len(pairs), len(actions))


def assign_actions(probs: np.ndarray, allowed: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """At most one action per (pair, frame): ``(F, P)`` action index, -1 for none.

    An action is a candidate where it is allowed and ``prob >= threshold``;
    the candidate with the largest ``prob / threshold`` wins (first on ties).

    Examples
    --------
    >>> p = np.array([[[0.6, 0.9]], [[0.6, 0.3]], [[0.1, 0.2]]])
    >>> assign_actions(p, np.array([[True, True]]), np.array([0.3, 0.9])).ravel().tolist()
    [0, 0, -1]
    """
    thresholds = np.asarray(thresholds, dtype=np.float64)
    candidate = (probs >= thresholds) & allowed[None, :, :]
    ratio = np.where(candidate, probs / thresholds, -1.0)
    best = ratio.argmax(axis=2)
    return np.where(candidate.any(axis=2), best, -1)


def labels_to_bouts(labels: np.ndarray, min_length: np.ndarray, max_gap: np.ndarray) -> Bouts:
    """Turn an ``(F, P)`` action-index array into bouts, bridging gaps then dropping short bouts.

    Parameters
    ----------
    labels
        Action index per frame and pair, -1 for none.
    min_length, max_gap
        Per action index: shortest bout kept; longest run of empty frames
        between two bouts of that action that is filled.

    Examples
    --------
    >>> labels = np.array([0, 0, -1, 0, -1, -1, -1, 1, 1, 0])[:, None]
    >>> pair, action, start, stop = labels_to_bouts(labels, np.array([2, 2]), np.array([1, 1]))
    >>> action.tolist(), start.tolist(), stop.tolist()
    ([0, 1], [0, 7], [4, 9])
    """
    n_frames, n_pairs = labels.shape
    empty = np.zeros(0, dtype=np.int64)
    if n_frames == 0 or n_pairs == 0:
        return empty, empty, empty, empty
    seq = np.ascontiguousarray(labels.T).ravel()  # pair after pair
    head = np.ones(seq.size, dtype=bool)
    head[1:] = seq[1:] != seq[:-1]
    head[::n_frames] = True
    starts = np.flatnonzero(head)
    stops = np.append(starts[1:], seq.size)
    values = seq[starts]
    pair = starts // n_frames
    values, starts, stops, pair = _bridge_gaps(values, starts, stops, pair, np.asarray(max_gap))
    safe = np.maximum(values, 0)
    keep = (values >= 0) & (stops - starts >= np.asarray(min_length)[safe])
    offset = pair[keep] * n_frames
    return pair[keep], values[keep], starts[keep] - offset, stops[keep] - offset


def _bridge_gaps(values, starts, stops, pair, max_gap):
    """Fill empty runs flanked by the same action of the same pair, then merge runs."""
    if values.size < 3 or not np.any(max_gap > 0):
        return values, starts, stops, pair
    i = np.arange(1, values.size - 1)
    left, right = values[i - 1], values[i + 1]
    fill = (
        (values[i] == -1)
        & (left >= 0)
        & (left == right)
        & (pair[i - 1] == pair[i + 1])
        & (stops[i] - starts[i] <= max_gap[np.maximum(left, 0)])
    )
    values = values.copy()
    values[i[fill]] = left[fill]
    head = np.ones(values.size, dtype=bool)
    head[1:] = (values[1:] != values[:-1]) | (pair[1:] != pair[:-1])
    keep = np.flatnonzero(head)
    last = np.append(keep[1:] - 1, values.size - 1)
    return values[keep], starts[keep], stops[last], pair[keep]


def check_inputs(probs: np.ndarray, pairs: Sequence[Pair], actions: Sequence[str]) -> None:
    """Raise ``ValueError`` unless ``probs`` is ``(F, len(pairs), len(actions))``."""
    if probs.ndim != 3 or probs.shape[1:] != (len(pairs), len(actions)):
        raise ValueError(
            f"probs has shape {probs.shape}, expected (frames, {len(pairs)} pairs, "
            f"{len(actions)} actions)"
        )
    if len(set(map(tuple, pairs))) != len(pairs):
        raise ValueError("pairs must be distinct")
    if len(set(actions)) != len(actions):
        raise ValueError("actions must be distinct")


def decode_bouts(
    probs: np.ndarray,
    pairs: Sequence[Pair],
    actions: Sequence[str],
    whitelist: set[Triple],
    params: DecodeParams,
    lab_id: object,
) -> Bouts:
    """:func:`decode_video` without the DataFrame: bouts as index arrays."""
    probs = np.asarray(probs)
    check_inputs(probs, pairs, actions)
    smoothed = smooth_probs(probs, [params.window_for(a) for a in actions])
    thresholds = np.array([params.threshold_for(lab_id, a) for a in actions])
    labels = assign_actions(smoothed, allowed_actions(pairs, actions, whitelist), thresholds)
    min_length = np.array([params.min_length_for(a) for a in actions], dtype=np.int64)
    max_gap = np.array([params.max_gap_for(a) for a in actions], dtype=np.int64)
    return labels_to_bouts(labels, min_length, max_gap)


def bouts_to_frame(
    bouts: Bouts, pairs: Sequence[Pair], actions: Sequence[str], video_id: int
) -> pd.DataFrame:
    """Bouts as rows ``video_id, agent_id, target_id, action, start_frame, stop_frame``."""
    pair_index, action_index, starts, stops = bouts
    agents = np.array([mouse_name(a) for a, _ in pairs] or [""], dtype=object)
    targets = np.array([target_name(a, t) for a, t in pairs] or [""], dtype=object)
    names = np.array(list(actions) or [""], dtype=object)
    return interval_rows(
        video_id,
        [str(a) for a in agents[pair_index]],
        [str(t) for t in targets[pair_index]],
        [str(n) for n in names[action_index]],
        starts,
        stops,
    )


def decode_video(
    probs: np.ndarray,
    pairs: Sequence[Pair],
    actions: Sequence[str],
    whitelist: set[Triple],
    params: DecodeParams,
    lab_id: object,
    video_id: int,
) -> pd.DataFrame:
    """Decode one video's ``(F, P, A)`` probabilities into behaviour intervals.

    Parameters
    ----------
    probs
        Probability per frame, (agent, target) pair and action.
    pairs
        ``(agent_id, target_id)`` integers of the ``P`` columns; ``target ==
        agent`` for self actions.
    actions
        Names of the ``A`` actions.
    whitelist
        ``(agent, target, action)`` triples as in ``behaviors_labeled``
        (``("mouse1", "self", "rear")``); other slots never fire.
    params
        Thresholds, smoothing, minimum lengths and gaps.
    lab_id
        Selects the per-lab thresholds.
    video_id
        Written in every row.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OUTPUT_COLUMNS`, sorted by pair then start; at most one
        action per (agent, target) per frame.

    Examples
    --------
    >>> p = np.zeros((8, 1, 2)); p[1:4, 0, 0] = 0.9; p[4:7, 0, 1] = 0.7
    >>> out = decode_video(p, [(1, 2)], ["sniff", "attack"], {("mouse1", "mouse2", "sniff")},
    ...                    DecodeParams(), "LabA", 42)
    >>> out.values.tolist()
    [[42, 'mouse1', 'mouse2', 'sniff', 1, 4]]
    """
    bouts = decode_bouts(probs, pairs, actions, whitelist, params, lab_id)
    return bouts_to_frame(bouts, pairs, actions, video_id)
