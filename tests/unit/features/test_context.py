from __future__ import annotations

import numpy as np
import pytest

from mabe.features.context import (
    CONTEXT_STATS,
    context_names,
    lag_differences,
    multiscale_context,
    rolling_min_max,
    rolling_stats,
)
from mabe.features.pairwise import PAIR_FEATURE_NAMES
from mabe.features.temporal import rolling_mean_std, window_frames
from mabe.features.tree_features import (
    TREE_CONTEXT_SIGNALS,
    build_tree_features,
    tree_feature_names,
    tree_rows,
)


def _slow_stats(x: np.ndarray, window: int) -> dict[str, np.ndarray]:
    """Frame-by-frame reference of every statistic (the definition, written as loops)."""
    n, c = x.shape
    half = window // 2
    out = {s: np.full((n, c), np.nan) for s in CONTEXT_STATS}
    for t in range(n):
        chunk = x[max(0, t - half) : t + half + 1]
        for j in range(c):
            v = chunk[:, j][np.isfinite(chunk[:, j])]
            if v.size:
                out["mean"][t, j], out["std"][t, j] = v.mean(), v.std()
                out["min"][t, j], out["max"][t, j] = v.min(), v.max()
            out["dback"][t, j] = x[t, j] - x[max(t - half, 0), j]
            out["dfwd"][t, j] = x[min(t + half, n - 1), j] - x[t, j]
    return out


@pytest.mark.parametrize("fps", [10.0, 30.0, 120.0])
def test_multiscale_context_matches_slow_reference(rng: np.random.Generator, fps: float) -> None:
    n = int(4 * fps)
    x = rng.normal(loc=20.0, size=(n, 3))
    x[rng.random(x.shape) < 0.2] = np.nan
    x[: int(fps), 2] = np.nan  # a long gap: windows with no finite value
    windows = [0.25, 1.0, 3.0]
    got = multiscale_context(x, fps, windows, CONTEXT_STATS)
    assert got.shape == (n, len(windows) * 3 * len(CONTEXT_STATS)) and got.dtype == np.float32
    got = got.reshape(n, len(windows), 3, len(CONTEXT_STATS))
    for w, seconds in enumerate(windows):
        ref = _slow_stats(x, window_frames(seconds, fps))
        for s, stat in enumerate(CONTEXT_STATS):
            np.testing.assert_allclose(got[:, w, :, s], ref[stat], rtol=1e-5, atol=1e-4, err_msg=f"{stat} {seconds}")


def test_windows_mean_the_same_at_every_fps() -> None:
    """The same motion sampled at 10 and 120 fps gives the same context at the same instant."""
    values = {}
    for fps in (10.0, 120.0):
        t = np.arange(0, 6.0, 1 / fps)
        signal = np.sin(2 * np.pi * 0.3 * t)[:, None]
        ctx = multiscale_context(signal, fps, [1.0, 2.0], ["mean", "min", "max", "dfwd"])
        values[fps] = ctx[round(3.0 * fps)]
    np.testing.assert_allclose(values[10.0], values[120.0], atol=0.03)


def test_rolling_stats_reuses_the_one_window_definition(rng: np.random.Generator) -> None:
    x = rng.normal(size=(30, 2))
    stats = rolling_stats(x, 7, ["std", "mean"])
    mean, std = rolling_mean_std(x, 7)
    np.testing.assert_array_equal(stats[..., 0], std)
    np.testing.assert_array_equal(stats[..., 1], mean)
    # an even window covers exactly its frames, the extra one on the right, as in rolling_mean_std
    np.testing.assert_array_equal(rolling_min_max(x, 6)[0][3], x[1:7].min(axis=0))
    assert not np.array_equal(rolling_min_max(x, 6)[0], rolling_min_max(x, 7)[0])


def test_edges_and_degenerate_inputs() -> None:
    lo, hi = rolling_min_max(np.array([np.nan, np.nan, 2.0]), 3)
    assert np.isnan(lo[0]) and lo[1:].tolist() == [2.0, 2.0] and hi[1:].tolist() == [2.0, 2.0]
    back, fwd = lag_differences(np.array([5.0]), 3)
    assert back.tolist() == [0.0] and fwd.tolist() == [0.0]
    assert multiscale_context(np.zeros((0, 2)), 30.0, [1.0]).shape == (0, 2 * len(CONTEXT_STATS))
    assert multiscale_context(np.zeros((4, 2)), 30.0, []).shape == (4, 0)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="shape"):
        multiscale_context(np.zeros(5), 30.0, [1.0])
    with pytest.raises(ValueError, match="positive"):
        multiscale_context(np.zeros((5, 1)), 30.0, [0.0])
    with pytest.raises(ValueError, match="fps"):
        multiscale_context(np.zeros((5, 1)), 0.0, [1.0])
    with pytest.raises(ValueError, match="unknown"):
        rolling_stats(np.zeros((5, 1)), 3, ["median"])
    with pytest.raises(ValueError, match="window"):
        rolling_min_max(np.zeros(5), 0)
    with pytest.raises(ValueError, match="lag"):
        lag_differences(np.zeros(5), -1)


