"""Frame-level metrics checked against counts worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mabe.metrics import frame_metrics, multilabel_frame_metrics


def test_frame_metrics_hand_case():
    # truth  0 0 0 1 1 2 2 2 | ignored
    # pred   0 0 1 1 2 2 2 0 | 1
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2, -100])
    y_pred = np.array([0, 0, 1, 1, 2, 2, 2, 0, 1])
    m = frame_metrics(y_true, y_pred, 3, class_names=["other", "sniff", "attack"])
    assert m["n"] == 8
    assert m["accuracy"] == pytest.approx(5 / 8)
    # other: tp 2 fp 1 fn 1; sniff: tp 1 fp 1 fn 1; attack: tp 2 fp 1 fn 1
    assert m["precision"] == pytest.approx({"other": 2 / 3, "sniff": 1 / 2, "attack": 2 / 3})
    assert m["recall"] == pytest.approx({"other": 2 / 3, "sniff": 1 / 2, "attack": 2 / 3})
    assert m["f1"] == pytest.approx({"other": 2 / 3, "sniff": 1 / 2, "attack": 2 / 3})
    assert m["support"] == {"other": 3, "sniff": 2, "attack": 3}
    assert m["macro_f1"] == pytest.approx((2 / 3 + 1 / 2 + 2 / 3) / 3)


def test_absent_classes_are_nan_and_left_out_of_macro():
    m = frame_metrics(np.array([0, 0, 1]), np.array([0, 1, 1]), 4)
    assert math.isnan(m["f1"]["2"]) and math.isnan(m["f1"]["3"])
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 2)


def test_predicted_but_never_true_class_counts_as_zero():
    m = frame_metrics(np.array([0, 0]), np.array([0, 1]), 2)
    assert m["f1"]["1"] == 0.0 and m["precision"]["1"] == 0.0 and m["recall"]["1"] == 0.0
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.0) / 2)


def test_all_ignored_gives_nan():
    m = frame_metrics(np.array([-100, -100]), np.array([0, 1]), 2)
    assert m["n"] == 0 and math.isnan(m["accuracy"]) and math.isnan(m["macro_f1"])


def test_frame_metrics_rejects_bad_input():
    with pytest.raises(ValueError, match="outside"):
        frame_metrics(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError):
        frame_metrics(np.array([0, 1]), np.array([0]), 2)
    with pytest.raises(ValueError, match="names"):
        frame_metrics(np.array([0]), np.array([0]), 2, class_names=["a"])


def test_multilabel_hand_case_with_mask():
    y_true = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    y_prob = np.array([[0.9, 0.8, 0.1], [0.2, 0.6, 0.0], [0.7, 0.4, 0.2], [0.1, 0.9, 0.3]])
    mask = np.ones_like(y_true, dtype=bool)
    mask[3, 1] = False  # the (wrong) 0.9 there is not labelled: ignored
    m = multilabel_frame_metrics(y_true, y_prob, mask, threshold=0.5, class_names=["a", "b", "c"])
    # a: pred 1 0 1 0 vs 1 1 0 0 -> tp 1 fp 1 fn 1; b: pred 1 1 0 (masked) vs 0 1 1 -> tp 1 fp 1 fn 1
    assert m["f1"]["a"] == pytest.approx(0.5) and m["f1"]["b"] == pytest.approx(0.5)
    assert math.isnan(m["f1"]["c"])
    assert m["macro_f1"] == pytest.approx(0.5)
    assert m["n"] == 11
    assert m["accuracy"] == pytest.approx((11 - 4) / 11)
    assert m["micro_f1"] == pytest.approx(4 / 8)
    assert m["support"] == {"a": 2, "b": 2, "c": 0}


def test_multilabel_threshold_is_inclusive():
    m = multilabel_frame_metrics(np.array([[1]]), np.array([[0.5]]), np.array([[True]]))
    assert m["f1"]["0"] == 1.0


def test_multilabel_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        multilabel_frame_metrics(np.zeros((3, 2)), np.zeros((3, 3)), np.ones((3, 2), bool))
