"""Tracking quality on constructed tracks: missing parts counted exactly, an injected swap found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mabe.data.importers.sources import mouse_names
from mabe.data.quality import JUMP_BODY_LENGTHS_PER_S, body_length, find_jumps, jump_speeds, missing_fraction
from mabe.data.summary import missing_text


def walking_mice(n_frames: int = 300, n_mice: int = 3, seed: int = 0) -> np.ndarray:
    """Mice 40 px long (nose, neck, tail base in a line) walking smoothly, far apart."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_frames)[:, None]
    coords = np.zeros((n_frames, n_mice, 3, 2), dtype=np.float32)
    for m in range(n_mice):
        cx = 200 * m + 100 + 30 * np.sin(t[:, 0] / 20 + m)
        cy = 100 + 30 * np.cos(t[:, 0] / 25 + m)
        for k, dx in enumerate((20.0, 0.0, -20.0)):
            coords[:, m, k, 0] = cx + dx
            coords[:, m, k, 1] = cy
    return coords + rng.normal(0, 0.3, coords.shape).astype(np.float32)


def test_missing_parts_are_counted_exactly():
    coords = walking_mice(200)
    coords[10:17, 1, 2] = np.nan          # mouse 2's tail base: 7 frames
    coords[50:150, 0, 0, 1] = np.nan      # a NaN y alone counts as missing too: 100 frames
    coords[199, 2] = np.nan               # mouse 3 gone in the last frame: all its parts
    frac = missing_fraction(coords)
    expected = np.zeros((3, 3))
    expected[1, 2] = 7 / 200
    expected[0, 0] = 100 / 200
    expected[2, :] = 1 / 200
    np.testing.assert_array_equal(frac, expected)


def test_an_injected_swap_is_found_at_its_frame_and_nowhere_else():
    coords = walking_mice(300)
    assert len(find_jumps(coords, fps=30.0).frames) == 0   # smooth walking: nothing
    swapped = coords.copy()
    swapped[137:, [0, 2]] = swapped[137:, [2, 0]]           # mice 1 and 3 trade identities at frame 137
    jumps = find_jumps(swapped, fps=30.0)
    assert jumps.frames.tolist() == [137, 137]
    assert jumps.mice.tolist() == [0, 2]
    assert jumps.swaps().tolist() == [137]
    assert jumps.of_mouse(1).size == 0
    assert (jumps.speeds > JUMP_BODY_LENGTHS_PER_S).all()


def test_one_bad_keypoint_is_not_a_jump_but_a_lost_mouse_reappearing_far_away_is():
    coords = walking_mice(100, n_mice=1)
    glitch = coords.copy()
    glitch[40, 0, 0] += 300               # the nose alone flies off for one frame
    assert find_jumps(glitch, fps=30.0).frames.size == 0
    teleport = coords.copy()
    teleport[60:] += 200                  # the whole mouse lands 5 body lengths away
    assert find_jumps(teleport, fps=30.0).frames.tolist() == [60]


def test_speeds_are_in_body_lengths_per_second_and_nan_where_not_comparable():
    coords = walking_mice(50, n_mice=1)
    lengths = body_length(coords)
    assert lengths[0] == pytest.approx(40.0, abs=1.0)
    coords[20:22] = np.nan
    speeds = jump_speeds(coords, fps=30.0)
    assert np.isnan(speeds[0]).all() and np.isnan(speeds[20:23]).all()
    step = np.linalg.norm(coords[6, 0, 1] - coords[5, 0, 1])
    assert speeds[6, 0] == pytest.approx(step * 30.0 / lengths[0], rel=0.2)


def test_threshold_and_shapes_are_checked():
    with pytest.raises(ValueError, match="threshold"):
        find_jumps(walking_mice(10), fps=30.0, threshold=0)
    with pytest.raises(ValueError, match="shape"):
        missing_fraction(np.zeros((10, 2, 2)))
    with pytest.raises(ValueError, match="fps"):
        jump_speeds(walking_mice(10), fps=0)


def test_mouse_names_come_from_sources_else_mouse_n():
    sources = pd.DataFrame({"video_id": ["4"], "individuals": ['["adult", "juvenile"]'], "first_frame": ["0"],
                            "n_frames": ["10"], "fps": ["30"]})
    assert mouse_names(sources, 4, 3) == ("adult", "juvenile", "mouse3")
    assert mouse_names(sources, 5, 2) == ("mouse1", "mouse2")


def test_missing_text_lists_the_worst_parts_first():
    row = pd.Series({"name": "a", "missing nose": 0.02, "missing tail": 0.5, "missing neck": 0.0})
    assert missing_text(row) == "tail 50.0%, nose 2.0%"
