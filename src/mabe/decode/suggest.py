"""Which clips are worth labelling: per-frame terms -> scored windows -> a diverse selection.

Pure arrays in, tables out (``mabe suggest`` composes them in
:mod:`mabe.workflows.suggest`). Only the *candidate* entries of a video count:
the (pair, action) whose triple is not in its ``behaviors_labeled``, so
labelled triples never attract a suggestion.

**Score.** Three per-frame terms, each in ``[0, 1]``, for every (frame, pair,
action) (:func:`frame_terms`):

``disagreement``
    twice the standard deviation of the probabilities of the run's models
    (every fold model of every member blended for the action; 0.5 is the
    largest standard deviation of numbers in ``[0, 1]``, so the term is 1 when
    half the models say 0 and half say 1);
``threshold``
    how close the blended probability is to the action's tuned threshold
    ``t``: ``max(0, 1 - |p - t| / THRESHOLD_BAND)`` (1 on the threshold, 0
    from :data:`THRESHOLD_BAND` away);
``rarity``
    on frames where the blend predicts the action (``p >= t``), the action's
    rarity in the training labels (``sqrt(min_count / count)``: 1 for the
    rarest action, 0.1 for one 100 times as common; see
    :func:`rarity_weights`), else 0.

A window's term is, per pair, the largest over the candidate actions of the
term's mean over the window's frames; its score is
``sum(WEIGHTS[k] * term[k])`` (all weights 1). ``why`` names the term with the
largest weighted value and the action it came from.

**Diversity** (:func:`select_clips`): candidates are taken greedily by score
(ties: video, pair, start); a candidate is skipped when it shares a frame with
a clip already chosen in the same video (any pair: clips never overlap), when
its recording already has ``max_per_group`` clips (default
``ceil(2 n / recordings)``: at most twice an even share) or its (recording,
pair) ``max_per_pair`` (default ``ceil(max_per_group / 2)``). If the caps leave
fewer than ``n`` clips, a second pass fills the rest ignoring the caps, never
the no-overlap rule.

Examples
--------
>>> blend = np.zeros((6, 1, 1), np.float32)
>>> models = [np.zeros((6, 1, 1), np.float32), np.zeros((6, 1, 1), np.float32)]
>>> models[1][3:] = 1.0                        # the two models disagree on frames 3-5
>>> terms = frame_terms(blend, disagreement(models), np.array([0.5]), np.array([1.0]))
>>> table = score_windows(terms, np.ones((1, 1), bool), length=3, stride=3)
>>> table[["start", "stop", "score", "why"]].values.tolist()
[[0, 3, 0.0, 'disagreement'], [3, 6, 1.0, 'disagreement']]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

TERMS: tuple[str, ...] = ("disagreement", "threshold", "rarity")
"""The score's terms, in the order of :data:`WEIGHTS` and of :func:`frame_terms`' first axis."""
WEIGHTS: tuple[float, ...] = (1.0, 1.0, 1.0)
"""Weight of each term of :data:`TERMS` in a window's score."""
THRESHOLD_BAND = 0.2
"""How far from the threshold a probability still counts as close (the ``threshold`` term reaches 0)."""

WINDOW_COLUMNS: tuple[str, ...] = ("pair", "start", "stop", "score", *TERMS, "why", "action")
"""Columns of :func:`score_windows`: pair index, frames ``[start, stop)``, score, the three
terms, the dominant term and the index of the action it came from."""


def disagreement(models: Sequence[np.ndarray], use: np.ndarray | None = None) -> np.ndarray:
    """Return twice the standard deviation of several models' ``(F, P, A)`` probabilities.

    Parameters
    ----------
    models
        One ``(F, P, A)`` array per model (NaN where a model lacks an entry).
    use
        ``(M, A)`` booleans: which models count for each action (e.g. the
        members blended for it); ``None``: all.

    Returns
    -------
    np.ndarray
        ``(F, P, A)`` float32 in ``[0, 1]``; 0 where fewer than two models count.

    Examples
    --------
    >>> a, b = np.zeros((1, 1, 2), np.float32), np.ones((1, 1, 2), np.float32)
    >>> disagreement([a, b]).tolist()
    [[[1.0, 1.0]]]
    >>> disagreement([a, b], use=np.array([[True, True], [True, False]])).tolist()
    [[[1.0, 0.0]]]
    """
    if not models:
        raise ValueError("disagreement needs at least one model")
    shape = models[0].shape
    if use is not None and np.shape(use) != (len(models), shape[-1]):
        raise ValueError(f"use must be (models, actions) = ({len(models)}, {shape[-1]}), got {np.shape(use)}")
    count = np.zeros(shape, np.float64)
    total = np.zeros(shape, np.float64)
    squares = np.zeros(shape, np.float64)
    for m, probs in enumerate(models):
        if probs.shape != shape:
            raise ValueError(f"model {m}: probabilities {probs.shape}, expected {shape}")
        ok = np.isfinite(probs)
        if use is not None:
            ok &= np.asarray(use[m], bool)[None, None, :]
        values = np.where(ok, probs, 0.0).astype(np.float64)
        count += ok
        total += values
        squares += values * values
    mean = np.divide(total, count, out=np.zeros(shape), where=count > 0)
    var = np.divide(squares, count, out=np.zeros(shape), where=count > 0) - mean * mean
    std = np.sqrt(np.clip(var, 0.0, None))
    return np.where(count >= 2, np.clip(2.0 * std, 0.0, 1.0), 0.0).astype(np.float32)


