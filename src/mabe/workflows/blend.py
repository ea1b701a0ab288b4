"""Averaging fold models, blending members per action, and choosing the blend weights.

Blend weights are convex per action: ``p = sum_m w[action][m] * p_m`` with
``w >= 0`` summing to 1. They are chosen on out-of-fold probabilities from a
grid (step :data:`WEIGHT_STEP`) by the best frame-level F1 over thresholds of
the blended probability, on the whitelisted (frame, pair, action) entries.
Each candidate's blended probabilities are binned into :data:`N_BINS`
histograms of positive and negative frames per fold, so one streamed pass
over the out-of-fold files is enough, memory stays flat, and the weights of
any subset of folds (all folds but ``k``) are read off the summed histograms.

Examples
--------
>>> weight_grid(2, step=0.5).tolist()
[[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from mabe.data.schema import Pair, Triple
from mabe.decode import VideoProbs
from mabe.training.labels import intervals_to_dense, pair_action_mask, pair_intervals

WEIGHT_STEP = 0.1
"""Grid step of the blend weights."""
N_BINS = 100
"""Probability bins of the histograms used to choose the weights."""


def _pair(pair: Sequence[int]) -> Pair:
    """Return ``(agent_id, target_id)`` as a tuple of two ints."""
    agent, target = pair
    return int(agent), int(target)


def weight_grid(n_members: int, step: float = WEIGHT_STEP) -> np.ndarray:
    """Return every convex weight vector of ``n_members`` entries on a grid of ``step``: ``(W, M)``."""
    if n_members < 1:
        raise ValueError("a blend needs at least one member")
    n = round(1 / step)
    rows = [c for c in itertools.product(range(n + 1), repeat=n_members) if sum(c) == n]
    return np.asarray(sorted(rows), dtype=np.float64) / n


def average_probs(videos: Sequence[VideoProbs]) -> VideoProbs:
    """Average fold models' probabilities of one video (same pairs and actions)."""
    first = videos[0]
    if len(videos) == 1:
        return first
    total = np.zeros(first.probs.shape, dtype=np.float32)
    for v in videos:
        if v.probs.shape != first.probs.shape or list(v.pairs) != list(first.pairs) or list(v.actions) != list(first.actions):
            raise ValueError(f"video {first.video_id}: fold models disagree on pairs/actions")
        total += v.probs
    return VideoProbs(first.video_id, first.lab_id, total / len(videos), list(first.pairs), list(first.actions), first.whitelist)


def whitelisted_only(vp: VideoProbs) -> VideoProbs:
    """Restrict the video's probabilities to the actions its whitelist names.

    Other actions can never be decoded for this video, so dropping them
    changes no decoding; it makes tuning (which loops over actions) and the
    out-of-fold files several times smaller when the vocabulary spans many labs.

    Examples
    --------
    >>> vp = VideoProbs(1, "L", np.zeros((2, 1, 3), np.float32), [(1, 2)], ["a", "b", "c"],
    ...                 {("mouse1", "mouse2", "b")})
    >>> whitelisted_only(vp).actions
    ['b']
    """
    named = {action for _, _, action in vp.whitelist}
    keep = [x for x, action in enumerate(vp.actions) if action in named]
    if not named or len(keep) == len(vp.actions):
        return vp
    return VideoProbs(vp.video_id, vp.lab_id, np.ascontiguousarray(vp.probs[:, :, keep]), list(vp.pairs),
                      [vp.actions[x] for x in keep], vp.whitelist)


def blend_probs(members: Mapping[str, VideoProbs], weights: Mapping[str, Mapping[str, float]]) -> VideoProbs:
    """Blend several members' probabilities of one video, convexly per action.

    Pairs and actions are matched by value (members may order them
    differently, or miss some); an entry only some members have is blended
    over those members, with their weights renormalised. An action without
    weights is averaged equally.

    Examples
    --------
    >>> a = VideoProbs(1, "L", np.full((2, 1, 1), 0.2, np.float32), [(1, 2)], ["sniff"], set())
    >>> b = VideoProbs(1, "L", np.full((2, 1, 1), 0.6, np.float32), [(1, 2)], ["sniff"], set())
    >>> blend_probs({"a": a, "b": b}, {"sniff": {"a": 0.25, "b": 0.75}}).probs[0, 0, 0].round(3)
    np.float32(0.5)
    """
    items = list(members.items())
    first = items[0][1]
    if len(items) == 1:
        return first
    pairs = list(dict.fromkeys(_pair(p) for _, v in items for p in v.pairs))
    actions = list(dict.fromkeys(a for _, v in items for a in v.actions))
    n_frames = first.probs.shape[0]
    total = np.zeros((n_frames, len(pairs), len(actions)), dtype=np.float32)
    weight_sum = np.zeros((len(pairs), len(actions)), dtype=np.float32)
    p_index = {p: i for i, p in enumerate(pairs)}
    a_index = {a: i for i, a in enumerate(actions)}
    for name, v in items:
        if v.probs.shape[0] != n_frames:
            raise ValueError(f"video {first.video_id}: members disagree on the number of frames")
        rows = np.array([p_index[_pair(p)] for p in v.pairs], dtype=np.int64)
        for x, action in enumerate(v.actions):
            w = float(weights.get(action, {}).get(name, 1.0 if action not in weights else 0.0))
            if w <= 0:
                continue
            col = a_index[action]
            total[:, rows, col] += w * v.probs[:, :, x]
            weight_sum[rows, col] += w
    out = np.divide(total, weight_sum[None], out=np.zeros_like(total), where=weight_sum[None] > 0)
    return VideoProbs(first.video_id, first.lab_id, out, pairs, actions, first.whitelist)


