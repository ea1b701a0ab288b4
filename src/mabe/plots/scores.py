"""Per-(lab, action) F-score, precision and recall of decoded intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from mabe.plots.common import action_color, empty_note, new_figure


def score_table(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``precision`` and ``recall`` to a :func:`mabe.metrics.score_report` table.

    Parameters
    ----------
    table
        Columns ``lab_id, action, f, tp, fp, fn`` (frame counts).

    Returns
    -------
    pandas.DataFrame
        ``lab_id, action, f, precision, recall, tp, fp, fn``; precision or
        recall is NaN where its denominator is 0.

    Examples
    --------
    >>> t = pd.DataFrame({"lab_id": ["A"], "action": ["sniff"], "f": [0.5],
    ...                   "tp": [5], "fp": [5], "fn": [5]})
    >>> score_table(t)[["precision", "recall"]].values.tolist()
    [[0.5, 0.5]]
    """
    out = table[["lab_id", "action", "f", "tp", "fp", "fn"]].copy()
    tp, fp, fn = (out[c].to_numpy(dtype=float) for c in ("tp", "fp", "fn"))
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
    out.insert(3, "precision", precision)
    out.insert(4, "recall", recall)
    return out.reset_index(drop=True)


def score_bars(table: pd.DataFrame, title: str = "Interval scores per lab and action") -> Figure:
    """Horizontal bars of F, precision and recall for every (lab, action), one panel per lab.

    Parameters
    ----------
    table
        A :func:`score_table` (or a :func:`mabe.metrics.score_report` table,
        which is completed first).
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Per action three bars in the action's colour: F solid (its value
        written next to it), precision hatched, recall dotted and paler.

    Examples
    --------
    >>> t = pd.DataFrame({"lab_id": ["A", "A"], "action": ["sniff", "attack"], "f": [0.5, 0.0],
    ...                   "tp": [5, 0], "fp": [5, 3], "fn": [5, 2]})
    >>> fig = score_bars(t)
    >>> fig.axes[0].get_title(loc="left")
    'A (mean F 0.250)'
    """
    if "precision" not in table.columns:
        table = score_table(table)
    labs = list(dict.fromkeys(table["lab_id"].astype(str))) if len(table) else []
    heights = [max(1.2, 0.55 * (table["lab_id"].astype(str) == lab).sum() + 0.9) for lab in labs] or [2.0]
    fig = new_figure(9.0, sum(heights) + 0.8)
    fig.suptitle(title, fontsize=13)
    axes = fig.subplots(len(heights), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    if not labs:
        empty_note(axes[0], "nothing scored")
        return fig
    bar = 0.26
    for ax, lab in zip(axes, labs, strict=True):
        rows = table[table["lab_id"].astype(str) == lab].sort_values("action", ascending=False)
        y = np.arange(len(rows))
        for k, (name, alpha, hatch) in enumerate((("f", 1.0, None), ("precision", 0.55, "///"), ("recall", 0.35, ".."))):
            values = np.nan_to_num(rows[name].to_numpy(dtype=float))
            colors = [action_color(a) for a in rows["action"]]
            ax.barh(y + (1 - k) * bar, values, height=bar, color=colors, alpha=alpha, hatch=hatch,
                    edgecolor="#333333" if hatch else "none", linewidth=0.3)
        for yi, f in zip(y, rows["f"].to_numpy(dtype=float), strict=True):
            ax.text(min(f, 1.0) + 0.01, yi + bar, f"{f:.2f}", va="center", fontsize=8)
        ax.set_yticks(y, rows["action"].tolist())
        ax.set_xlim(0, 1.08)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_xlabel("score (frames)")
        ax.set_title(f"{lab} (mean F {rows['f'].mean():.3f})", fontsize=11, loc="left")
        ax.grid(axis="x", alpha=0.3)
    handles = [
        Patch(facecolor="#666666", label="F"),
        Patch(facecolor="#666666", alpha=0.55, hatch="///", edgecolor="#333333", label="precision"),
        Patch(facecolor="#666666", alpha=0.35, hatch="..", edgecolor="#333333", label="recall"),
    ]
    axes[0].legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, ncols=3, frameon=False)
    return fig
