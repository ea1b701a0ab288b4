"""Figures of a run: learning curves, scores, ethograms, probability traces, decoding tables.

Every function takes data and returns a :class:`matplotlib.figure.Figure`
built without ``pyplot`` (no display, no global figure registry; PNGs are
rendered by the Agg canvas). :func:`save_figure` writes one to disk and
:func:`figure_png` gives its PNG bytes. Actions keep one colour everywhere
(:func:`action_color`).
"""

from mabe.plots.common import action_color, action_colors, figure_png, save_figure
from mabe.plots.curves import learning_curves
from mabe.plots.ethogram import ethogram
from mabe.plots.scores import score_bars, score_table
from mabe.plots.tables import decode_params_figure, decode_params_frame
from mabe.plots.traces import probability_traces

__all__ = [
    "action_color",
    "action_colors",
    "decode_params_figure",
    "decode_params_frame",
    "ethogram",
    "figure_png",
    "learning_curves",
    "probability_traces",
    "save_figure",
    "score_bars",
    "score_table",
]
