"""Time grids, padding masks for short videos, overlap averaging."""

from __future__ import annotations

import numpy as np
import pytest

from mabe.training.windows import (
    grid_positions,
    overlap_average,
    take_window,
    tile_starts,
    time_grid,
    window_starts,
)


def test_short_video_is_padded_and_masked() -> None:
    feats = np.ones((7, 3), dtype=np.float32)
    starts = window_starts(7, 10, 5)
    assert starts.tolist() == [0]
    x, valid = take_window(feats, 0, 10)
    assert x.shape == (10, 3)
    assert valid.tolist() == [True] * 7 + [False] * 3
    assert x[7:].sum() == 0


def test_windows_cover_every_point() -> None:
    for n in (1, 9, 10, 11, 57):
        for starts in (window_starts(n, 10, 4), tile_starts(n, 10)):
            covered = np.zeros(n, bool)
            for s in starts:
                covered[s : s + 10] = True
            assert covered.all(), n


def test_overlap_average() -> None:
    starts = np.array([0, 2])
    outputs = np.stack([np.full((4, 1), 1.0), np.full((4, 1), 3.0)])
    avg = overlap_average(5, starts, outputs)
    assert avg[:, 0].tolist() == [1, 1, 2, 2, 3]
    with pytest.raises(ValueError):
        overlap_average(9, starts, outputs)


def test_time_grid_resamples_and_maps_back() -> None:
    grid = time_grid(120, 120.0, 30.0)
    assert len(grid) == 30 and grid[1] == 4
    up = time_grid(10, 10.0, 30.0)
    assert len(up) == 28 and up.max() == 9
    back = grid_positions(120, grid)
    assert back.shape == (120,) and back[0] == 0 and back[-1] == 29
    dist = np.abs(grid[back] - np.arange(120))
    assert np.all(dist[:117] <= 2) and np.all(dist < 4)  # the last grid point is frame 116
    assert time_grid(0, 30.0).size == 0 and time_grid(1, 30.0, 10.0).tolist() == [0]
