"""Agreement between two raters of the same targets: a classifier and a person scoring videos.

The intraclass correlations follow Shrout & Fleiss (1979) from the two-way
ANOVA mean squares of an ``(n targets, k raters)`` table:

- ``MSR`` between targets, ``MSC`` between raters, ``MSE`` the residual;
- ICC(2,1) = (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n): **absolute
  agreement** of single ratings, raters a random sample; a constant offset
  between the raters lowers it. This is the one to quote when asking whether
  a classifier's numbers can replace a human rater's;
- ICC(3,1) = (MSR - MSE) / (MSR + (k-1) MSE): **consistency**, raters fixed;
  blind to a constant offset (like Pearson's r is blind to any linear map);
- ICC(1,1) = (MSR - MSW) / (MSR + (k-1) MSW), one-way, MSW the within-target
  mean square.

Each is NaN when undefined (fewer than two targets, or no variance at all).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


def icc(ratings: ArrayLike) -> dict[str, float]:
    """Return ICC(1,1), ICC(2,1) and ICC(3,1) of an ``(n targets, k raters)`` table.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2 (6 targets, 4 judges): ICC(1,1) = .17,
    ICC(2,1) = .29, ICC(3,1) = .71.

    >>> table = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> {k: round(v, 2) for k, v in icc(table).items()}
    {'icc_1_1': 0.17, 'icc_2_1': 0.29, 'icc_3_1': 0.71}
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"need an (n targets, k >= 2 raters) table, got shape {x.shape}")
    n, k = x.shape
    nan = float("nan")
    if n < 2 or not np.isfinite(x).all():
        return {"icc_1_1": nan, "icc_2_1": nan, "icc_3_1": nan}
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    ss_error = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = max(ss_error, 0.0) / ((n - 1) * (k - 1))
    msw = (ss_cols + max(ss_error, 0.0)) / (n * (k - 1))

    def ratio(num: float, den: float) -> float:
        return float(num / den) if den > 1e-12 * max(1.0, abs(num)) else nan

    return {
        "icc_1_1": ratio(msr - msw, msr + (k - 1) * msw),
        "icc_2_1": ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n),
        "icc_3_1": ratio(msr - mse, msr + (k - 1) * mse),
    }


def pearson_r(x: ArrayLike, y: ArrayLike) -> float:
    """Pearson's correlation; NaN with fewer than two pairs or a constant side.

    Examples
    --------
    >>> pearson_r([1, 2, 3], [2, 4, 7])
    0.9933992677987828
    >>> pearson_r([1, 1, 1], [1, 2, 3])
    nan
    """
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) < 2:
        return float("nan")
    da, db = a - a.mean(), b - b.mean()
    den = np.sqrt((da**2).sum() * (db**2).sum())
    return float((da * db).sum() / den) if den > 0 else float("nan")


def agreement(predicted: ArrayLike, labelled: ArrayLike) -> dict[str, float]:
    """Agreement of paired values: n, means, Pearson r, ICC(2,1), ICC(3,1), mean difference, MAD.

    ``mean_diff`` is predicted minus labelled (the bias); ``mad`` the mean
    absolute difference, in the values' unit.

    Examples
    --------
    >>> a = agreement([1.0, 2.0, 4.0], [1.0, 2.0, 4.0])
    >>> a["pearson_r"], a["icc_2_1"], a["mad"]
    (1.0, 1.0, 0.0)
    """
    p, t = np.asarray(predicted, dtype=float), np.asarray(labelled, dtype=float)
    if p.shape != t.shape or p.ndim != 1:
        raise ValueError(f"need two 1-d arrays of one length, got {p.shape} and {t.shape}")
    keep = np.isfinite(p) & np.isfinite(t)
    p, t = p[keep], t[keep]
    nan = float("nan")
    iccs = icc(np.column_stack([p, t])) if len(p) else {"icc_2_1": nan, "icc_3_1": nan}
    return {
        "n": len(p),
        "predicted_mean": float(p.mean()) if len(p) else nan,
        "labelled_mean": float(t.mean()) if len(t) else nan,
        "pearson_r": pearson_r(p, t),
        "icc_2_1": iccs["icc_2_1"],
        "icc_3_1": iccs["icc_3_1"],
        "mean_diff": float((p - t).mean()) if len(p) else nan,
        "mad": float(np.abs(p - t).mean()) if len(p) else nan,
    }


AGREEMENT_MEASURES: tuple[str, ...] = ("total_duration_s", "bouts")
"""The per-unit statistics compared between predictions and labels."""


def paired_stats(predicted: pd.DataFrame, labelled: pd.DataFrame) -> pd.DataFrame:
    """Join two :func:`mabe.metrics.bouts.video_stats` tables on the rows counted in both.

    Returns ``lab_id, unit, agent, target, action`` and, per measure ``m`` of
    :data:`AGREEMENT_MEASURES`, ``m_predicted`` and ``m_labelled``.
    """
    keys = ["lab_id", "unit", "agent", "target", "action"]
    cols = [*keys, *AGREEMENT_MEASURES]
    p = predicted[predicted["counted"].astype(bool)][cols]
    t = labelled[labelled["counted"].astype(bool)][cols]
    both = p.merge(t, on=keys, suffixes=("_predicted", "_labelled"), how="inner")
    for m in AGREEMENT_MEASURES:
        for side in ("predicted", "labelled"):
            both[f"{m}_{side}"] = pd.to_numeric(both[f"{m}_{side}"]).astype(float)
    return both.sort_values(keys, kind="stable").reset_index(drop=True)


def agreement_summary(paired: pd.DataFrame) -> pd.DataFrame:
    """Return one row per action × measure (and ``all`` actions) of :func:`agreement` on a paired table."""
    rows = []
    actions = sorted(paired["action"].unique())
    for action in [*actions, "all"] if len(actions) > 1 else actions:
        part = paired if action == "all" else paired[paired["action"] == action]
        for m in AGREEMENT_MEASURES:
            rows.append({"action": action, "measure": m,
                         **agreement(part[f"{m}_predicted"], part[f"{m}_labelled"])})
    return pd.DataFrame(rows)
