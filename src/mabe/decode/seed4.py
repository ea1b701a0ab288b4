"""Map whole-video ``seed4`` class probabilities onto (pair, action) probabilities.

A ``seed4`` classifier predicts, per frame and for the video as a whole, one
of four classes: ``Other``, ``Social``, ``Mating``, ``Aggressive``. It says
neither *who* does it nor *which* action of the group. This module turns that
into the ``(F, P, A)`` array :func:`mabe.decode.decode_video` expects, so a
seed4 model can still produce a submission. It is a **coarse fallback**:

* the group's probability goes to every whitelisted member action of the
  group, on every (agent, target) pair with ``agent != target``; so every pair
  gets the same intervals, and after decoding (largest probability /
  threshold ratio, ties to the first action) the first-listed whitelisted
  action of the group wins wherever thresholds are equal;
* ``Other`` maps to nothing; self pairs and actions outside every group get 0.

Expect a far lower score than from a per-pair ``actions`` model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mabe.data.schema import SEED4_GROUPS, Triple, mouse_name, target_name
from mabe.decode.intervals import Pair


def seed4_to_pair_probs(
    class_probs: np.ndarray,
    pairs: Sequence[Pair],
    actions: Sequence[str],
    whitelist: set[Triple],
    groups: Mapping[str, Sequence[str]] | None = None,
) -> np.ndarray:
    """Spread per-frame seed4 class probabilities over pairs and actions.

    Parameters
    ----------
    class_probs
        ``(F, 1 + len(groups))`` probabilities, ``Other`` first, then the
        groups in order (``Social, Mating, Aggressive`` by default).
    pairs
        ``(agent_id, target_id)`` of the ``P`` output columns.
    actions
        Names of the ``A`` output actions.
    whitelist
        Allowed ``(agent, target, action)`` triples.
    groups
        Group name -> member actions, in class order (default :data:`SEED4_GROUPS`).

    Returns
    -------
    numpy.ndarray
        ``(F, P, A)`` float32: ``class_probs[:, g]`` wherever the action
        belongs to group ``g``, the pair is not a self pair and the triple is
        whitelisted; 0 elsewhere.

    Examples
    --------
    >>> cp = np.array([[0.1, 0.7, 0.1, 0.1]])
    >>> wl = {("mouse1", "mouse2", "sniff"), ("mouse1", "mouse2", "attack"),
    ...       ("mouse1", "self", "rear")}
    >>> out = seed4_to_pair_probs(cp, [(1, 2), (1, 1)], ["sniff", "attack", "rear"], wl)
    >>> out.astype(float).round(2).tolist()
    [[[0.7, 0.1, 0.0], [0.0, 0.0, 0.0]]]
    """
    groups = SEED4_GROUPS if groups is None else groups
    class_probs = np.asarray(class_probs, dtype=np.float32)
    if class_probs.ndim != 2 or class_probs.shape[1] != 1 + len(groups):
        raise ValueError(
            f"class_probs has shape {class_probs.shape}, expected (frames, {1 + len(groups)})"
        )
    group_of = {a: g for g, members in enumerate(groups.values(), start=1) for a in members}
    out = np.zeros((class_probs.shape[0], len(pairs), len(actions)), dtype=np.float32)
    for p, (agent, target) in enumerate(pairs):
        if agent == target:
            continue
        for a, action in enumerate(actions):
            triple = (mouse_name(agent), target_name(agent, target), action)
            if action in group_of and triple in whitelist:
                out[:, p, a] = class_probs[:, group_of[action]]
    return out
