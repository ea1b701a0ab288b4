"""Figures of behaviour statistics: groups compared, predictions against labels, time budgets."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mabe.plots.common import action_color, empty_note, new_figure

GROUP_MEASURES: tuple[tuple[str, str], ...] = (
    ("bouts", "bouts"),
    ("total_duration_s", "total duration (s)"),
    ("latency_s", "latency to first bout (s)"),
)


def _group_label(key: object) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return " / ".join("(empty)" if p is None or p != p or str(p) == "" else str(p) for p in parts)


def group_points(table: pd.DataFrame, by: list[str], action: str) -> Figure:
    """One action's per-unit values by group: points (jittered) and a bar at each group's median.

    Parameters
    ----------
    table
        :func:`mabe.metrics.bouts.video_stats` rows with the ``by`` columns.
    by
        Grouping columns.
    action
        The action shown.
    """
    rows = table[(table["action"] == action) & table["counted"].astype(bool)]
    fig = new_figure(4.0 * len(GROUP_MEASURES), 3.6)
    axes = fig.subplots(1, len(GROUP_MEASURES))
    groups = list(rows.groupby(by, sort=True, dropna=False)) if len(rows) else []
    rng = np.random.default_rng(0)
    for ax, (column, label) in zip(axes, GROUP_MEASURES, strict=True):
        if not groups:
            empty_note(ax, "no counted rows")
            continue
        for x, (_, part) in enumerate(groups):
            values = pd.to_numeric(part[column], errors="coerce").astype(float).to_numpy()
            values = values[np.isfinite(values)]
            ax.scatter(x + rng.uniform(-0.15, 0.15, len(values)), values, s=18, alpha=0.7,
                       color=action_color(action), edgecolor="none")
            if len(values):
                ax.hlines(np.median(values), x - 0.3, x + 0.3, color="#222222", linewidth=2)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([_group_label(k) for k, _ in groups], rotation=20, ha="right")
        ax.set_ylabel(label)
        ax.set_xlim(-0.6, len(groups) - 0.4)
    fig.suptitle(f"{action} by {', '.join(by)}: one point per row, bar = median")
    return fig


def agreement_scatter(paired: pd.DataFrame, action: str, summary: pd.DataFrame | None = None) -> Figure:
    """Predicted against labelled total duration and bout count of one action, with the identity line.

    ``paired`` comes from :func:`mabe.metrics.agreement.paired_stats`;
    ``summary`` (:func:`~mabe.metrics.agreement.agreement_summary`) adds r,
    ICC(2,1) and the mean absolute difference to each panel's title.
    """
    rows = paired[paired["action"] == action]
    fig = new_figure(8.0, 3.8)
    axes = fig.subplots(1, 2)
    for ax, (measure, label) in zip(axes, (("total_duration_s", "total duration (s)"), ("bouts", "bouts")), strict=True):
        if not len(rows):
            empty_note(ax, "no unit counted in both")
            continue
        x = rows[f"{measure}_labelled"].to_numpy(float)
        y = rows[f"{measure}_predicted"].to_numpy(float)
        ax.scatter(x, y, s=20, alpha=0.7, color=action_color(action), edgecolor="none")
        top = float(np.nanmax(np.concatenate([x, y, [1e-9]])))
        ax.plot([0, top * 1.05], [0, top * 1.05], color="#777777", linestyle="--", linewidth=1)
        ax.set_xlabel(f"labelled {label}")
        ax.set_ylabel(f"predicted {label}")
        if summary is not None:
            hit = summary[(summary["action"] == action) & (summary["measure"] == measure)]
            if len(hit):
                s = hit.iloc[0]
                ax.set_title(f"n={s['n']}  r={s['pearson_r']:.2f}  ICC(2,1)={s['icc_2_1']:.2f}  MAD={s['mad']:.2f}",
                             fontsize=9)
    fig.suptitle(f"{action}: predicted vs labelled per unit (dashed: identity)")
    return fig


def time_budget(table: pd.DataFrame) -> Figure:
    """Mean fraction of time per (agent → target) pair and action, as stacked horizontal bars.

    ``table`` is :func:`mabe.metrics.bouts.video_stats` output; uncounted rows are left out.
    """
    rows = table[table["counted"].astype(bool)].copy()
    rows["pair"] = rows["agent"].astype(str) + " → " + rows["target"].astype(str)
    if "agent_name" in rows.columns:
        named = rows["agent_name"].astype(str) != ""
        target_name = rows["target"].where(rows["target"] == "self", rows.get("target_name", rows["target"]))
        rows.loc[named, "pair"] = rows.loc[named, "agent_name"].astype(str) + " → " + target_name[named].astype(str)
    means = rows.pivot_table(index="pair", columns="action", values="fraction", aggfunc="mean") if len(rows) else pd.DataFrame()
    fig = new_figure(8.0, 1.2 + 0.45 * max(1, len(means)))
    ax = fig.subplots()
    if means.empty:
        empty_note(ax, "no counted rows")
        return fig
    left = np.zeros(len(means))
    for action in means.columns:
        values = means[action].fillna(0.0).to_numpy(float)
        ax.barh(range(len(means)), values, left=left, color=action_color(str(action)), label=str(action))
        left += values
    ax.set_yticks(range(len(means)))
    ax.set_yticklabels(means.index)
    ax.set_xlabel("mean fraction of the time")
    ax.set_xlim(0, max(1e-6, float(left.max())) * 1.05)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_title("Time budget: mean fraction of each unit spent in each action")
    return fig
