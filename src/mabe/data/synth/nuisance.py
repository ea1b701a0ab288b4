"""Tracking imperfections: jitter, dropped keypoints, gaps and identity swaps.

The clean keypoints rendered by :mod:`mabe.data.synth.body` are turned into
what a pose tracker would output: Gaussian jitter (px, larger on the tail),
keypoints missing now and then (more often on the tail tip and when mice are
in contact), short stretches where a mouse is not tracked at all, and
occasional identity swaps between two mice for a few seconds (labels stay
with the true animals, as in real data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_JITTER_FACTOR = {
    "tail_tip": 2.5, "tail_middle_2": 1.6, "tail_midpoint": 1.5, "tail_middle_1": 1.3, "nose": 1.2,
}
_DROP_FACTOR = {
    "tail_tip": 3.0, "tail_middle_2": 2.0, "tail_midpoint": 1.5, "nose": 1.5,
    "ear_left": 1.2, "ear_right": 1.2,
}

GAPS_PER_MINUTE = 0.4
"""Tracking gaps (all keypoints of one mouse missing) per mouse and minute."""

SWAPS_PER_MINUTE = 0.1
"""Identity swaps per video minute (videos with two or more mice)."""


@dataclass(frozen=True)
class TrackerNoise:
    """One video's tracker quality.

    Attributes
    ----------
    jitter_px
        Standard deviation of keypoint jitter on the body, in pixels.
    drop_rate
        Probability that a body keypoint is missing in a frame.
    jitter_factor, drop_factor
        Per body part (in output order) multipliers.
    """

    jitter_px: float
    drop_rate: float
    jitter_factor: np.ndarray
    drop_factor: np.ndarray


def draw_noise(body_parts: tuple[str, ...], rng: np.random.Generator) -> TrackerNoise:
    """Draw a video's tracker quality."""
    return TrackerNoise(
        jitter_px=float(rng.uniform(0.4, 1.5)),
        drop_rate=float(rng.uniform(0.005, 0.035)),
        jitter_factor=np.array([_JITTER_FACTOR.get(p, 1.0) for p in body_parts]),
        drop_factor=np.array([_DROP_FACTOR.get(p, 1.0) for p in body_parts]),
    )


def tracking_gaps(n_frames: int, n_mice: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Whether each mouse is tracked at each frame, ``bool (frames, mice)``."""
    tracked = np.ones((n_frames, n_mice), dtype=bool)
    minutes = n_frames / fps / 60.0
    for m in range(n_mice):
        for _ in range(int(rng.poisson(GAPS_PER_MINUTE * minutes))):
            length = int(rng.integers(3, max(4, int(fps)) + 1))
            start = int(rng.integers(0, max(1, n_frames - length)))
            tracked[start : start + length, m] = False
    return tracked


def identity_swaps(
    x: np.ndarray, y: np.ndarray, fps: float, rng: np.random.Generator
) -> np.ndarray:
    """Which simulated mouse each tracked id shows, ``int8 (frames, mice)``.

    Swaps start where the two mice are close (the likeliest place for a
    tracker to confuse them) and last 1-8 s.
    """
    n_frames, n_mice = x.shape
    perm = np.tile(np.arange(n_mice, dtype=np.int8), (n_frames, 1))
    if n_mice < 2 or n_frames < 2:
        return perm
    for _ in range(int(rng.poisson(SWAPS_PER_MINUTE * n_frames / fps / 60.0))):
        i, j = (int(v) for v in rng.choice(n_mice, 2, replace=False))
        candidates = rng.integers(0, n_frames, 30)
        dist = np.hypot(x[candidates, i] - x[candidates, j], y[candidates, i] - y[candidates, j])
        start = int(candidates[int(np.argmin(dist))])
        stop = min(n_frames, start + int(rng.uniform(1.0, 8.0) * fps))
        block = perm[start:stop]
        ci, cj = block[:, i].copy(), block[:, j].copy()
        block[:, i], block[:, j] = cj, ci
    return perm


def corrupt(
    keypoints: np.ndarray,
    tracked: np.ndarray,
    contact: np.ndarray,
    noise: TrackerNoise,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Add jitter and choose which keypoints are reported.

    Parameters
    ----------
    keypoints
        Clean positions in pixels, ``(frames, mice, parts, 2)``.
    tracked
        ``bool (frames, mice)``: false inside tracking gaps.
    contact
        ``bool (frames, mice)``: the mouse touches another (more dropouts).
    noise
        The video's tracker quality.
    rng
        The video's tracker generator.

    Returns
    -------
    tuple of numpy.ndarray
        Noisy keypoints (same shape) and the ``bool (frames, mice, parts)`` mask
        of keypoints present.
    """
    sigma = noise.jitter_px * noise.jitter_factor[None, None, :, None]
    noisy = keypoints + rng.standard_normal(keypoints.shape) * sigma
    occluded = np.where(contact, 3.0, 1.0)[..., None]
    rate = noise.drop_rate * noise.drop_factor[None, None, :] * occluded
    present = (rng.random(rate.shape) >= rate) & tracked[..., None]
    return noisy, present
