"""The linear baseline of ``bench_quality``: logistic regression on per-window summary features.

Per video, per ordered (agent, target) pair (self pairs included), the video
is cut into non-overlapping windows of ``WINDOW_S`` seconds (a video shorter
than that is one window). Per window the features are the mean and standard
deviation of

* the distance between the two mice's centroids (cm; self pair: to the nearest other mouse),
* the agent's and the target's centroid speed (cm/s),
* the agent's nose-to-target-body distance (cm; self pair: to the nearest other mouse),

plus a self-pair indicator: 9 numbers (missing values: the training mean).
One L2-regularised logistic regression per action (scipy L-BFGS on
standardised features) is fitted on the windows of whitelisted (pair,
action) entries, labelled positive when at least half of the window's frames
are. Every frame of a window gets the window's probability, so the output is
a :class:`mabe.decode.VideoProbs` that is decoded and scored like any model.

Not part of the package: a reference point for the benchmark table only.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize

from mabe.data.io import MabeDataset
from mabe.data.types import Video, VideoMeta
from mabe.decode import VideoProbs
from mabe.training.labels import intervals_to_dense, pair_action_mask, pair_intervals
from mabe.training.samples import all_pairs
from mabe.workflows.baselines import nose_to_body_cm

WINDOW_S = 0.5
L2 = 1e-2
N_FEATURES = 9


def _centroids(coords: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames stay NaN
        return np.nanmean(coords, axis=2)  # (F, mice, 2)


def frame_signals(video: Video) -> tuple[list[tuple[int, int]], np.ndarray]:
    """``pairs`` and ``(P, F, 4)`` per-frame signals: distance, agent speed, target speed, nose-to-body."""
    from mabe.features import interpolate_gaps, normalize_pose

    fps = float(video.meta.fps)
    coords = interpolate_gaps(normalize_pose(video.pose, video.meta), max_gap=max(1, round(fps)))
    centre = _centroids(coords)
    speed = np.zeros(centre.shape[:2], dtype=np.float32)
    if len(centre) > 1:
        speed[1:] = np.sqrt(((centre[1:] - centre[:-1]) ** 2).sum(axis=-1)) * fps
        speed[0] = speed[1]
    n2b = {k: np.where(np.isfinite(v), v, np.nan) for k, v in nose_to_body_cm(video).items()}
    n_mice = centre.shape[1]
    dist = {
        (a, t): np.sqrt(((centre[:, a - 1] - centre[:, t - 1]) ** 2).sum(axis=-1))
        for a in range(1, n_mice + 1)
        for t in range(1, n_mice + 1)
        if a != t
    }
    pairs = all_pairs(video)
    out = np.full((len(pairs), video.n_frames, 4), np.nan, dtype=np.float32)
    for p, (a, t) in enumerate(pairs):
        if a == t:
            others = [dist[(a, o)] for o in range(1, n_mice + 1) if o != a]
            noses = [n2b[(a, o)] for o in range(1, n_mice + 1) if o != a]
            with np.errstate(all="ignore"):
                out[p, :, 0] = np.fmin.reduce(others) if others else np.nan
                out[p, :, 3] = np.fmin.reduce(noses) if noses else np.nan
            out[p, :, 1] = out[p, :, 2] = speed[:, a - 1]
        else:
            out[p, :, 0] = dist[(a, t)]
            out[p, :, 1], out[p, :, 2] = speed[:, a - 1], speed[:, t - 1]
            out[p, :, 3] = n2b[(a, t)]
    return pairs, out


def window_features(video: Video) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
    """``pairs``, ``(P, W, 9)`` window features and ``(W + 1,)`` window bounds in frames."""
    pairs, signals = frame_signals(video)
    n = video.n_frames
    size = max(1, round(WINDOW_S * float(video.meta.fps)))
    bounds = np.unique(np.r_[np.arange(0, n, size), n])
    feats = np.zeros((len(pairs), max(len(bounds) - 1, 0), N_FEATURES), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for w, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            chunk = signals[:, lo:hi]
            feats[:, w, 0:8:2] = np.nanmean(chunk, axis=1)
            feats[:, w, 1:8:2] = np.nanstd(chunk, axis=1)
    feats[:, :, 8] = np.array([a == t for a, t in pairs], dtype=np.float32)[:, None]
    return pairs, feats, bounds


class LinearBaseline:
    """Per-action logistic regression on window summaries."""

    def __init__(self, actions: Sequence[str]) -> None:
        self.actions = list(actions)
        self.mean = np.zeros(N_FEATURES)
        self.std = np.ones(N_FEATURES)
        self.coef: dict[str, np.ndarray] = {}

    def fit(self, dataset: MabeDataset, metas: Sequence[VideoMeta]) -> LinearBaseline:
        rows: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {a: [] for a in self.actions}
        for meta in metas:
            video = dataset.load_video(meta)
            pairs, feats, bounds = window_features(video)
            mask = pair_action_mask(meta, pairs, self.actions)
            bouts = pair_intervals(video.annotations, pairs, self.actions)
            for p in range(len(pairs)):
                dense = intervals_to_dense(bouts[p], video.n_frames, len(self.actions))
                share = np.add.reduceat(dense, bounds[:-1], axis=0) / np.diff(bounds)[:, None] if len(bounds) > 1 else dense[:0]
                for x, action in enumerate(self.actions):
                    if mask[p, x]:
                        rows[action].append((feats[p], share[:, x] >= 0.5))
        every = np.concatenate([f for r in rows.values() for f, _ in r]) if any(rows.values()) else np.zeros((1, N_FEATURES))
        with np.errstate(all="ignore"):
            self.mean = np.nan_to_num(np.nanmean(every, axis=0))
            self.std = np.nan_to_num(np.nanstd(every, axis=0), nan=1.0)
        self.std[self.std < 1e-6] = 1.0
        for action, items in rows.items():
            if not items:
                continue
            x = self._design(np.concatenate([f for f, _ in items]))
            y = np.concatenate([lab for _, lab in items]).astype(np.float64)
            self.coef[action] = _logistic(x, y)
        return self

    def _design(self, feats: np.ndarray) -> np.ndarray:
        z = (np.where(np.isfinite(feats), feats, self.mean) - self.mean) / self.std
        return np.c_[np.ones(len(z)), z]

    def predict(self, video: Video) -> VideoProbs:
        pairs, feats, bounds = window_features(video)
        probs = np.zeros((video.n_frames, len(pairs), len(self.actions)), dtype=np.float32)
        lengths = np.diff(bounds)
        for x, action in enumerate(self.actions):
            coef = self.coef.get(action)
            if coef is None:
                continue
            for p in range(len(pairs)):
                window_p = 1.0 / (1.0 + np.exp(-self._design(feats[p]) @ coef))
                probs[:, p, x] = np.repeat(window_p, lengths)
        meta = video.meta
        return VideoProbs(meta.video_id, meta.lab_id, probs, pairs, list(self.actions), set(meta.behaviors_labeled))


def _logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """L2-regularised (not the intercept) logistic regression weights."""
    if y.min() == y.max():  # one class only: a constant
        rate = np.clip(y.mean(), 1e-3, 1 - 1e-3)
        coef = np.zeros(x.shape[1])
        coef[0] = np.log(rate / (1 - rate))
        return coef
    penalty = np.r_[0.0, np.full(x.shape[1] - 1, L2)]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * (penalty * w * w).sum()
        grad = x.T @ (p - y) / len(y) + penalty * w
        return value, grad

    return minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
