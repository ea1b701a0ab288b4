"""Per-frame probabilities of one video with the decoding thresholds drawn on them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from matplotlib.figure import Figure

from mabe.data.importers.sources import individual_name
from mabe.data.schema import Pair, Triple, mouse_name, target_name
from mabe.decode import DecodeParams
from mabe.decode.intervals import smooth_probs
from mabe.plots.common import action_color, empty_note, new_figure


def probability_traces(
    probs: np.ndarray,
    pairs: Sequence[Pair],
    actions: Sequence[str],
    params: DecodeParams,
    lab_id: object,
    fps: float,
    whitelist: Iterable[Triple] | None = None,
    max_pairs: int = 6,
    title: str = "Probabilities and thresholds",
    names: Sequence[str] = (),
) -> Figure:
    """Smoothed probability of each action per pair over time, with its threshold as a dashed line.

    Parameters
    ----------
    probs
        ``(F, P, A)`` per-frame probabilities of one video.
    pairs
        ``(agent_id, target_id)`` of the ``P`` columns (``target == agent`` for self).
    actions
        Names of the ``A`` actions.
    params
        Decoding parameters: each action is smoothed with its window (what the
        threshold is compared to) and its threshold for ``lab_id`` is drawn.
    lab_id
        The video's lab (selects the thresholds).
    fps
        Frames per second (time axis in seconds).
    whitelist
        Only these ``(agent, target, action)`` triples are drawn; ``None``: all.
    max_pairs
        At most this many pairs, those reaching the highest probability first.
    title
        Figure title.
    names
        The video's individual names in mouse order (from ``sources.csv``):
        panels read ``adult → juvenile`` instead of ``mouse1 → mouse2``.
        Empty: ``mouseN``.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per pair; lines and threshold lines share the action's colour.

    Examples
    --------
    >>> p = np.zeros((100, 1, 2), np.float32); p[40:60, 0, 0] = 0.9
    >>> fig = probability_traces(p, [(1, 2)], ["sniff", "attack"], DecodeParams(), "A", 30.0)
    >>> fig.axes[0].get_title(loc="left")
    'mouse1 → mouse2'
    >>> fig = probability_traces(p, [(1, 2)], ["sniff", "attack"], DecodeParams(), "A", 30.0,
    ...                          names=("adult", "juvenile"))
    >>> fig.axes[0].get_title(loc="left")
    'adult → juvenile'
    """
    probs = np.asarray(probs)
    if probs.ndim != 3 or probs.shape[1:] != (len(pairs), len(actions)):
        raise ValueError(f"probs has shape {probs.shape}, expected (frames, {len(pairs)}, {len(actions)})")
    if not fps or fps <= 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    smoothed = smooth_probs(probs, [params.window_for(a) for a in actions]) if probs.size else probs
    allowed = np.ones((len(pairs), len(actions)), dtype=bool)
    if whitelist is not None:
        wl = set(whitelist)
        allowed = np.array(
            [[(mouse_name(a), target_name(a, t), x) in wl for x in actions] for a, t in pairs], dtype=bool
        ).reshape(len(pairs), len(actions))
    candidates = [p for p in range(len(pairs)) if allowed[p].any()]
    peak = {p: float(np.nanmax(smoothed[:, p, allowed[p]])) if len(smoothed) else 0.0 for p in candidates}
    chosen = sorted(sorted(candidates, key=lambda p: -peak[p])[:max_pairs])
    n = max(len(chosen), 1)
    fig = new_figure(12.0, 1.0 + 2.0 * n)
    axes = fig.subplots(n, 1, squeeze=False, sharex=True)[:, 0]
    fig.suptitle(title, fontsize=13)
    if not chosen:
        empty_note(axes[0], "no (pair, action) to show")
        return fig
    t = np.arange(probs.shape[0]) / fps
    for ax, p in zip(axes, chosen, strict=True):
        agent, target = pairs[p]
        for a, action in enumerate(actions):
            if not allowed[p, a]:
                continue
            color = action_color(action)
            ax.plot(t, smoothed[:, p, a], color=color, lw=1.0, label=action)
            ax.axhline(params.threshold_for(lab_id, action), color=color, ls="--", lw=1.0)
        who = [individual_name(m, names) for m in (mouse_name(agent), target_name(agent, target))]
        ax.set_title(" → ".join(who), fontsize=10, loc="left")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("probability")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8)
    axes[-1].set_xlabel("time (s)   (dashed: threshold of the action in this lab)")
    if len(t):
        axes[-1].set_xlim(0, t[-1])
    return fig
