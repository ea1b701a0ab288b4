"""Learning curves: losses, validation F1 and learning rate per epoch."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mabe.plots.common import empty_note, new_figure

_RUN_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _column(table: pd.DataFrame, name: str) -> np.ndarray | None:
    if name not in table.columns:
        return None
    values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
    return values if np.isfinite(values).any() else None


def learning_curves(curves: Mapping[str, pd.DataFrame], title: str = "Learning curves") -> Figure:
    """Losses, validation macro-F1 and learning rate per epoch, one line per model.

    Parameters
    ----------
    curves
        ``{label: metrics}`` where ``metrics`` is a run's ``metrics.csv``
        (columns ``epoch`` and any of ``train_loss``, ``val_loss``,
        ``val_macro_f1``, ``lr``). An ensemble passes one table per fold model
        (labels such as ``"net/fold0"``).
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels side by side; training loss solid and validation loss
        dashed in the model's colour. A panel whose column no table has says so.

    Examples
    --------
    >>> m = pd.DataFrame({"epoch": [1, 2], "train_loss": [0.9, 0.7], "val_loss": [1.0, 0.8],
    ...                   "val_macro_f1": [0.2, 0.3], "lr": [1e-3, 5e-4]})
    >>> fig = learning_curves({"run": m})
    >>> [ax.get_title() for ax in fig.axes]
    ['Loss', 'Validation macro F1', 'Learning rate']
    """
    fig = new_figure(12.5, 3.8)
    ax_loss, ax_f1, ax_lr = fig.subplots(1, 3)
    fig.suptitle(title, fontsize=13)
    drawn = {"loss": False, "f1": False, "lr": False}
    many = len(curves) > 1
    lr_values: list[np.ndarray] = []
    for k, (label, table) in enumerate(curves.items()):
        color = _RUN_COLORS[k % len(_RUN_COLORS)]
        epoch = _column(table, "epoch")
        if epoch is None:
            continue
        prefix = f"{label}: " if many else ""
        for name, style, what in (("train_loss", "-", "train"), ("val_loss", "--", "validation")):
            values = _column(table, name)
            if values is not None:
                ax_loss.plot(epoch, values, style, marker="o", ms=3, color=color, label=f"{prefix}{what}")
                drawn["loss"] = True
        f1 = _column(table, "val_macro_f1")
        if f1 is not None:
            ax_f1.plot(epoch, f1, "-", marker="o", ms=3, color=color, label=label)
            drawn["f1"] = True
        lr = _column(table, "lr")
        if lr is not None:
            ax_lr.plot(epoch, lr, "-", marker="o", ms=3, color=color, label=label)
            lr_values.append(lr[np.isfinite(lr)])
            drawn["lr"] = True
    for ax, key, panel, ylabel in (
        (ax_loss, "loss", "Loss", "loss"),
        (ax_f1, "f1", "Validation macro F1", "macro F1 (frames)"),
        (ax_lr, "lr", "Learning rate", "learning rate"),
    ):
        ax.set_title(panel)
        if not drawn[key]:
            empty_note(ax, f"no {panel.lower()} recorded")
            continue
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    if drawn["f1"]:
        ax_f1.set_ylim(0, 1)
    if lr_values:
        allv = np.concatenate(lr_values)
        positive = allv[allv > 0]
        if positive.size and positive.max() / positive.min() > 20:
            ax_lr.set_yscale("log")
    if drawn["loss"]:
        ax_loss.legend(fontsize=8, loc="best")
    if drawn["f1"] and many:
        ax_f1.legend(fontsize=8, loc="best")
    return fig
