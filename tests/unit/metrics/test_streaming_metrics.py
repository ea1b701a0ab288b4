"""The on-device accumulator (torchmetrics counts) gives exactly the numbers of the array functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mabe.metrics.frame import frame_metrics, metrics_from_counts, multilabel_frame_metrics
from mabe.metrics.streaming import (
    BinnedAveragePrecision,
    FrameMetricAccumulator,
    float32_threshold,
    macro_average_precision,
)


def _same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for key in a:
        if isinstance(a[key], dict):
            assert list(a[key]) == list(b[key])
            np.testing.assert_array_equal(np.array(list(a[key].values())), np.array(list(b[key].values())), err_msg=key)
        elif isinstance(a[key], float) and math.isnan(a[key]):
            assert math.isnan(b[key]), key
        else:
            assert a[key] == b[key], key


@pytest.mark.parametrize("seed", range(5))
def test_single_label_matches_frame_metrics_on_random_batches(seed: int) -> None:
    rng = np.random.default_rng(seed)
    names = ["other", "sniff", "attack", "mount", "never"]
    y = rng.choice(4, size=3000, p=[0.7, 0.2, 0.08, 0.02])  # class 4 never true ...
    pred = rng.choice(4, size=3000)  # ... nor predicted: NaN, left out of the macro
    y[rng.random(3000) < 0.1] = -100
    acc = FrameMetricAccumulator(names, multilabel=False)
    for chunk in np.array_split(np.arange(3000), 7):
        acc.update_classes(torch.from_numpy(y[chunk]), torch.from_numpy(pred[chunk]))
    acc.update_classes(torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long))
    got, want = acc.compute(), frame_metrics(y, pred, 5, names)
    _same(got, want)
    assert math.isnan(got["f1"]["never"]) and not math.isnan(got["macro_f1"])


@pytest.mark.parametrize("seed", range(5))
def test_multilabel_matches_multilabel_frame_metrics_on_random_batches(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, c = 2500, 4
    y = (rng.random((n, c)) < [0.3, 0.1, 0.02, 0.0]).astype(np.uint8)
    prob = rng.random((n, c)).astype(np.float32)
    prob[:, 3] *= 0.2  # never reaches the threshold, never true: NaN
    prob[:10, :3] = np.float32(0.3)  # exactly at a threshold that float32 cannot hold
    mask = rng.random((n, c)) < 0.8
    acc = FrameMetricAccumulator(list("abcd"), multilabel=True, threshold=0.3)
    for chunk in np.array_split(np.arange(n), 6):
        acc.update_multilabel(torch.from_numpy(y[chunk]), torch.from_numpy(prob[chunk]), torch.from_numpy(mask[chunk]))
    got, want = acc.compute(), multilabel_frame_metrics(y, prob, mask, 0.3, list("abcd"))
    _same(got, want)
    assert math.isnan(got["f1"]["d"]) and got["n"] == int(mask.sum())


def test_reset_and_nothing_counted() -> None:
    acc = FrameMetricAccumulator(["a", "b"], multilabel=True)
    acc.update_multilabel(torch.ones(3, 2), torch.ones(3, 2), torch.ones(3, 2, dtype=torch.bool))
    assert acc.compute()["n"] == 6
    acc.reset()
    empty = acc.compute()
    assert empty["n"] == 0 and math.isnan(empty["accuracy"]) and math.isnan(empty["macro_f1"])


def test_single_class_multilabel_keeps_its_counts() -> None:
    acc = FrameMetricAccumulator(["a"], multilabel=True)
    acc.update_multilabel(torch.tensor([[1], [0]]), torch.tensor([[0.9], [0.9]]), torch.ones(2, 1, dtype=torch.bool))
    assert acc.compute()["precision"] == {"a": 0.5}


def test_wrong_use_is_refused() -> None:
    with pytest.raises(ValueError, match="multi-label"):
        FrameMetricAccumulator(["a"], multilabel=True).update_classes(torch.zeros(2), torch.zeros(2))
    with pytest.raises(ValueError, match="shape"):
        FrameMetricAccumulator(["a", "b"], multilabel=True).update_multilabel(
            torch.zeros(2, 2), torch.zeros(2, 3), torch.ones(2, 2, dtype=torch.bool)
        )


def test_float32_threshold_compares_like_float64() -> None:
    t = 0.3
    t32 = float32_threshold(t)
    below = np.nextafter(np.float32(t32), np.float32(0))
    assert np.float32(t32) >= t > below
    assert float32_threshold(0.5) == 0.5


def test_counts_are_the_one_definition() -> None:
    m = metrics_from_counts(np.array([1, 0, 2]), np.array([1, 0, 0]), np.array([0, 0, 2]), None, ["x", "y", "z"])
    assert m["n"] == 5 and m["accuracy"] == pytest.approx(3 / 5)
    assert m["f1"]["x"] == pytest.approx(2 / 3) and math.isnan(m["f1"]["y"]) and m["recall"]["z"] == 0.5
    with pytest.raises(ValueError, match="classes"):
        metrics_from_counts(np.array([1]), np.array([1, 2]), np.array([1]))


def _ap_by_sorting(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision from the definition: mean over positives of the precision at their score (ties: one threshold)."""
    precisions = [((score >= s) & (y == 1)).sum() / (score >= s).sum() for s in score[y == 1]]
    return float(np.mean(precisions)) if precisions else float("nan")


