"""``synthesize``: a complete simulated dataset in the Kaggle MABe 2025 layout."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mabe.data import schema
from mabe.data.catalog import LabSpec, select_labs
from mabe.data.synth.video import VideoResult, make_video
from mabe.data.synth.writer import check_out_dir, staging_dir, write_metadata
from mabe.errors import MabeError
from mabe.progress import track

_ID_PRIME = 2_147_483_647
"""Video ids are ``(a * index + b) mod _ID_PRIME + 1``: unique, and fixed per index."""


@dataclass(frozen=True)
class SynthSummary:
    """What :func:`synthesize` wrote.

    Attributes
    ----------
    out
        The dataset directory.
    videos, frames, bouts
        Per split (``"train"``, ``"test"``): videos, frames, and labelled
        bouts (annotation rows).
    labs
        Labs used, in first-use order.
    """

    out: Path
    videos: dict[str, int] = field(default_factory=dict)
    frames: dict[str, int] = field(default_factory=dict)
    bouts: dict[str, int] = field(default_factory=dict)
    labs: tuple[str, ...] = ()

    @property
    def total_videos(self) -> int:
        """Videos written, all splits together."""
        return sum(self.videos.values())

    def __str__(self) -> str:
        per_split = ", ".join(
            f"{split}: {_count(self.videos.get(split, 0), 'video')}, "
            f"{self.frames.get(split, 0):,} frames, {self.bouts.get(split, 0):,} labelled bouts"
            for split in schema.SPLITS
        )
        labs = _count(len(self.labs), "lab")
        return f"wrote {_count(self.total_videos, 'video')} from {labs} to {self.out} ({per_split})"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _check_args(n_videos: int, seed: int, minutes: float | None, test_fraction: float) -> None:
    if int(n_videos) < 1:
        raise MabeError(f"number of videos must be at least 1, got {n_videos}")
    if int(seed) < 0:
        raise MabeError(f"seed must be a non-negative integer, got {seed}")
    if minutes is not None and not (minutes > 0):
        raise MabeError(f"minutes must be positive, got {minutes}")
    if not 0.0 <= test_fraction < 1.0:
        raise MabeError(f"test fraction must be in [0, 1), got {test_fraction}")


def _test_count(n_videos: int, test_fraction: float) -> int:
    if test_fraction <= 0 or n_videos < 2:
        return 0
    return min(n_videos - 1, max(1, int(round(n_videos * test_fraction))))


def plan_videos(
    labs: list[LabSpec], n_videos: int, seed: int, test_fraction: float
) -> list[tuple[LabSpec, str, int]]:
    """``(lab, split, video_id)`` of every video, from the dataset-level generator.

    Labs are used round-robin in a seeded order, and video ids are a seeded
    bijection of the index, so video ``i`` is the same video whatever
    ``n_videos`` is. The test split is the ``round(n_videos * test_fraction)``
    videos with the smallest seeded keys.
    """
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(0,)))
    order = [labs[i] for i in rng.permutation(len(labs))]
    a, b = (int(v) for v in rng.integers(1, _ID_PRIME, 2))
    keys = np.array([_index_key(seed, i) for i in range(n_videos)])
    test = set(np.argsort(keys, kind="stable")[: _test_count(n_videos, test_fraction)].tolist())
    return [
        (order[i % len(order)], "test" if i in test else "train", (a * i + b) % _ID_PRIME + 1)
        for i in range(n_videos)
    ]


def _index_key(seed: int, index: int) -> float:
    """Draw a uniform number fixed by ``(seed, index)`` (ranks videos for the test split)."""
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(2, index))
    return float(np.random.default_rng(sequence).random())


def _summary(out: Path, results: list[VideoResult]) -> SynthSummary:
    videos: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    bouts: Counter[str] = Counter()
    for r in results:
        videos[r.split] += 1
        frames[r.split] += r.frames
        bouts[r.split] += r.labelled_bouts
    splits = schema.SPLITS
    return SynthSummary(
        out=out,
        videos={s: videos[s] for s in splits},
        frames={s: frames[s] for s in splits},
        bouts={s: bouts[s] for s in splits},
        labs=tuple(dict.fromkeys(r.lab_id for r in results)),
    )


def synthesize(
    out: Path,
    n_videos: int,
    seed: int,
    labs: list[str] | None = None,
    minutes: float | None = None,
    test_fraction: float = 0.25,
    progress: bool = True,
) -> SynthSummary:
    """Write a complete simulated dataset in the Kaggle MABe 2025 layout.

    Writes ``train.csv`` and ``test.csv`` (38 columns), ``train_tracking/``,
    ``train_annotation/``, ``test_tracking/`` and ``test_annotation/`` (the
    held-back test labels, for local scoring). Videos imitate the chosen labs
    (round-robin), drawing frame rate, mice, body parts, pixels per cm, arena,
    frame size and behaviour rates and durations from the packaged catalog.

    Parameters
    ----------
    out
        New directory (or an existing empty one). Nothing already there is
        ever overwritten; the dataset is built in a temporary sibling
        directory and renamed into place at the end.
    n_videos
        Videos in total (train + test).
    seed
        Non-negative seed; the same arguments give byte-identical files.
    labs
        Lab ids to imitate; ``None`` for all 19.
    minutes
        Length of every video; ``None`` draws each from its lab's durations
        (some real labs have hour-long videos).
    test_fraction
        Share of the videos put in the test split (at least one test and one
        train video when ``n_videos >= 2`` and the share is positive).
    progress
        Show a progress bar over videos (on stderr).

    Returns
    -------
    SynthSummary
        Videos, frames and labelled bouts per split.

    Raises
    ------
    MabeError
        If ``out`` exists and is not empty, a lab name is unknown (the
        message lists the valid ones) or an argument is out of range.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "data"
    >>> s = synthesize(root, n_videos=2, seed=0, labs=["CalMS21_task1"], minutes=0.2,
    ...                progress=False)
    >>> s.videos
    {'train': 1, 'test': 1}
    """
    out = Path(out)
    _check_args(n_videos, seed, minutes, test_fraction)
    specs = select_labs(labs)
    check_out_dir(out)
    plan = plan_videos(specs, int(n_videos), int(seed), float(test_fraction))
    indices = range(len(plan))
    results: list[VideoResult] = []
    with staging_dir(out) as tmp:
        for i in track(indices, "synthesizing videos") if progress else indices:
            lab, split, video_id = plan[i]
            results.append(make_video(tmp, lab, i, split, video_id, minutes, int(seed)))
        for split in schema.SPLITS:
            rows = [r.metadata for r in results if r.split == split]
            write_metadata(schema.metadata_path(tmp, split), rows)
    return _summary(out, results)
