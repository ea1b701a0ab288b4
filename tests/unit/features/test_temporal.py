from __future__ import annotations

import numpy as np
import pytest

from mabe.decode.intervals import moving_average
from mabe.features.context import rolling_min_max
from mabe.features.temporal import (
    angular_velocity,
    centred_window_bounds,
    rolling_mean_std,
    time_derivative,
    window_frames,
)


@pytest.mark.parametrize("window", [1, 3, 8, 31])
def test_rolling_mean_std_matches_loop(rng: np.random.Generator, window: int) -> None:
    x = rng.normal(loc=50.0, size=(40, 3))
    x[rng.random(x.shape) < 0.3] = np.nan
    x[5:20, 1] = np.nan
    mean, std = rolling_mean_std(x, window)
    before, after = (window - 1) // 2, window // 2  # an even window's extra frame on the right
    for t in range(40):
        chunk = x[max(0, t - before) : t + after + 1]
        for c in range(3):
            v = chunk[:, c][np.isfinite(chunk[:, c])]
            if v.size:
                assert mean[t, c] == pytest.approx(v.mean(), abs=1e-9)
                assert std[t, c] == pytest.approx(v.std(), abs=1e-6)
            else:
                assert np.isnan(mean[t, c]) and np.isnan(std[t, c])


def test_window_frames_and_derivative() -> None:
    assert window_frames(2.0, 10.0) == 21 and window_frames(0.01, 30.0) == 1
    x = np.arange(10.0) ** 2
    np.testing.assert_allclose(time_derivative(x, 1.0)[1:-1], 2 * np.arange(10.0)[1:-1])
    assert time_derivative(np.ones(1), 30.0).tolist() == [0.0]
    with pytest.raises(ValueError, match="window"):
        rolling_mean_std(x, 0)


def test_angular_velocity_wraps_around_pi() -> None:
    angle = np.pi - 0.05 + np.arange(5) * 0.05  # crosses +pi / -pi
    vec = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    np.testing.assert_allclose(angular_velocity(vec, 20.0), 1.0, rtol=1e-9)


@pytest.mark.parametrize("window", [1, 2, 3, 4, 7, 10, 41])
def test_features_and_decoding_share_one_centred_window(rng: np.random.Generator, window: int) -> None:
    """The features' rolling mean and the decoder's smoothing agree on odd and even windows."""
    x = rng.random((23, 3))
    mean, _ = rolling_mean_std(x, window)
    np.testing.assert_allclose(moving_average(x, window), mean, rtol=1e-12, atol=1e-12)
    lo, hi = rolling_min_max(x, window)
    start, stop = centred_window_bounds(23, window)
    assert (stop - start).max() == min(window, 23)
    np.testing.assert_array_equal(lo, np.stack([x[a:b].min(axis=0) for a, b in zip(start, stop, strict=True)]))
    np.testing.assert_array_equal(hi, np.stack([x[a:b].max(axis=0) for a, b in zip(start, stop, strict=True)]))


def test_even_window_takes_its_extra_frame_on_the_right() -> None:
    x = np.zeros(7)
    x[3] = 4.0
    assert moving_average(x, 4).tolist() == rolling_mean_std(x, 4)[0].tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="window"):
        centred_window_bounds(5, 0)
