"""Shared pieces of every figure: the action palette, figure creation and saving."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mabe.data.schema import ACTIONS
from mabe.fileio import atomic_write_bytes

# Distinct colours for the actions seen most often, then a long tail.
_FIXED: dict[str, str] = {
    "sniff": "#1f77b4",
    "attack": "#d62728",
    "mount": "#9467bd",
    "chase": "#ff7f0e",
    "sniffgenital": "#17becf",
    "sniffface": "#2ca02c",
    "sniffbody": "#bcbd22",
    "approach": "#8c564b",
    "avoid": "#e377c2",
    "rear": "#7f7f7f",
    "intromit": "#393b79",
    "selfgroom": "#637939",
    "escape": "#e7969c",
    "follow": "#8c6d31",
    "attemptmount": "#c5b0d5",
    "dominance": "#843c39",
    "reciprocalsniff": "#6baed6",
    "defend": "#fd8d3c",
}
_TAIL: tuple[str, ...] = (
    "#5254a3", "#8ca252", "#bd9e39", "#ad494a", "#a55194", "#6b6ecf", "#b5cf6b",
    "#e7ba52", "#d6616b", "#ce6dbd", "#3182bd", "#31a354", "#756bb1", "#636363",
    "#e6550d", "#9ecae1", "#a1d99b", "#fdae6b", "#bcbddc", "#969696",
)
_OTHERS = [a for a in ACTIONS if a not in _FIXED]


def action_color(action: str) -> str:
    """Return the colour of ``action`` in every figure (a hex string).

    Known MABe actions have fixed colours; any other name gets a colour from
    a stable hash of the name, so it is the same in every run and figure.

    Examples
    --------
    >>> action_color("attack")
    '#d62728'
    >>> action_color("interact") == action_color("interact")
    True
    """
    if action in _FIXED:
        return _FIXED[action]
    if action in _OTHERS:
        return _TAIL[_OTHERS.index(action) % len(_TAIL)]
    return _TAIL[zlib.crc32(action.encode("utf-8")) % len(_TAIL)]


def action_colors(actions: Iterable[str]) -> dict[str, str]:
    """Return ``{action: colour}`` for several actions (see :func:`action_color`).

    Examples
    --------
    >>> action_colors(["sniff", "mount"])
    {'sniff': '#1f77b4', 'mount': '#9467bd'}
    """
    return {a: action_color(a) for a in actions}


def new_figure(width: float, height: float) -> Figure:
    """Return a new figure with an Agg canvas attached (no pyplot, no display)."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def empty_note(ax, text: str) -> None:
    """Write ``text`` in the middle of an axes that has nothing to show."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """Return the figure rendered as PNG bytes.

    Examples
    --------
    >>> fig = new_figure(2, 1)
    >>> figure_png(fig)[1:4]
    b'PNG'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write ``fig`` as a PNG to ``path`` atomically (temporary sibling, then rename).

    Parameters
    ----------
    fig
        Any figure returned by :mod:`mabe.plots`.
    path
        Target file; its parent directory is created.
    dpi
        Resolution.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path, figure_png(fig, dpi))