def frame_terms(
    blend: np.ndarray, spread: np.ndarray, thresholds: np.ndarray, rarity: np.ndarray
) -> np.ndarray:
    """Return the per-frame terms ``(3, F, P, A)`` of :data:`TERMS` (see the module docstring).

    Parameters
    ----------
    blend
        ``(F, P, A)`` blended probabilities.
    spread
        ``(F, P, A)`` :func:`disagreement` of the models.
    thresholds, rarity
        ``(A,)`` tuned threshold and rarity weight of each action.

    Examples
    --------
    >>> t = frame_terms(np.array([[[0.5, 0.9]]]), np.zeros((1, 1, 2)), np.array([0.5, 0.5]), np.array([1.0, 0.25]))
    >>> t[:, 0, 0].round(3).tolist()
    [[0.0, 0.0], [1.0, 0.0], [1.0, 0.25]]
    """
    blend = np.asarray(blend, np.float32)
    if blend.ndim != 3 or np.shape(spread) != blend.shape:
        raise ValueError(f"blend and spread must be the same (F, P, A), got {blend.shape} and {np.shape(spread)}")
    n_actions = blend.shape[2]
    if np.shape(thresholds) != (n_actions,) or np.shape(rarity) != (n_actions,):
        raise ValueError(f"thresholds and rarity need one value per action ({n_actions})")
    thr = np.asarray(thresholds, np.float32)[None, None, :]
    near = np.clip(1.0 - np.abs(blend - thr) / THRESHOLD_BAND, 0.0, 1.0)
    rare = (blend >= thr) * np.asarray(rarity, np.float32)[None, None, :]
    return np.stack([np.asarray(spread, np.float32), near, rare]).astype(np.float32)


def rarity_weights(counts: Mapping[str, float], actions: Sequence[str]) -> np.ndarray:
    """Return each action's rarity: the square root of the smallest count of ``actions`` over its own count.

    ``counts`` are positive frames per action in the training labels; an
    action never seen there counts as the rarest (1). Without any count every
    action weighs 1.

    Examples
    --------
    >>> [round(float(w), 3) for w in rarity_weights({"sniff": 5000, "attack": 50}, ["sniff", "attack", "mount"])]
    [0.1, 1.0, 1.0]
    """
    seen = [float(counts.get(a, 0.0)) for a in actions]
    positive = [c for c in seen if c > 0]
    if not positive:
        return np.ones(len(actions), np.float32)
    least = min(positive)
    return np.sqrt(np.asarray([least / c if c > 0 else 1.0 for c in seen], np.float64)).astype(np.float32)