@pytest.mark.parametrize("seed", range(3))
def test_binned_average_precision_is_the_definition_on_bin_scores_and_batch_order_free(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, c = 1500, 4
    y = (rng.random((n, c)) < [0.3, 0.05, 0.01, 0.0]).astype(np.int64)
    score = (rng.integers(0, 100, (n, c)) + 0.5) / 100  # one score per bin: binning changes nothing
    bins0 = np.where(y[:, 0] == 1, rng.integers(20, 50, n), rng.integers(0, 30, n))  # informative, all < 0.5
    score[:, 0] = (bins0 + 0.5) / 100
    mask = rng.random((n, c)) < 0.8
    ap = BinnedAveragePrecision(c)
    for chunk in np.array_split(rng.permutation(n), 5):
        ap.update(torch.from_numpy(score[chunk]).float(), torch.from_numpy(y[chunk]), torch.from_numpy(mask[chunk]))
    got = ap.compute().numpy()
    want = [_ap_by_sorting(y[mask[:, k], k], score[mask[:, k], k]) for k in range(c)]
    np.testing.assert_allclose(got[:3], want[:3], rtol=1e-12)
    assert math.isnan(got[3]) and math.isnan(want[3])  # no positive: undefined, not 0
    assert macro_average_precision(got) == pytest.approx(np.mean(want[:3]))


def test_binned_average_precision_ranks_below_one_half_and_skips_masked_entries() -> None:
    ap = BinnedAveragePrecision(2)
    scores = torch.tensor([[0.40, 0.9], [0.30, 0.9], [0.20, 0.1], [0.10, 0.1]])
    target = torch.tensor([[1, 0], [1, 1], [0, 0], [0, 1]])
    ap.update(scores, target)
    assert ap.compute()[0].item() == 1.0  # every probability < 0.5, perfectly ranked
    assert ap.compute()[1].item() == pytest.approx((0.5 + 0.5) / 2)
    ap.reset()
    ap.update(scores, target, torch.tensor([[True, False], [True, True], [True, True], [True, False]]))
    assert ap.compute().tolist() == [1.0, 1.0]  # the masked ranking errors are gone
    ap.reset()
    with pytest.warns(UserWarning, match="before the ``update``"):
        assert math.isnan(macro_average_precision(ap.compute()))
    with pytest.raises(ValueError, match="shape"):
        ap.update(scores, target[:, :1])
