"""The behaviour-statistics part of ``mabe report``: what the predictions say, labels or not.

The same table as ``mabe stats`` computed from the run's predictions of the
split (unlabelled videos count every action of the run on every pair), summed
up per (agent, target, action), and a time-budget figure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mabe.data.io import MabeDataset
from mabe.plots.stats import time_budget
from mabe.workflows.report_page import Section
from mabe.workflows.stats import compute_stats
from mabe.workflows.whitelist import run_actions

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_ROWS = 60
"""Show the per-video table on the page up to this many rows (the summary always)."""


def stats_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per (agent, target, action): videos counted, bouts, seconds, mean fraction and latency.

    Examples
    --------
    >>> t = pd.DataFrame({"agent": ["mouse1"] * 2, "target": ["mouse2"] * 2, "action": ["sniff"] * 2,
    ...                   "counted": [True, True], "bouts": [2, 0], "total_duration_s": [3.0, 0.0],
    ...                   "fraction": [0.1, 0.0], "latency_s": [1.0, float("nan")], "mean_bout_s": [1.5, float("nan")]})
    >>> stats_summary(t)[["videos", "bouts", "total_duration_s", "mean_fraction"]].to_dict("records")
    [{'videos': 2, 'bouts': 2, 'total_duration_s': 3.0, 'mean_fraction': 0.05}]
    """
    keys = ["agent", "target", "action"]
    names = [c for c in ("agent_name", "target_name") if c in table.columns]
    counted = table[table["counted"].astype(bool)]
    rows = []
    for key, part in counted.groupby(keys, sort=True):
        row = dict(zip(keys, key, strict=True))
        row.update({c: part[c].iloc[0] for c in names})
        row.update(
            videos=len(part),
            bouts=int(pd.to_numeric(part["bouts"]).sum()),
            total_duration_s=float(pd.to_numeric(part["total_duration_s"]).sum()),
            mean_fraction=float(pd.to_numeric(part["fraction"]).mean()),
            median_latency_s=float(pd.to_numeric(part["latency_s"]).median()),
            mean_bout_s=float(pd.to_numeric(part["mean_bout_s"]).mean()),
        )
        rows.append(row)
    return pd.DataFrame(rows)


def stats_section(
    add_figure: Callable[[str, Figure], str],
    run: Path,
    dataset: MabeDataset,
    split: str,
    predictions: pd.DataFrame,
) -> tuple[Section, pd.DataFrame]:
    """Return the report's statistics section and the per-video table it summarises.

    ``add_figure(name, figure)`` renders a figure onto the page and returns its name.
    """
    table = compute_stats(dataset, split, predictions, True, vocabulary=run_actions(run))
    summary = stats_summary(table)
    shown = [summary.round(4)]
    if len(table) <= MAX_ROWS:
        columns = ["video_id", "agent", "target", "action", "bouts", "total_duration_s", "fraction",
                   "latency_s", "mean_bout_s", "median_bout_s", "max_bout_s", "mean_gap_s"]
        shown.append(table[columns])
    text = ("Predicted behaviour per (agent → target, action), as `mabe stats --submission` computes it: "
            "videos counted, bouts, total seconds, mean fraction of the video, median latency to the first bout "
            "and mean bout length" + ("; then per video." if len(shown) > 1 else f"; {len(table)} per-video rows "
                                      "are in `mabe stats`."))
    figure = add_figure("time_budget", time_budget(table))
    return Section("Behaviour statistics", text=text, tables=shown, figures=[figure]), table
