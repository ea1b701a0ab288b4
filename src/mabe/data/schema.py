"""The Kaggle MABe 2025 dataset layout: file names, columns, dtypes, vocabularies.

Everything that names a column or a path of the on-disk layout lives here, so
readers, the validator and the simulator agree by construction.

Layout of a dataset directory ``root``::

    root/train.csv, root/test.csv                         metadata, one row per video
    root/{split}_tracking/{lab_id}/{video_id}.parquet     long-format pose
    root/{split}_annotation/{lab_id}/{video_id}.parquet   behaviour intervals

``test_annotation/`` exists only in simulated datasets (held-back labels for
local scoring).
"""

from __future__ import annotations

import json
from pathlib import Path

MAX_MICE = 4
"""Largest number of mice in one MABe video."""

MOUSE_FIELDS: tuple[str, ...] = ("strain", "color", "sex", "id", "age", "condition")

MOUSE_COLUMNS: tuple[str, ...] = tuple(
    f"mouse{m}_{field}" for m in range(1, MAX_MICE + 1) for field in MOUSE_FIELDS
)

METADATA_NUMERIC_COLUMNS: tuple[str, ...] = (
    "frames_per_second",
    "video_duration_sec",
    "pix_per_cm_approx",
    "video_width_pix",
    "video_height_pix",
    "arena_width_cm",
    "arena_height_cm",
)
"""The numeric metadata columns (each a finite number > 0 when given)."""

METADATA_COLUMNS: tuple[str, ...] = (
    "lab_id",
    "video_id",
    *MOUSE_COLUMNS,
    *METADATA_NUMERIC_COLUMNS,  # they stand together, in this order, in the files
    "arena_shape",
    "arena_type",
    "body_parts_tracked",
    "behaviors_labeled",
    "tracking_method",
)
"""The 38 metadata columns of ``train.csv`` / ``test.csv``, in file order."""

TRACKING_COLUMNS: tuple[str, ...] = ("video_frame", "mouse_id", "bodypart", "x", "y")
"""Columns of a tracking parquet file (long format, one row per keypoint)."""

TRACKING_DTYPES: dict[str, str] = {
    "video_frame": "int64",
    "mouse_id": "int64",
    "bodypart": "object",
    "x": "float32",
    "y": "float32",
}
"""The dtypes the simulator writes; readers accept any integer/float width."""

ANNOTATION_COLUMNS: tuple[str, ...] = (
    "agent_id",
    "target_id",
    "action",
    "start_frame",
    "stop_frame",
)

ANNOTATION_DTYPES: dict[str, str] = {
    "agent_id": "int8",
    "target_id": "int8",
    "action": "object",
    "start_frame": "int32",
    "stop_frame": "int32",
}
"""Annotation dtypes; ``stop_frame`` is exclusive, ``target_id == agent_id`` for self actions."""

SUBMISSION_COLUMNS: tuple[str, ...] = (
    "row_id",
    "video_id",
    "agent_id",
    "target_id",
    "action",
    "start_frame",
    "stop_frame",
)

SOLUTION_COLUMNS: tuple[str, ...] = (
    "video_id",
    "agent_id",
    "target_id",
    "action",
    "start_frame",
    "stop_frame",
    "lab_id",
    "behaviors_labeled",
)

SPLITS: tuple[str, ...] = ("train", "test")

SELF_ACTIONS: tuple[str, ...] = (
    "biteobject",
    "climb",
    "dig",
    "exploreobject",
    "freeze",
    "genitalgroom",
    "huddle",
    "rear",
    "rest",
    "run",
    "selfgroom",
)
"""Actions whose target is the agent itself (``target`` is ``"self"``)."""

PAIR_ACTIONS: tuple[str, ...] = (
    "allogroom",
    "approach",
    "attack",
    "attemptmount",
    "avoid",
    "chase",
    "chaseattack",
    "defend",
    "disengage",
    "dominance",
    "dominancegroom",
    "dominancemount",
    "ejaculate",
    "escape",
    "flinch",
    "follow",
    "intromit",
    "mount",
    "reciprocalsniff",
    "shepherd",
    "sniff",
    "sniffbody",
    "sniffface",
    "sniffgenital",
    "submit",
    "tussle",
)

ACTIONS: tuple[str, ...] = tuple(sorted(SELF_ACTIONS + PAIR_ACTIONS))
"""The 37 actions annotated somewhere in MABe 2025, sorted."""

SEED4_CLASSES: tuple[str, ...] = ("Other", "Social", "Mating", "Aggressive")
"""Classes of the reference ``seed4`` per-frame label scheme, in output order."""

