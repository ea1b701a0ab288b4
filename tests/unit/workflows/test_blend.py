"""Fold averaging, per-action blending by pair/action name, and choosing blend weights."""

from __future__ import annotations

import numpy as np
import pytest

from mabe.decode import VideoProbs
from mabe.workflows.blend import (
    BlendStats,
    average_probs,
    best_f1,
    blend_probs,
    weight_grid,
)


def _vp(probs, pairs=((1, 2),), actions=("sniff",)) -> VideoProbs:
    return VideoProbs(1, "L", np.asarray(probs, np.float32), list(pairs), list(actions), set())


def test_weight_grid_is_convex_and_complete() -> None:
    grid = weight_grid(3, step=0.25)
    assert np.allclose(grid.sum(axis=1), 1) and (grid >= 0).all()
    assert len(grid) == 15  # C(4 + 2, 2)
    assert [1.0, 0.0, 0.0] in grid.tolist() and [0.0, 0.0, 1.0] in grid.tolist()


def test_average_of_folds_and_disagreement() -> None:
    a, b = _vp(np.full((3, 1, 1), 0.2)), _vp(np.full((3, 1, 1), 0.6))
    assert np.allclose(average_probs([a, b]).probs, 0.4)
    with pytest.raises(ValueError, match="disagree"):
        average_probs([a, _vp(np.zeros((3, 1, 2)), actions=("sniff", "attack"))])


def test_blend_matches_pairs_and_actions_by_name() -> None:
    a = _vp(np.stack([np.full((2, 2), 0.2), np.full((2, 2), 0.4)], axis=2), pairs=[(1, 2), (2, 1)], actions=["sniff", "attack"])
    # b lists the pairs the other way round and lacks "attack"
    b = _vp(np.array([[[0.9], [0.1]], [[0.9], [0.1]]]), pairs=[(2, 1), (1, 2)], actions=["sniff"])
    out = blend_probs({"a": a, "b": b}, {"sniff": {"a": 0.5, "b": 0.5}, "attack": {"a": 0.3, "b": 0.7}})
    assert out.pairs == [(1, 2), (2, 1)] and out.actions == ["sniff", "attack"]
    assert np.allclose(out.probs[:, 0, 0], (0.2 + 0.1) / 2)  # (1, 2): a 0.2, b 0.1
    assert np.allclose(out.probs[:, 1, 0], (0.2 + 0.9) / 2)
    assert np.allclose(out.probs[:, :, 1], 0.4)  # only a has attack: its weight renormalised to 1


def test_best_f1_reads_thresholds_off_histograms() -> None:
    hist = np.zeros((1, 2, 100))
    hist[0, 1, 80] = 10  # positives at 0.8
    hist[0, 0, 20] = 10  # negatives at 0.2
    assert best_f1(hist)[0] == pytest.approx(1.0)
    hist[0, 0, 90] = 10  # negatives above every positive
    assert best_f1(hist)[0] == pytest.approx(2 * 10 / (2 * 10 + 10))


def test_blend_weights_favour_the_informative_member_and_exclude_a_fold() -> None:
    rng = np.random.default_rng(0)
    stats = BlendStats(["good", "noise"], n_folds=2)
    for fold in range(2):
        labels = (rng.random((200, 1)) < 0.3).astype(np.float32)
        good = (labels * 0.3 + rng.random((200, 1)) * 0.7)[:, :, None]
        noise = rng.random((200, 1, 1))
        if fold == 1:  # in fold 1 the roles swap
            good, noise = noise, good
        stats.add(fold, {"good": _vp(good), "noise": _vp(noise)}, {"sniff": (np.array([[1, 2]]), labels)})
    assert stats.choose(exclude_fold=1)["sniff"]["good"] > 0.5  # fold 0 alone: "good" is informative
    assert stats.choose(exclude_fold=0)["sniff"]["noise"] > 0.5  # fold 1 alone: the roles are swapped