class BlendStats:
    """Histograms of blended out-of-fold probabilities, per fold, action and weight candidate.

    Parameters
    ----------
    members
        Member names, in the order of the weight columns.
    n_folds
        Number of folds.
    step
        Weight grid step.
    """

    def __init__(self, members: Sequence[str], n_folds: int, step: float = WEIGHT_STEP) -> None:
        self.members = list(members)
        self.grid = weight_grid(len(self.members), step)
        self.n_folds = int(n_folds)
        self.hist: dict[str, np.ndarray] = {}  # action -> (folds, W, 2, N_BINS) counts

    def add(self, fold: int, videos: Mapping[str, VideoProbs], truth: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Add one video.

        Parameters
        ----------
        fold
            The video's fold.
        videos
            ``member -> VideoProbs`` of the video (every member).
        truth
            ``action -> (pair_rows, labels)``: for each action, the pairs whose
            triple is whitelisted (``(agent, target)`` tuples, shape ``(K, 2)``)
            and their ``(F, K)`` 0/1 labels.
        """
        for action, (pairs, labels) in truth.items():
            if not len(pairs):
                continue
            stack = []
            for name in self.members:
                v = videos[name]
                stack.append(_column(v, action, pairs))
            probs = np.stack(stack)  # (M, F, K)
            blended = np.tensordot(self.grid, probs, axes=(1, 0))  # (W, F, K)
            bins = np.clip((blended * N_BINS).astype(np.int64), 0, N_BINS - 1).reshape(len(self.grid), -1)
            positive = np.asarray(labels, dtype=bool).reshape(-1)
            table = self.hist.setdefault(action, np.zeros((self.n_folds, len(self.grid), 2, N_BINS)))
            offsets = np.arange(len(self.grid))[:, None] * N_BINS
            for cls, sel in ((1, positive), (0, ~positive)):
                if sel.any():
                    counts = np.bincount((bins[:, sel] + offsets).reshape(-1), minlength=len(self.grid) * N_BINS)
                    table[fold, :, cls] += counts.reshape(len(self.grid), N_BINS)

    def choose(self, exclude_fold: int | None = None) -> dict[str, dict[str, float]]:
        """Best weights per action on every fold but ``exclude_fold`` (ties: the most even blend)."""
        out: dict[str, dict[str, float]] = {}
        evenness = -np.abs(self.grid - 1.0 / len(self.members)).sum(axis=1)
        for action, table in self.hist.items():
            keep = [k for k in range(self.n_folds) if k != exclude_fold]
            f1 = best_f1(table[keep].sum(axis=0))
            best = np.lexsort((evenness, np.round(f1, 9)))[-1]
            out[action] = {m: float(w) for m, w in zip(self.members, self.grid[best], strict=True)}
        return out


def best_f1(hist: np.ndarray) -> np.ndarray:
    """Best frame F1 over the bin thresholds, per candidate: ``(W, 2, N_BINS) -> (W,)``."""
    pos, neg = hist[:, 1], hist[:, 0]
    tp = np.cumsum(pos[:, ::-1], axis=1)  # predicted positive when prob bin >= threshold bin
    fp = np.cumsum(neg[:, ::-1], axis=1)
    fn = pos.sum(axis=1, keepdims=True) - tp
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp, dtype=np.float64), where=denom > 0)
    return f1.max(axis=1)


def _column(v: VideoProbs, action: str, pairs: np.ndarray) -> np.ndarray:
    """``(F, K)`` probabilities of ``action`` for ``pairs`` (0 where the member lacks them)."""
    out = np.zeros((v.probs.shape[0], len(pairs)), dtype=np.float32)
    if action not in v.actions:
        return out
    x = v.actions.index(action)
    index = {tuple(p): i for i, p in enumerate(v.pairs)}
    for k, pair in enumerate(map(tuple, pairs)):
        if pair in index:
            out[:, k] = v.probs[:, index[pair], x]
    return out


def video_truth(
    video_probs: VideoProbs, annotations: pd.DataFrame | None, whitelist: Iterable[Triple]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return the labels of one video for :meth:`BlendStats.add`: per whitelisted action, its pairs and 0/1 frames."""
    whitelist = list(whitelist)
    pairs = [_pair(p) for p in video_probs.pairs]
    actions = sorted({a for _, _, a in whitelist})
    n_frames = video_probs.probs.shape[0]

    class _Meta:
        behaviors_labeled = tuple(whitelist)

    mask = pair_action_mask(_Meta, pairs, actions)  # type: ignore[arg-type]  # reads behaviors_labeled only
    bouts = pair_intervals(annotations, pairs, actions)
    dense = [intervals_to_dense(b, n_frames, len(actions)) for b in bouts]
    out = {}
    for x, action in enumerate(actions):
        rows = np.flatnonzero(mask[:, x])
        if len(rows):
            labels = np.stack([dense[p][:, x] for p in rows], axis=1)
            out[action] = (np.asarray([pairs[p] for p in rows], dtype=np.int64), labels)
    return out
