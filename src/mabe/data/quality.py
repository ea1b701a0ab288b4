"""Tracking quality of one video's pose: missing body parts and implausible jumps.

Misclassified behaviour often starts with bad tracking: a body part the
tracker lost, or two mice whose identities swapped. These pure functions
measure both on the dense pose array ``(frames, mice, body_parts, 2)`` (NaN
where missing), so ``mabe info --details`` and ``mabe report`` can show them.

* :func:`missing_fraction`: per mouse and body part, the fraction of frames
  where the part is missing.
* :func:`body_length`: per mouse, the median over frames of the largest
  distance between two of its keypoints (its extent), so lengths and speeds
  need no body-part names and no calibration.
* :func:`jump_speeds`: per frame and mouse, how far it moved since the frame
  before, in body lengths per second: the median displacement of the body
  parts present in both frames (a single bad keypoint does not count, a swap
  moves them all).
* :func:`find_jumps`: the frames where that speed exceeds
  :data:`JUMP_BODY_LENGTHS_PER_S`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

JUMP_BODY_LENGTHS_PER_S = 40.0
"""Default jump threshold, in body lengths (keypoint extents) per second.

At 30 fps that is 1.3 body lengths in one frame. Measured on real tracking
(benchmarks/results/2026-12-07-render.md): of the 33,600 frame-to-frame steps
of the CalMS21 windows, 99 % are below 24.5 and 99.5 % below 33.8; the counts
fall from 331 steps at 20-30 to 93 at 30-40 and 39 at 40-60, then rise again
to 55 steps above 100, which are one-frame jumps of a lost mouse to a fixed
spot and back. 124 steps (0.37 %) exceed 40. The ethome DeepLabCut recording
(11,293 steps) never exceeds 6.3. A lower threshold would flag fast real
runs; two mice swapping while less than about one body length apart stay
below it.
"""

_CHUNK = 4096


def _check(coords: np.ndarray) -> np.ndarray:
    coords = np.asarray(coords, dtype=np.float32)
    if coords.ndim != 4 or coords.shape[-1] != 2:
        raise ValueError(f"coords must have shape (frames, mice, body_parts, 2), got {coords.shape}")
    return coords


def missing_fraction(coords: np.ndarray) -> np.ndarray:
    """Return the fraction of frames in which each body part of each mouse is missing.

    Parameters
    ----------
    coords
        ``(frames, mice, body_parts, 2)`` pixels, NaN where missing.

    Returns
    -------
    np.ndarray
        ``(mice, body_parts)`` float64 in [0, 1]; NaN for a video without frames.

    Examples
    --------
    >>> coords = np.zeros((4, 1, 2, 2), dtype=np.float32)
    >>> coords[1:3, 0, 1] = np.nan
    >>> missing_fraction(coords).tolist()
    [[0.0, 0.5]]
    """
    coords = _check(coords)
    if coords.shape[0] == 0:
        return np.full(coords.shape[1:3], np.nan)
    return np.isnan(coords).any(axis=-1).mean(axis=0)


def _min_common(n_parts: int) -> int:
    return min(n_parts, 3)


def body_length(coords: np.ndarray) -> np.ndarray:
    """Return each mouse's body length in pixels: the median of its keypoint extent over frames.

    The extent of a frame is the largest distance between two keypoints of the
    mouse; frames where fewer than half of its body parts are present are left
    out (a partial skeleton looks shorter than it is).

    Parameters
    ----------
    coords
        ``(frames, mice, body_parts, 2)`` pixels, NaN where missing.

    Returns
    -------
    np.ndarray
        ``(mice,)`` float64; NaN for a mouse never seen with two keypoints.

    Examples
    --------
    >>> coords = np.zeros((3, 1, 3, 2), dtype=np.float32)
    >>> coords[:, 0, 1] = (30, 40)          # 50 px from part 0
    >>> coords[:, 0, 2] = (10, 0)
    >>> body_length(coords).tolist()
    [50.0]
    """
    coords = _check(coords)
    n_frames, n_mice, n_parts, _ = coords.shape
    need = max(2, (n_parts + 1) // 2)
    out = np.full(n_mice, np.nan)
    if n_parts < 2:
        return out
    for m in range(n_mice):
        extents = []
        for start in range(0, n_frames, _CHUNK):
            block = coords[start:start + _CHUNK, m]  # (t, parts, 2)
            present = ~np.isnan(block).any(axis=-1)
            block = block[present.sum(axis=1) >= need]
            if len(block):
                diff = block[:, :, None, :] - block[:, None, :, :]
                dist = np.sqrt((diff.astype(np.float64) ** 2).sum(axis=-1))
                extents.append(np.nanmax(dist.reshape(len(block), -1), axis=1))
        if extents:
            out[m] = float(np.median(np.concatenate(extents)))
    return out


def jump_speeds(coords: np.ndarray, fps: float, lengths: np.ndarray | None = None) -> np.ndarray:
    """Return how fast each mouse moved since the frame before, in body lengths per second.

    The displacement of a frame is the median over the body parts present in
    both frames (at least three of them, or all when fewer are tracked) of
    how far each moved; it is divided by the body length and multiplied by ``fps``.

    Parameters
    ----------
    coords
        ``(frames, mice, body_parts, 2)`` pixels, NaN where missing.
    fps
        Frames per second (> 0).
    lengths
        ``(mice,)`` body lengths in pixels; default :func:`body_length`.

    Returns
    -------
    np.ndarray
        ``(frames, mice)`` float64; row ``t`` is the step from ``t - 1`` to ``t``;
        NaN at frame 0 and wherever too few parts are present in both frames.

    Examples
    --------
    >>> coords = np.zeros((3, 1, 2, 2), dtype=np.float32)
    >>> coords[:, 0, 1, 0] = 10.0            # a mouse 10 px long
    >>> coords[2, 0, :, 0] += 5.0            # moves half a body length at frame 2
    >>> jump_speeds(coords, fps=30.0).round(1).tolist()
    [[nan], [0.0], [15.0]]
    """
    coords = _check(coords)
    if not fps or not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    n_frames, n_mice, n_parts, _ = coords.shape
    lengths = body_length(coords) if lengths is None else np.asarray(lengths, dtype=np.float64)
    if lengths.shape != (n_mice,):
        raise ValueError(f"lengths must have shape ({n_mice},), got {lengths.shape}")
    speeds = np.full((n_frames, n_mice), np.nan)
    if n_frames < 2 or n_parts == 0:
        return speeds
    step = np.sqrt(((coords[1:] - coords[:-1]).astype(np.float64) ** 2).sum(axis=-1))  # (t-1, mice, parts)
    enough = (~np.isnan(step)).sum(axis=-1) >= _min_common(n_parts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: masked below
        moved = np.nanmedian(step, axis=-1)
        speeds[1:] = np.where(enough, moved * fps / lengths[None, :], np.nan)
    return speeds


@dataclass(frozen=True)
class Jumps:
    """Implausible jumps of one video.

    Attributes
    ----------
    frames
        ``(n,)`` frame of each jump (the step from ``frame - 1`` to ``frame``), sorted.
    mice
        ``(n,)`` mouse slot (0-based) of each jump.
    speeds
        ``(n,)`` speed of each jump, body lengths per second.
    lengths
        ``(mice,)`` body length used per mouse, pixels.
    """

    frames: np.ndarray
    mice: np.ndarray
    speeds: np.ndarray
    lengths: np.ndarray

    def of_mouse(self, mouse: int) -> np.ndarray:
        """Return the jump frames of mouse slot ``mouse``."""
        return self.frames[self.mice == mouse]

    def swaps(self) -> np.ndarray:
        """Return the frames where two or more mice jump at once (likely identity swaps)."""
        frames, counts = np.unique(self.frames, return_counts=True)
        return frames[counts >= 2]


def find_jumps(coords: np.ndarray, fps: float, threshold: float = JUMP_BODY_LENGTHS_PER_S) -> Jumps:
    """Find the frames where a mouse moves implausibly far since the frame before.

    Parameters
    ----------
    coords
        ``(frames, mice, body_parts, 2)`` pixels, NaN where missing.
    fps
        Frames per second (> 0).
    threshold
        Body lengths per second above which a step is a jump (default
        :data:`JUMP_BODY_LENGTHS_PER_S`).

    Returns
    -------
    Jumps
        Every jump, sorted by frame then mouse.

    Examples
    --------
    Two mice 40 px apart, 10 px long, trade places at frame 5:

    >>> coords = np.zeros((10, 2, 2, 2), dtype=np.float32)
    >>> coords[:, :, 1, 0] = 10.0
    >>> coords[:, 1, :, 1] = 40.0
    >>> coords[5:] = coords[5:, ::-1]
    >>> jumps = find_jumps(coords, fps=30.0)
    >>> jumps.frames.tolist(), jumps.mice.tolist(), jumps.swaps().tolist()
    ([5, 5], [0, 1], [5])
    """
    if not np.isfinite(threshold) or threshold <= 0:
        raise ValueError(f"threshold must be positive, got {threshold!r}")
    coords = _check(coords)
    lengths = body_length(coords)
    speeds = jump_speeds(coords, fps, lengths)
    with np.errstate(invalid="ignore"):
        frames, mice = np.nonzero(speeds > threshold)
    return Jumps(frames=frames, mice=mice, speeds=speeds[frames, mice], lengths=lengths)
