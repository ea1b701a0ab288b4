"""ICC, Pearson r and the agreement table against hand-worked values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mabe.metrics.agreement import agreement, agreement_summary, icc, paired_stats, pearson_r

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges, and their Table 4 values.
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]


def test_icc_reproduces_shrout_and_fleiss_table_4() -> None:
    got = icc(SHROUT_FLEISS)
    assert round(got["icc_1_1"], 2) == 0.17
    assert round(got["icc_2_1"], 2) == 0.29
    assert round(got["icc_3_1"], 2) == 0.71


def test_icc_mean_squares_by_hand() -> None:
    # 3 targets, 2 raters: rows (1,2), (3,5), (6,6) -> worked through the ANOVA on paper
    x = np.array([[1.0, 2.0], [3.0, 5.0], [6.0, 6.0]])
    grand = x.mean()  # 23/6
    msr = 2 * sum((r.mean() - grand) ** 2 for r in x) / 2
    msc = 3 * sum((c.mean() - grand) ** 2 for c in x.T) / 1
    sse = ((x - grand) ** 2).sum() - 2 * msr - msc
    mse = sse / 2
    got = icc(x)
    assert got["icc_2_1"] == pytest.approx((msr - mse) / (msr + mse + 2 * (msc - mse) / 3))
    assert got["icc_3_1"] == pytest.approx((msr - mse) / (msr + mse))


def test_perfect_agreement_is_one_and_an_offset_costs_only_absolute_agreement() -> None:
    truth = np.array([0.0, 2.0, 5.0, 9.0, 4.0])
    same = agreement(truth, truth)
    assert (same["pearson_r"], same["icc_2_1"], same["icc_3_1"], same["mad"], same["mean_diff"]) == (1.0, 1.0, 1.0, 0.0, 0.0)
    shifted = agreement(truth + 2.0, truth)
    assert shifted["pearson_r"] == pytest.approx(1.0)
    assert shifted["icc_3_1"] == pytest.approx(1.0)
    assert shifted["mad"] == pytest.approx(2.0) and shifted["mean_diff"] == pytest.approx(2.0)
    # ICC(2,1) with no residual: MSR / (MSR + k MSC / n), MSR = k var(row means), MSC = n (offset/2)^2 * k / (k-1)
    n, k = len(truth), 2
    row_means = truth + 1.0
    msr = k * ((row_means - row_means.mean()) ** 2).sum() / (n - 1)
    msc = n * 2 * 1.0**2 / (k - 1)
    assert shifted["icc_2_1"] == pytest.approx(msr / (msr + k * msc / n))
    assert shifted["icc_2_1"] < 1.0


def test_undefined_values_are_nan() -> None:
    assert np.isnan(pearson_r([1.0], [2.0]))
    assert np.isnan(icc([[1.0, 1.0], [1.0, 1.0]])["icc_2_1"])
    assert np.isnan(agreement([3.0], [3.0])["icc_2_1"])
    with pytest.raises(ValueError):
        icc([1.0, 2.0])


def test_paired_stats_keeps_rows_counted_on_both_sides_only() -> None:
    def table(counted, durations, bouts):
        return pd.DataFrame({"lab_id": "L", "unit": [1, 2, 3], "agent": "mouse1", "target": "mouse2",
                             "action": "sniff", "counted": counted, "total_duration_s": durations, "bouts": bouts})

    p = table([True, True, False], [1.0, 2.0, np.nan], [1, 2, pd.NA])
    t = table([True, False, True], [1.5, np.nan, 3.0], [2, pd.NA, 1])
    paired = paired_stats(p, t)
    assert paired["unit"].tolist() == [1]
    assert paired[["total_duration_s_predicted", "total_duration_s_labelled", "bouts_predicted", "bouts_labelled"]].values.tolist() == [[1.0, 1.5, 1.0, 2.0]]
    summary = agreement_summary(paired)
    assert summary[["action", "measure", "n"]].values.tolist() == [["sniff", "total_duration_s", 1], ["sniff", "bouts", 1]]
