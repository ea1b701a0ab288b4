"""Window datasets: short videos padded and masked, whitelist masks, epoch subsets."""

from __future__ import annotations

import numpy as np

from mabe.training.datamodule import IGNORE_INDEX, EpochSubsetSampler, SampleStore, WindowDataset, window_index
from mabe.training.samples import VideoSample


def _store(samples: list[VideoSample]) -> SampleStore:
    """An in-memory store (the on-disk cache is tested in test_sample_store.py)."""

    def load(i: int) -> VideoSample:
        s = samples[i]
        return VideoSample(s.key, s.grid, s.n_frames, s.features.copy(), s.pairs, s.labels, s.intervals, s.mask)

    return SampleStore(load, len(samples))


def test_seed4_short_video_is_padded_and_masked() -> None:
    n = 7
    sample = VideoSample("L/1", np.arange(n), n, np.ones((n, 3), np.float32), labels=np.full(n, 2))
    store = _store([sample])
    index = window_index(store, length=10, stride=5, seed4=True)
    assert index.tolist() == [[0, 0, 0]]
    item = WindowDataset(store, index, 10)[0]
    assert item["x"].shape == (10, 3) and item["x"][n:].sum() == 0
    assert item["mask"].tolist() == [True] * n + [False] * 3
    assert item["y"].tolist() == [2] * n + [IGNORE_INDEX] * 3


def test_actions_window_targets_and_whitelist_mask() -> None:
    n = 12
    feats = np.zeros((2, n, 4), np.float32)
    intervals = [np.array([[1, 3, 20]]), np.zeros((0, 3), np.int64)]
    mask = np.array([[False, True], [False, False]])  # pair 1 has nothing whitelisted
    sample = VideoSample("L/1", np.arange(n), n, feats, [(1, 2), (2, 1)], None, intervals, mask)
    store = _store([sample])
    index = window_index(store, length=8, stride=None, seed4=False)
    assert index.tolist() == [[0, 0, 0], [0, 0, 8]]  # only pair 0, tiled, last window padded
    last = WindowDataset(store, index, 8, n_actions=2)[1]
    assert last["y"][:, 1].tolist() == [1, 1, 1, 1, 0, 0, 0, 0]
    assert last["mask"][:, 0].sum() == 0
    assert last["mask"][:, 1].tolist() == [True] * 4 + [False] * 4


def test_epoch_subset_sampler_is_seeded_per_epoch() -> None:
    sampler = EpochSubsetSampler(100, 10, seed=3)
    first = list(sampler)
    assert len(first) == 10 == len(sampler) and len(set(first)) == 10
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first
    sampler.set_epoch(0)
    assert list(sampler) == first
    assert sorted(EpochSubsetSampler(5, None, 0)) == list(range(5))
