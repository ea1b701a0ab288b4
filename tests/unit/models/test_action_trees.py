from __future__ import annotations

import numpy as np
import pytest

from mabe.models.trees import (
    ActionTrees,
    fit_action_trees,
    lgbm_params,
    subsample_negatives,
)

PARAMS = lgbm_params(num_leaves=15, learning_rate=0.1, min_data_in_leaf=5, num_threads=1, seed=0)


def _fit(x, y, use, rates=None, labs=("lab",), codes=None, **kwargs) -> ActionTrees:
    actions = [f"act{a}" for a in range(y.shape[1])]
    names = [f"f{j}" for j in range(x.shape[1])]
    codes = np.zeros(len(x)) if codes is None else codes
    rates = rates or {}
    kwargs.setdefault("n_estimators", 60)
    return fit_action_trees(x, y, use, codes, actions, names, list(labs), rates, PARAMS, **kwargs)


def _f1(y: np.ndarray, p: np.ndarray) -> float:
    pred = p >= 0.5
    tp = float((pred & (y > 0)).sum())
    return 2 * tp / max(float(pred.sum() + (y > 0).sum()), 1.0)


def test_subsample_negatives_keeps_positives_and_respects_the_mask() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random((20000, 2)) < 0.1).astype(np.uint8)
    use = rng.random((20000, 2)) < 0.7
    kept = subsample_negatives(y, use, 0.25, rng)
    assert not (kept & ~use).any()
    assert (kept[(y > 0) & use]).all()
    share = kept[(y == 0) & use].mean()
    assert share == pytest.approx(0.25, abs=0.02)
    with pytest.raises(ValueError, match="rate"):
        subsample_negatives(y, use, 0.0, rng)


def test_overfits_a_tiny_dataset() -> None:
    """A nonlinear rule on 400 rows: the train F1 is far above predicting the prior."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 4)).astype(np.float32)
    y = ((x[:, 0] * x[:, 1] > 0.3) | (x[:, 2] > 1.5)).astype(np.uint8)[:, None]
    model = _fit(x, y, np.ones_like(y, dtype=bool), n_estimators=200)
    p = model.predict_proba(x, "lab")[:, 0]
    prior_f1 = _f1(y[:, 0], np.ones(len(y)))  # predicting every row positive
    assert _f1(y[:, 0], p) > 0.95 > prior_f1 + 0.4
    assert model.info["act0"]["positives"] == int(y.sum())


def test_masked_rows_never_contribute() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(600, 3)).astype(np.float32)
    y = np.stack([(x[:, 0] > 0), (x[:, 1] > 0)], axis=1).astype(np.uint8)
    use = np.ones_like(y, dtype=bool)
    use[300:, 0] = False  # action 0 unknown on half the rows
    use[:, 1] = False  # action 1 never supervised
    noisy = y.copy()
    noisy[300:, 0] = 1 - noisy[300:, 0]  # garbage where unsupervised
    a = _fit(x, noisy, use)
    b = _fit(x[:300], y[:300], use[:300])
    np.testing.assert_array_equal(a.predict_proba(x, "lab"), b.predict_proba(x, "lab"))
    assert a.boosters["act1"] is None and a.constants["act1"] == 0.0
    assert (a.predict_proba(x, "lab")[:, 1] == 0.0).all()
    assert a.info["act0"]["rows"] == 300


def test_negative_subsampling_is_corrected_to_calibrated_probabilities() -> None:
    rng = np.random.default_rng(3)
    n = 40000
    x = rng.uniform(-3, 3, size=(n, 1)).astype(np.float32)
    true_p = 1 / (1 + np.exp(-(1.5 * x[:, 0] - 3.0)))  # about 19 % positives
    y = (rng.random(n) < true_p).astype(np.uint8)[:, None]
    rate = 0.1
    use = subsample_negatives(y, np.ones_like(y, dtype=bool), rate, rng)
    model = _fit(x, y, use, rates={"act0": rate}, n_estimators=80)
    p = model.predict_proba(x, "lab")[:, 0]
    # calibrated in bins of x (against the observed rate of the bin), and on average
    for lo in (-3, -1, 0, 1, 2):
        sel = (x[:, 0] >= lo) & (x[:, 0] < lo + 1)
        assert p[sel].mean() == pytest.approx(y[sel].mean(), abs=0.035)
    assert p.mean() == pytest.approx(y.mean(), rel=0.1)
    # without the correction the probabilities would be far too high
    uncorrected = ActionTrees.from_string(model.to_string())
    uncorrected.negative_rates["act0"] = 1.0
    assert uncorrected.predict_proba(x, "lab")[:, 0].mean() > 2 * y.mean()


def test_round_trip_lab_codes_and_checks() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 2)).astype(np.float32)
    codes = np.repeat([0.0, 1.0], 150)
    y = (codes == 1).astype(np.uint8)[:, None]  # only the lab separates the classes
    model = _fit(x, y, np.ones_like(y, dtype=bool), labs=("a", "b"), codes=codes)
    back = ActionTrees.from_string(model.to_string())
    np.testing.assert_array_equal(back.predict_proba(x, "b"), model.predict_proba(x, "b"))
    assert model.predict_proba(x, "b").mean() > 0.9
    assert model.predict_proba(x, "a").mean() < 0.1
    unseen = model.predict_proba(x, "never-seen")
    assert unseen.shape == (300, 1) and np.isfinite(unseen).all()
    gains = model.feature_importance()["act0"]
    assert set(gains) == {"f0", "f1", "lab"} and gains["lab"] == max(gains.values())
    with pytest.raises(ValueError, match="shape"):
        model.predict_proba(x[:, :1], "a")
    with pytest.raises(ValueError, match="not a tree model"):
        ActionTrees.from_string('{"format": "other"}')


def test_early_stopping_uses_the_validation_rows() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(500, 5)).astype(np.float32)
    y = (rng.random((500, 1)) < 0.3).astype(np.uint8)  # pure noise: validation loss rises at once
    use = np.ones_like(y, dtype=bool)
    valid = (x[:250], y[:250], use[:250], np.zeros(250))
    model = _fit(x[250:], y[250:], use[250:], valid=valid, n_estimators=300, early_stopping_rounds=10)
    info = model.info["act0"]
    assert info["valid_rows"] == 250 and info["best_iteration"] < 100
    assert model.boosters["act0"].current_iteration() == info["best_iteration"]
