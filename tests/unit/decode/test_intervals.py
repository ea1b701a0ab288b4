"""Run-length helpers of the decoder against per-frame Python references."""

from __future__ import annotations

import numpy as np
import pytest

from mabe.decode import mask_to_intervals
from mabe.decode.intervals import labels_to_bouts, moving_average


def reference_runs(values):
    """[(value, start, stop)] of consecutive equal values."""
    runs = []
    for i, v in enumerate(values):
        if runs and runs[-1][0] == v:
            runs[-1][2] = i + 1
        else:
            runs.append([v, i, i + 1])
    return runs


def reference_bouts(labels, min_length, max_gap):
    out = []
    for p in range(labels.shape[1]):
        runs = reference_runs(list(labels[:, p]))
        for k in range(1, len(runs) - 1):
            v, s, e = runs[k]
            left, right = runs[k - 1][0], runs[k + 1][0]
            if v == -1 and left >= 0 and left == right and e - s <= max_gap[left]:
                runs[k][0] = left
        merged = reference_runs([v for v, s, e in runs for _ in range(s, e)])
        out += [(p, v, s, e) for v, s, e in merged if v >= 0 and e - s >= min_length[v]]
    return sorted(out)


def test_mask_to_intervals_round_trips_random_masks():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(0, 60))
        mask = rng.random(n) < rng.uniform(0, 1)
        starts, stops = mask_to_intervals(mask)
        rebuilt = np.zeros(n, dtype=bool)
        for s, e in zip(starts, stops, strict=True):
            assert s < e and not rebuilt[s:e].any()
            rebuilt[s:e] = True
        assert (rebuilt == mask).all()
        expected = [(s, e) for v, s, e in reference_runs(list(mask)) if v]
        assert list(zip(starts.tolist(), stops.tolist(), strict=True)) == expected


def test_mask_to_intervals_rejects_2d():
    with pytest.raises(ValueError, match="1-D"):
        mask_to_intervals(np.zeros((2, 2), bool))


def test_labels_to_bouts_matches_reference():
    rng = np.random.default_rng(1)
    for _ in range(300):
        n_frames, n_pairs, n_actions = int(rng.integers(0, 50)), int(rng.integers(1, 4)), 3
        labels = rng.integers(-1, n_actions, size=(n_frames, n_pairs))
        labels[rng.random(labels.shape) < 0.5] = -1
        min_length = rng.integers(1, 4, n_actions)
        max_gap = rng.integers(0, 4, n_actions)
        got = sorted(zip(*(a.tolist() for a in labels_to_bouts(labels, min_length, max_gap)), strict=True))
        assert got == reference_bouts(labels, min_length, max_gap)


def test_gap_with_another_action_is_not_bridged():
    labels = np.array([0, 0, 1, 0, 0])[:, None]
    _, action, start, stop = labels_to_bouts(labels, np.array([1, 1]), np.array([5, 5]))
    assert list(zip(action, start, stop, strict=True)) == [(0, 0, 2), (1, 2, 3), (0, 3, 5)]


def test_moving_average_matches_naive_mean_with_shrinking_edges():
    rng = np.random.default_rng(2)
    x = rng.random((23, 2))
    for window in (1, 2, 5, 10, 40):
        lo, hi = (window - 1) // 2, window // 2
        naive = np.array([x[max(t - lo, 0): t + hi + 1].mean(axis=0) for t in range(23)])
        np.testing.assert_allclose(moving_average(x, window), naive, rtol=1e-12)