def test_context_names_order_matches_columns() -> None:
    names = context_names(["a", "b"], [0.5, 1.0], ["mean", "max"])
    x = np.stack([np.arange(6.0), 10 + np.arange(6.0)], axis=1)
    ctx = multiscale_context(x, 4.0, [0.5, 1.0], ["mean", "max"])
    assert len(names) == ctx.shape[1]
    # 'b_max_1s' is the max of b over 5 frames (1 s at 4 fps)
    assert names.index("b_max_1s") == 7 and ctx[0, 7] == 12.0


def test_tree_features_width_does_not_depend_on_body_parts(walking_pose, make_meta) -> None:
    few = ("nose", "body_center", "tail_base")
    many = ("nose", "ear_left", "ear_right", "neck", "hip_left", "hip_right", "tail_base")
    widths = []
    for parts, fps in ((few, 30.0), (many, 120.0), (("kp0", "kp1", "kp2", "kp3"), 10.0)):
        pose = walking_pose(n_frames=90, body_parts=parts)
        feats = build_tree_features(pose, make_meta(parts, fps=fps), [(1, 2), (2, 2)], [0.5, 2.0])
        assert feats.shape[:2] == (2, 90) and np.isfinite(feats).all()
        widths.append(feats.shape[2])
        assert feats[0, 0, -2:].tolist() == [fps, 2.0]
    names = tree_feature_names([0.5, 2.0])
    assert widths == [len(names)] * 3
    assert len(names) == len(PAIR_FEATURE_NAMES) + 2 * len(TREE_CONTEXT_SIGNALS) * len(CONTEXT_STATS) + 2


def test_tree_rows_context_columns_summarise_their_signal() -> None:
    block = np.zeros((20, len(PAIR_FEATURE_NAMES)), dtype=np.float32)
    block[:, PAIR_FEATURE_NAMES.index("dist_centroid")] = np.arange(20.0)
    rows = tree_rows(block, 10.0, 3, [1.0], ["max"])
    names = tree_feature_names([1.0], ["max"])
    assert rows[5, names.index("ctx_dist_centroid_max_1s")] == 10.0
    assert rows[5, names.index("dist_centroid")] == 5.0 and rows[5, names.index("n_mice")] == 3.0
    with pytest.raises(ValueError, match="pair_block"):
        tree_rows(np.zeros((5, 3)), 10.0, 2)
    with pytest.raises(ValueError, match="not pair features"):
        tree_rows(block, 10.0, 3, [1.0], ["max"], signals=["a_speed", "tail_wag"])
    few = tree_rows(block, 10.0, 3, [1.0], ["max"], signals=["dist_centroid"])
    assert few.shape == (20, len(PAIR_FEATURE_NAMES) + 1 + 2) and few[5, len(PAIR_FEATURE_NAMES)] == 10.0


def test_tree_rows_of_a_batch_equal_rows_of_each_pair(rng: np.random.Generator) -> None:
    block = rng.normal(size=(3, 40, len(PAIR_FEATURE_NAMES))).astype(np.float32)
    batch = tree_rows(block, 25.0, 3, [0.2, 1.0])
    assert batch.shape == (3, 40, len(tree_feature_names([0.2, 1.0])))
    for p in range(3):
        np.testing.assert_array_equal(batch[p], tree_rows(block[p], 25.0, 3, [0.2, 1.0]))


def test_iter_tree_features_does_not_depend_on_the_batch_size(walking_pose, make_meta, monkeypatch) -> None:
    from mabe.features import tree_features

    parts = ("nose", "body_center", "tail_base")
    pose, meta = walking_pose(n_frames=50, n_mice=3, body_parts=parts), make_meta(parts, n_mice=3)
    pairs = [(a, t) for a in (1, 2, 3) for t in (1, 2, 3)]
    whole = build_tree_features(pose, meta, pairs, [0.5])
    monkeypatch.setattr(tree_features, "BATCH_ROWS", 120)  # two pairs per batch
    np.testing.assert_array_equal(np.stack(list(tree_features.iter_tree_features(pose, meta, pairs, [0.5]))), whole)
