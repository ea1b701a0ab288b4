"""The decoding parameters in use, as a table and as a figure."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from mabe.decode import DecodeParams
from mabe.plots.common import action_color, empty_note, new_figure


def decode_params_frame(
    params: DecodeParams, actions: Sequence[str] | None = None, labs: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per action: threshold per lab, smoothing window, minimum length, maximum gap.

    Parameters
    ----------
    params
        The decoding parameters (e.g. a run's ``decode.json``).
    actions
        Rows; default: every action the parameters mention.
    labs
        Threshold columns; default: every lab the parameters mention. A lab
        without its own thresholds shows the default threshold.

    Returns
    -------
    pandas.DataFrame
        Columns ``action``, ``threshold <lab>`` per lab (or ``threshold`` when
        there is no lab), ``smoothing``, ``min_length``, ``max_gap`` (frames).

    Examples
    --------
    >>> p = DecodeParams(thresholds={"A": {"sniff": 0.3}}, min_length={"sniff": 5})
    >>> decode_params_frame(p).values.tolist()
    [['sniff', 0.3, 1, 5, 0]]
    """
    labs = list(labs) if labs is not None else sorted(params.thresholds)
    if actions is None:
        named = {a for table in params.thresholds.values() for a in table}
        named |= set(params.smoothing) | set(params.min_length) | set(params.max_gap)
        actions = sorted(named)
    rows = []
    for action in actions:
        row: dict[str, object] = {"action": action}
        if labs:
            for lab in labs:
                row[f"threshold {lab}"] = params.threshold_for(lab, action)
        else:
            row["threshold"] = params.default_threshold
        row |= {
            "smoothing": params.window_for(action),
            "min_length": params.min_length_for(action),
            "max_gap": params.max_gap_for(action),
        }
        rows.append(row)
    columns = ["action", *([f"threshold {lab}" for lab in labs] or ["threshold"]), "smoothing", "min_length", "max_gap"]
    return pd.DataFrame(rows, columns=columns)


def decode_params_figure(table: pd.DataFrame, title: str = "Decoding parameters") -> Figure:
    """Draw a :func:`decode_params_frame` as a table figure (action names in their colours).

    Parameters
    ----------
    table
        Output of :func:`decode_params_frame`.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = decode_params_figure(decode_params_frame(DecodeParams(smoothing={"sniff": 5})))
    >>> fig.axes[0].get_title(loc="left")
    'Decoding parameters'
    """
    n_cols = max(len(table.columns), 1)
    fig = new_figure(max(5.0, 1.15 * n_cols), 0.5 + 0.3 * (len(table) + 2))
    ax = fig.subplots()
    ax.set_title(title, fontsize=12, loc="left")
    ax.axis("off")
    if not len(table):
        empty_note(ax, "no per-action decoding parameters (defaults everywhere)")
        return fig
    cells = [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row] for row in table.itertuples(index=False)]
    labels = [str(c).replace(" ", "\n", 1) for c in table.columns]
    drawn = ax.table(cellText=cells, colLabels=labels, loc="upper center", cellLoc="center")
    drawn.auto_set_font_size(False)
    drawn.set_fontsize(9)
    drawn.auto_set_column_width(list(range(n_cols)))
    drawn.scale(1.0, 1.3)
    for (r, c), cell in drawn.get_celld().items():
        if r == 0:
            cell.set_facecolor("#e8e8e8")
            cell.set_text_props(weight="bold")
            cell.set_height(cell.get_height() * 1.8)
        elif c == 0:
            cell.set_text_props(color=action_color(cells[r - 1][0]), weight="bold")
    return fig