def window_bounds(n_frames: int, length: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(starts, stops)`` of windows of ``length`` frames every ``stride`` frames.

    The last window ends on the last frame; a video shorter than ``length``
    is one window.

    Examples
    --------
    >>> [b.tolist() for b in window_bounds(10, 4, 3)]
    [[0, 3, 6], [4, 7, 10]]
    >>> [b.tolist() for b in window_bounds(3, 5, 2)]
    [[0], [3]]
    """
    if length < 1 or stride < 1:
        raise ValueError("length and stride must be at least 1 frame")
    if n_frames <= length:
        return np.array([0]), np.array([max(n_frames, 0)])
    starts = list(range(0, n_frames - length + 1, stride))
    if starts[-1] != n_frames - length:
        starts.append(n_frames - length)
    first = np.asarray(starts, np.int64)
    return first, first + length


def score_windows(
    terms: np.ndarray,
    candidate: np.ndarray,
    length: int,
    stride: int | None = None,
    weights: Sequence[float] = WEIGHTS,
) -> pd.DataFrame:
    """Score every window of every pair that has a candidate action.

    Parameters
    ----------
    terms
        ``(3, F, P, A)`` from :func:`frame_terms`.
    candidate
        ``(P, A)`` booleans: the entries worth labelling (not whitelisted yet).
    length, stride
        Window length and step in frames (stride default: half the length).
    weights
        One weight per term.

    Returns
    -------
    pd.DataFrame
        :data:`WINDOW_COLUMNS`, one row per (pair, window), in pair then start order.
    """
    if terms.ndim != 4 or terms.shape[0] != len(TERMS):
        raise ValueError(f"terms must be ({len(TERMS)}, F, P, A), got {terms.shape}")
    _, n_frames, n_pairs, n_actions = terms.shape
    if np.shape(candidate) != (n_pairs, n_actions):
        raise ValueError(f"candidate must be (pairs, actions) = ({n_pairs}, {n_actions}), got {np.shape(candidate)}")
    stride = max(1, length // 2) if stride is None else stride
    starts, stops = window_bounds(n_frames, length, stride)
    pairs = np.flatnonzero(np.asarray(candidate, bool).any(axis=1))
    if not len(pairs) or n_frames == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in WINDOW_COLUMNS})
    sums = np.zeros((len(TERMS), n_frames + 1, len(pairs), n_actions), np.float64)
    np.cumsum(terms[:, :, pairs], axis=1, out=sums[:, 1:])
    means = (sums[:, stops] - sums[:, starts]) / (stops - starts)[None, :, None, None]  # (3, W, P', A)
    means = np.where(np.asarray(candidate, bool)[pairs][None, None], means, -np.inf)
    best = means.max(axis=3)  # (3, W, P')
    which = means.argmax(axis=3)
    weighted = np.asarray(weights, np.float64)[:, None, None] * best
    score = weighted.sum(axis=0)
    dominant = weighted.argmax(axis=0)  # (W, P')
    n_windows = len(starts)
    w_index, p_index = np.meshgrid(np.arange(n_windows), np.arange(len(pairs)), indexing="ij")
    table = pd.DataFrame(
        {
            "pair": pairs[p_index].ravel(),
            "start": starts[w_index].ravel(),
            "stop": stops[w_index].ravel(),
            "score": score.ravel().round(6),
            **{name: best[k].ravel().round(6) for k, name in enumerate(TERMS)},
            "why": np.asarray(TERMS)[dominant].ravel(),
            "action": np.take_along_axis(which, dominant[None], axis=0)[0].ravel(),
        }
    )
    return table.sort_values(["pair", "start"], kind="stable").reset_index(drop=True)


def default_caps(n_clips: int, n_groups: int) -> tuple[int, int]:
    """Return ``(max_per_group, max_per_pair)``: at most twice an even share per recording, half that per pair.

    Examples
    --------
    >>> default_caps(20, 12), default_caps(5, 1)
    ((4, 2), (10, 5))
    """
    per_group = max(1, math.ceil(2 * n_clips / max(n_groups, 1)))
    return per_group, max(1, math.ceil(per_group / 2))


def select_clips(
    windows: pd.DataFrame,
    n_clips: int,
    max_per_group: int | None = None,
    max_per_pair: int | None = None,
) -> pd.DataFrame:
    """Choose up to ``n_clips`` windows by score, non-overlapping and spread (module docstring).

    Parameters
    ----------
    windows
        Columns ``video``, ``group`` (the recording), ``pair``, ``start``,
        ``stop``, ``score`` (more are kept).
    n_clips
        How many to choose.
    max_per_group, max_per_pair
        Caps per recording and per (recording, pair); default :func:`default_caps`.

    Returns
    -------
    pd.DataFrame
        The chosen rows in the order chosen (best first), index reset.

    Examples
    --------
    >>> w = pd.DataFrame({"video": [1, 1, 1, 2], "group": [1, 1, 1, 2], "pair": [0, 0, 0, 0],
    ...                   "start": [0, 5, 10, 0], "stop": [10, 15, 20, 10], "score": [0.9, 0.8, 0.7, 0.1]})
    >>> select_clips(w, 3)[["video", "start"]].values.tolist()
    [[1, 0], [1, 10], [2, 0]]
    >>> select_clips(w, 3, max_per_group=1)[["video", "start"]].values.tolist()
    [[1, 0], [2, 0], [1, 10]]
    """
    if n_clips < 1 or windows.empty:
        return windows.iloc[:0].reset_index(drop=True)
    default_group, default_pair = default_caps(n_clips, windows["group"].nunique())
    group_cap = default_group if max_per_group is None else max_per_group
    pair_cap = default_pair if max_per_pair is None else max_per_pair
    order = windows.sort_values(["score", "video", "pair", "start"], ascending=[False, True, True, True], kind="stable")
    rows = list(order.itertuples(index=True))
    chosen: list[int] = []
    taken: dict[object, list[tuple[int, int]]] = {}
    per_group: dict[object, int] = {}
    per_pair: dict[tuple[object, object], int] = {}
    for capped in (True, False):
        for row in rows:
            if len(chosen) >= n_clips:
                break
            start, stop = int(row.start), int(row.stop)
            if any(start < b and a < stop for a, b in taken.get(row.video, [])):
                continue
            key = (row.group, row.pair)
            if capped and (per_group.get(row.group, 0) >= group_cap or per_pair.get(key, 0) >= pair_cap):
                continue
            chosen.append(row.Index)
            taken.setdefault(row.video, []).append((start, stop))
            per_group[row.group] = per_group.get(row.group, 0) + 1
            per_pair[key] = per_pair.get(key, 0) + 1
    return windows.loc[chosen].reset_index(drop=True)