SEED4_GROUPS: dict[str, tuple[str, ...]] = {
    "Social": (
        "sniff",
        "sniffgenital",
        "sniffface",
        "sniffbody",
        "reciprocalsniff",
        "approach",
        "follow",
    ),
    "Mating": ("mount", "intromit", "attemptmount", "ejaculate"),
    "Aggressive": ("attack", "chase", "chaseattack", "dominance", "defend", "flinch"),
}
"""Member actions of each non-``Other`` seed4 class, in priority order (later wins
when several apply on one frame: Aggressive > Mating > Social). Everything else is ``Other``."""

Triple = tuple[str, str, str]
"""``(agent, target, action)`` as in ``behaviors_labeled``: ``("mouse1", "mouse2", "sniff")``
or ``("mouse1", "self", "rear")``."""


Pair = tuple[int, int]
"""``(agent_id, target_id)`` as integer mouse ids; ``target_id == agent_id`` for self actions."""


def metadata_path(root: str | Path, split: str) -> Path:
    """Path of ``{split}.csv`` below ``root``."""
    return Path(root) / f"{split}.csv"


def tracking_path(root: str | Path, split: str, lab_id: str, video_id: int) -> Path:
    """Path of one video's tracking parquet file."""
    return Path(root) / f"{split}_tracking" / str(lab_id) / f"{int(video_id)}.parquet"


def annotation_path(root: str | Path, split: str, lab_id: str, video_id: int) -> Path:
    """Path of one video's annotation parquet file."""
    return Path(root) / f"{split}_annotation" / str(lab_id) / f"{int(video_id)}.parquet"


def mouse_name(mouse_id: int) -> str:
    """``3 -> "mouse3"``."""
    return f"mouse{int(mouse_id)}"


def mouse_number(name: str) -> int:
    """``"mouse3" -> 3``; raises ``ValueError`` for anything else."""
    if not name.startswith("mouse") or not name[5:].isdigit():
        raise ValueError(f"not a mouse name: {name!r}")
    return int(name[5:])


def target_name(agent_id: int, target_id: int) -> str:
    """Target as written in submissions: ``"self"`` when target equals agent."""
    return "self" if int(agent_id) == int(target_id) else mouse_name(target_id)


def parse_behaviors_labeled(text: object) -> list[Triple]:
    r"""Parse a ``behaviors_labeled`` cell into ``(agent, target, action)`` triples.

    Accepts the JSON list form ``'["mouse1,mouse2,sniff", ...]'`` and the
    variant whose items wrap each part in single quotes
    (``"'mouse1','mouse2','sniff'"``). An empty / missing cell gives ``[]``.

    Raises
    ------
    ValueError
        If the text is not a JSON list of ``"agent,target,action"`` strings.

    Examples
    --------
    >>> parse_behaviors_labeled('["mouse1,mouse2,sniff", "mouse1,self,rear"]')
    [('mouse1', 'mouse2', 'sniff'), ('mouse1', 'self', 'rear')]
    >>> parse_behaviors_labeled('["\'mouse1\',\'mouse2\',\'attack\'"]')
    [('mouse1', 'mouse2', 'attack')]
    """
    if text is None or (isinstance(text, float) and text != text):
        return []
    if not isinstance(text, str):
        raise ValueError(f"expected a JSON list, got {type(text).__name__}")
    if not text.strip():
        return []
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(items, list):
        raise ValueError("not a JSON list")
    triples: list[Triple] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"list item {item!r} is not a string")
        parts = [p.strip().strip("'\"").strip() for p in item.split(",")]
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"item {item!r} is not 'agent,target,action'")
        agent, target, action = parts
        try:
            mouse_number(agent)
            if target != "self":
                mouse_number(target)
        except ValueError:
            raise ValueError(f"item {item!r} does not name mice as mouseN / self") from None
        triples.append((agent, target, action))
    # keep order, drop repeats
    return list(dict.fromkeys(triples))


def format_behaviors_labeled(triples: list[Triple]) -> str:
    """Inverse of :func:`parse_behaviors_labeled` (plain JSON form)."""
    return json.dumps([",".join(t) for t in triples])


def parse_body_parts(text: object) -> list[str]:
    """Parse a ``body_parts_tracked`` cell (a JSON list of names).

    Raises
    ------
    ValueError
        If the text is not a JSON list of strings.
    """
    if not isinstance(text, str):
        raise ValueError("missing or not text")
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ValueError("not a JSON list of body-part names")
    return items
