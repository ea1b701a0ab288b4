"""Which (agent, target, action) triples to decode on a video.

A labelled video's whitelist is its ``behaviors_labeled``. A new recording has
none: predicting on it means predicting every action the model learned, for
every ordered pair of the mice present (self actions on the self pair only,
pair actions on ``agent != target`` only). ``--actions`` narrows either to a
chosen subset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from mabe.data.schema import (
    SEED4_GROUPS,
    SELF_ACTIONS,
    Pair,
    Triple,
    mouse_name,
    target_name,
)
from mabe.errors import MabeError
from mabe.training.run import Run


def model_whitelist(pairs: Iterable[Pair], actions: Iterable[str]) -> set[Triple]:
    """Every triple a model can predict on ``pairs``: the open whitelist of a new recording.

    Self actions (:data:`mabe.data.schema.SELF_ACTIONS`) go to self pairs
    (``target == agent``), every other action to pairs with ``agent != target``.
    An action unknown to the MABe vocabulary counts as a pair action.

    Parameters
    ----------
    pairs
        ``(agent_id, target_id)`` integer pairs; ``target_id == agent_id`` for self.
    actions
        Action names the model outputs.

    Returns
    -------
    set of tuple
        ``(mouseA, mouseB | "self", action)`` triples.

    Examples
    --------
    >>> sorted(model_whitelist([(1, 1), (1, 2), (2, 1)], ["rear", "sniff"]))
    [('mouse1', 'mouse2', 'sniff'), ('mouse1', 'self', 'rear'), ('mouse2', 'mouse1', 'sniff')]
    """
    actions = list(actions)
    out: set[Triple] = set()
    for agent, target in pairs:
        is_self = int(agent) == int(target)
        for action in actions:
            if (action in SELF_ACTIONS) == is_self:
                out.add((mouse_name(agent), target_name(agent, target), action))
    return out


def decoding_whitelist(
    labelled: Iterable[Triple], pairs: Iterable[Pair], actions: Iterable[str], only: Iterable[str] | None = None
) -> set[Triple]:
    """Return the triples to decode on one video.

    Parameters
    ----------
    labelled
        The video's ``behaviors_labeled`` triples (empty for a new recording).
    pairs, actions
        What the model predicts on the video (used when ``labelled`` is empty).
    only
        Keep only these action names (``--actions``); ``None`` keeps all.

    Examples
    --------
    >>> sorted(decoding_whitelist([], [(1, 2)], ["sniff", "attack"], only=["sniff"]))
    [('mouse1', 'mouse2', 'sniff')]
    >>> decoding_whitelist([("mouse1", "mouse2", "attack")], [(1, 2)], ["sniff", "attack"])
    {('mouse1', 'mouse2', 'attack')}
    """
    labelled = set(labelled)
    whitelist = labelled if labelled else model_whitelist(pairs, actions)
    if only is None:
        return whitelist
    keep = set(only)
    return {t for t in whitelist if t[2] in keep}


def parse_action_list(text: str | None) -> list[str] | None:
    """``"sniff, attack"`` -> ``["sniff", "attack"]``; ``None`` or blank -> ``None``.

    Examples
    --------
    >>> parse_action_list("sniff, attack,,sniff")
    ['sniff', 'attack']
    >>> parse_action_list("  ") is None
    True
    """
    if text is None or not text.strip():
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    return list(dict.fromkeys(names))


def run_actions(run_dir: str | Path) -> list[str] | None:
    """Return the actions a run's model predicts, from its record files; ``None`` if unknown.

    A single-model run lists them in ``summary.json`` (``actions``; for a
    ``seed4`` model, the member actions of its class groups from
    ``config.yaml``); an ensemble run in ``ensemble.json`` (``actions``).
    Only those keys are read, so a record from another mabe version (or a
    partial one) still tells its actions.
    """
    run = Run(run_dir)
    for path in (run.ensemble_path, run.summary_path):
        if not path.is_file():
            continue
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(record, dict) and record.get("actions"):
            return [str(a) for a in record["actions"]]
        if isinstance(record, dict) and record.get("label_scheme") == "seed4":
            return seed4_actions(_seed4_groups(run))
    return None


def _seed4_groups(run: Run) -> Mapping[str, Sequence[str]] | None:
    return run.config().seed4_groups if run.config_path.is_file() else None


def seed4_actions(groups: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Sorted member actions of the seed4 class groups (default :data:`SEED4_GROUPS`).

    Examples
    --------
    >>> seed4_actions({"Social": ["sniff"], "Aggressive": ["attack", "chase"]})
    ['attack', 'chase', 'sniff']
    """
    chosen: Mapping[str, Sequence[str]] = SEED4_GROUPS if groups is None else groups
    return sorted({a for members in chosen.values() for a in members})


def check_requested_actions(requested: Sequence[str] | None, known: Sequence[str] | None, run: object) -> None:
    """Refuse ``--actions`` names the model does not predict (one line naming them).

    Raises
    ------
    MabeError
        If a requested name is not in ``known``.
    """
    if requested is None or known is None:
        return
    unknown = [a for a in requested if a not in set(known)]
    if unknown:
        raise MabeError(
            f"{run}: --actions names {', '.join(unknown)}, which the model does not predict; "
            f"it predicts {', '.join(known)}"
        )
