"""Simulate and write one video: set-up, schedule, motion, posture, keypoints, labels.

Every stage draws from its own generator, derived from ``(seed, video
index)`` with :class:`numpy.random.SeedSequence`, so videos are independent
and reproducible, and changing one stage does not reshuffle the others.
Keypoints are rendered, corrupted and written in blocks of frames, so memory
stays bounded by the (compact) per-frame posture of the longest video.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from mabe.data import schema
from mabe.data.catalog import LabSpec
from mabe.data.synth.body import render
from mabe.data.synth.motion import simulate_track
from mabe.data.synth.nuisance import corrupt, draw_noise, identity_swaps, tracking_gaps
from mabe.data.synth.posture import Posture, build_posture
from mabe.data.synth.recording import VideoSetup, draw_setup, metadata_row
from mabe.data.synth.schedule import annotation_rows, schedule_bouts
from mabe.data.synth.writer import tracking_table, write_annotations, write_tracking

BLOCK_FRAMES = 4096
"""Frames rendered and written per parquet row group."""

_STAGES = ("setup", "schedule", "motion", "posture", "tracker", "labels")


@dataclass(frozen=True)
class VideoResult:
    """What was written for one video."""

    split: str
    lab_id: str
    video_id: int
    frames: int
    rows: int
    labelled_bouts: int
    bouts: int
    metadata: dict[str, object]


def stage_rngs(seed: int, index: int) -> dict[str, np.random.Generator]:
    """One independent generator per simulation stage of video ``index``."""
    root = np.random.SeedSequence(entropy=seed, spawn_key=(1, index))
    children = root.spawn(len(_STAGES))
    return {name: np.random.default_rng(c) for name, c in zip(_STAGES, children, strict=True)}


def _contact(x: np.ndarray, y: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``bool (frames, mice)``: another mouse's centre is within 0.8 body lengths."""
    n, m = x.shape
    contact = np.zeros((n, m), dtype=bool)
    reach = 0.8 * float(np.mean(lengths))
    for i in range(m):
        for j in range(i + 1, m):
            close = np.hypot(x[:, i] - x[:, j], y[:, i] - y[:, j]) < reach
            contact[:, i] |= close
            contact[:, j] |= close
    return contact


def _blocks(setup: VideoSetup, posture: Posture, rng: np.random.Generator) -> Iterator[pa.Table]:
    """Yield rendered, corrupted tracking rows, one block of frames at a time."""
    n, n_mice = posture.x.shape
    noise = draw_noise(setup.body_parts, rng)
    tracked = tracking_gaps(n, n_mice, setup.fps, rng)
    shown = identity_swaps(posture.x, posture.y, setup.fps, rng)
    lengths = np.asarray(setup.body_lengths)
    ox, oy = setup.origin_px
    width, height = setup.frame_size
    for f0 in range(0, n, BLOCK_FRAMES):
        f1 = min(n, f0 + BLOCK_FRAMES)
        part = posture.frames(f0, f1)
        keypoints = render(part, setup.body_parts, lengths)
        keypoints[..., 0] = ox + keypoints[..., 0] * setup.pix_per_cm
        keypoints[..., 1] = oy + keypoints[..., 1] * setup.pix_per_cm
        idx = shown[f0:f1].astype(np.intp)
        keypoints = np.take_along_axis(keypoints, idx[:, :, None, None], axis=1)
        contact = np.take_along_axis(_contact(part.x, part.y, lengths), idx, axis=1)
        noisy, present = corrupt(keypoints, tracked[f0:f1], contact, noise, rng)
        if f1 == n:  # readers take the video length from the last tracked frame
            present[-1, 0, :] = True
        np.clip(noisy[..., 0], 0.0, float(width), out=noisy[..., 0])
        np.clip(noisy[..., 1], 0.0, float(height), out=noisy[..., 1])
        yield tracking_table(f0, noisy, present, setup.body_parts)


def make_video(
    root: Path,
    lab: LabSpec,
    index: int,
    split: str,
    video_id: int,
    minutes: float | None,
    seed: int,
) -> VideoResult:
    """Simulate video ``index`` and write its tracking and annotation files below ``root``.

    Returns
    -------
    VideoResult
        Counts and the video's metadata row (written to the csv by the caller).
    """
    rngs = stage_rngs(seed, index)
    setup = draw_setup(lab, index, split, video_id, minutes, rngs["setup"])
    bouts = schedule_bouts(setup, rngs["schedule"])
    track = simulate_track(setup, bouts, rngs["motion"])
    posture = build_posture(track, bouts, setup.fps, rngs["posture"])
    del track
    labels = annotation_rows(bouts, setup.n_frames, rngs["labels"])
    rows = write_tracking(
        schema.tracking_path(root, split, lab.name, video_id),
        _blocks(setup, posture, rngs["tracker"]),
    )
    write_annotations(schema.annotation_path(root, split, lab.name, video_id), labels)
    return VideoResult(
        split=split,
        lab_id=lab.name,
        video_id=int(video_id),
        frames=setup.n_frames,
        rows=rows,
        labelled_bouts=len(labels),
        bouts=len(bouts),
        metadata=metadata_row(setup),
    )
