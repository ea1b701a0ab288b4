"""Ethogram: true and predicted bouts of one video, per (agent, target) pair, over time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from mabe.data.importers.sources import individual_name
from mabe.plots.common import action_color, empty_note, new_figure

_BOUT_COLUMNS = ("agent_id", "target_id", "action", "start_frame", "stop_frame")


def _check(table: pd.DataFrame | None, what: str) -> pd.DataFrame:
    if table is None:
        return pd.DataFrame(columns=list(_BOUT_COLUMNS))
    missing = [c for c in _BOUT_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(missing)}")
    return table


def _pair_key(agent: str, target: str) -> tuple[int, int, str]:
    def number(name: str) -> int:
        digits = "".join(ch for ch in str(name) if ch.isdigit())
        return int(digits) if digits else 0

    return number(agent), 0 if target == "self" else number(target), str(target)


def ethogram(
    predicted: pd.DataFrame,
    fps: float,
    n_frames: int | None = None,
    true: pd.DataFrame | None = None,
    title: str = "Ethogram",
    annotated: Iterable[tuple[str, str]] | None = None,
    names: Sequence[str] = (),
) -> Figure:
    """Draw the true and predicted bouts of one video as coloured bars on a time axis in seconds.

    Parameters
    ----------
    predicted
        Predicted bouts: ``agent_id`` (``"mouseN"``), ``target_id``
        (``"mouseM"`` or ``"self"``), ``action``, ``start_frame``,
        ``stop_frame`` (exclusive), e.g. one video's rows of a submission.
    fps
        Frames per second of the video (> 0).
    n_frames
        Video length in frames (sets the time axis); default: the last bout end.
    true
        Labelled bouts in the same columns, or ``None`` when the video has no labels.
    title
        Figure title.
    annotated
        ``(agent, target)`` pairs that were annotated at all (from
        ``behaviors_labeled``); the "true" lane of any other pair is greyed
        out and labelled "not annotated" (absent bouts there are unknown,
        not negative). ``None``: every pair counts as annotated.
    names
        The video's individual names in mouse order (from ``sources.csv``):
        lanes read ``adult → juvenile`` instead of ``mouse1 → mouse2``.
        Empty: ``mouseN``.

    Returns
    -------
    matplotlib.figure.Figure
        One band per (agent, target) pair; with labels, a "true" lane above
        a "predicted" lane. Bars take the action's colour; the legend lists
        every action shown.

    Examples
    --------
    >>> bouts = pd.DataFrame({"agent_id": ["mouse1"], "target_id": ["mouse2"], "action": ["sniff"],
    ...                       "start_frame": [30], "stop_frame": [90]})
    >>> fig = ethogram(bouts, fps=30.0, n_frames=300, true=bouts)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['mouse1 → mouse2  true', 'predicted']
    >>> fig = ethogram(bouts, fps=30.0, names=("adult", "juvenile"))
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['adult → juvenile  predicted']
    """
    if not fps or fps <= 0 or not np.isfinite(fps):
        raise ValueError(f"fps must be positive, got {fps!r}")
    predicted = _check(predicted, "predicted")
    has_truth = true is not None
    true = _check(true, "true")
    both = pd.concat([predicted, true], ignore_index=True)
    pairs = sorted({(str(a), str(t)) for a, t in zip(both["agent_id"], both["target_id"], strict=True)},
                   key=lambda p: _pair_key(*p))
    end = n_frames if n_frames else int(both["stop_frame"].max()) if len(both) else 1
    lanes = [(pair, kind) for pair in pairs for kind in (("true", "predicted") if has_truth else ("predicted",))]
    fig = new_figure(12.0, 1.6 + 0.42 * max(len(lanes), 2))
    ax = fig.subplots()
    ax.set_title(title, fontsize=12, loc="left")
    if not lanes:
        empty_note(ax, "no bouts, true or predicted")
        return fig
    known = None if annotated is None else {(str(a), str(t)) for a, t in annotated}
    shown: dict[str, None] = {}
    for row, (pair, kind) in enumerate(lanes):
        y = len(lanes) - 1 - row
        if kind == "true" and known is not None and pair not in known:
            ax.axhspan(y - 0.45, y + 0.45, facecolor="#f0f0f0", edgecolor="#cccccc", hatch="//", lw=0)
        source = true if kind == "true" else predicted
        rows = source[(source["agent_id"].astype(str) == pair[0]) & (source["target_id"].astype(str) == pair[1])]
        for action, group in rows.groupby("action", sort=True):
            starts = group["start_frame"].to_numpy(dtype=float) / fps
            widths = (group["stop_frame"].to_numpy(dtype=float) - group["start_frame"].to_numpy(dtype=float)) / fps
            # at least a hair wide, so one-frame bouts stay visible
            widths = np.maximum(widths, end / fps / 1500)
            ax.broken_barh(list(zip(starts, widths, strict=True)), (y - 0.38, 0.76), facecolors=action_color(str(action)))
            shown[str(action)] = None
        if kind == "predicted" and has_truth and y > 0:
            ax.axhline(y - 0.5, color="#999999", lw=0.8)
    labels = []
    for pair, kind in lanes:
        name = f"{individual_name(pair[0], names)} → {individual_name(pair[1], names)}"
        if kind == "true" and known is not None and pair not in known:
            kind = "not annotated"
        labels.append(f"{name}  {kind}" if kind != "predicted" or not has_truth else kind)
    ax.set_yticks(np.arange(len(lanes))[::-1], labels, fontsize=9)
    ax.set_ylim(-0.6, len(lanes) - 0.4)
    ax.set_xlim(0, end / fps)
    ax.set_xlabel("time (s)")
    ax.grid(axis="x", alpha=0.3)
    if shown:
        handles = [Patch(facecolor=action_color(a), label=a) for a in sorted(shown)]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=9, title="action")
    else:
        ax.text(0.5, 0.5, "no bouts", ha="center", va="center", transform=ax.transAxes, color="#555555")
    return fig
