"""One simulated video's recording set-up, drawn from its lab's catalog entry.

Frame rate, mice, body parts, pixels per cm, frame and arena size, video
length, the ``behaviors_labeled`` whitelist and the mouse metadata columns all
come from :class:`~mabe.data.catalog.LabSpec`; :func:`metadata_row` turns the
set-up into one row of ``train.csv`` / ``test.csv``.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import numpy as np

from mabe.data import schema
from mabe.data.catalog import LabSpec
from mabe.data.schema import Triple
from mabe.data.synth.arena import Arena
from mabe.data.synth.distributions import split_lognormal

FRAME_MARGIN_PX = 10
"""Smallest gap between the arena and the frame edge, in pixels."""

_STRAINS = ("C57Bl/6J", "CD-1 (ICR)", "BALB/c", "C57Bl/6N", "CFW", "129S1/SvImJ")
_COLORS = {"CD-1 (ICR)": "white", "BALB/c": "white", "CFW": "white", "129S1/SvImJ": "agouti"}
_AGES = ("8-10 weeks", "10-12 weeks", "12-16 weeks", "adult")
_CONDITIONS = ("", "lights on", "lights off", "wireless device", "group housed")


@dataclass(frozen=True)
class VideoSetup:
    """Everything fixed about one simulated video before any motion is drawn.

    Attributes
    ----------
    index
        Position of the video in the dataset (0-based).
    split
        ``"train"`` or ``"test"``.
    lab
        The lab the video imitates.
    video_id
        Unique integer id.
    fps
        Frames per second.
    n_frames
        Number of frames.
    n_mice
        Number of mice (ids 1..n_mice).
    body_parts
        Tracked body parts, in ``body_parts_tracked`` order.
    pix_per_cm
        Pixels per cm.
    frame_size
        ``(width, height)`` in pixels.
    origin_px
        Pixel position of the arena's top-left corner.
    arena
        Geometry in cm.
    arena_shape, arena_type, tracking_method
        Metadata text as written.
    whitelist
        ``behaviors_labeled`` triples, sorted.
    body_lengths
        Nose-to-tail-base length of each mouse in cm.
    objects
        Fixed object positions in cm (for object-directed actions).
    mice
        Per mouse, the values of the six ``mouse{N}_*`` columns.
    """

    index: int
    split: str
    lab: LabSpec
    video_id: int
    fps: float
    n_frames: int
    n_mice: int
    body_parts: tuple[str, ...]
    pix_per_cm: float
    frame_size: tuple[int, int]
    origin_px: tuple[float, float]
    arena: Arena
    arena_shape: str
    arena_type: str
    tracking_method: str
    whitelist: tuple[Triple, ...]
    body_lengths: tuple[float, ...]
    objects: tuple[tuple[float, float], ...]
    mice: tuple[dict[str, object], ...]

    @property
    def minutes(self) -> float:
        """Length of the recording in minutes."""
        return self.n_frames / self.fps / 60.0


def all_triples(lab: LabSpec, n_mice: int) -> list[Triple]:
    """Every (agent, target, action) the lab could label in a video with ``n_mice`` mice."""
    return _all_triples(tuple((a, spec.kind) for a, spec in lab.actions.items()), n_mice)


def _all_triples(kinds: tuple[tuple[str, str], ...], n_mice: int) -> list[Triple]:
    triples: list[Triple] = []
    for agent in range(1, n_mice + 1):
        for action, kind in kinds:
            if kind == "self":
                triples.append((schema.mouse_name(agent), "self", action))
                continue
            for target in range(1, n_mice + 1):
                if target != agent:
                    triples.append((schema.mouse_name(agent), schema.mouse_name(target), action))
    return triples


def _triple_key(triple: Triple) -> tuple[int, str, str]:
    return (schema.mouse_number(triple[0]), triple[1], triple[2])


def draw_whitelist(lab: LabSpec, n_mice: int, rng: np.random.Generator) -> tuple[Triple, ...]:
    """Pick the video's ``behaviors_labeled`` triples.

    The size is drawn within the lab's ``whitelist_min_max`` where the number
    of possible triples allows. A full whitelist sometimes omits one action
    (labels are sparse: the action still happens, unlabelled); a partial one
    favours mouse1 as agent, as resident-intruder labs do.
    """
    kinds = tuple((a, spec.kind) for a, spec in lab.actions.items())
    return _draw_triples(kinds, lab.whitelist_min_max, n_mice, rng)


def _draw_triples(
    kinds: tuple[tuple[str, str], ...],
    sizes: tuple[int, int],
    n_mice: int,
    rng: np.random.Generator,
) -> tuple[Triple, ...]:
    full = _all_triples(kinds, n_mice)
    low, high = sizes
    size = int(np.clip(rng.integers(low, high + 1), 1, len(full)))
    actions = [a for a, _ in kinds]
    if size >= len(full):
        chosen = full
        if len(actions) > 1 and rng.random() < 0.2:
            dropped = actions[int(rng.integers(len(actions)))]
            reduced = [t for t in full if t[2] != dropped]
            if len(reduced) >= low:
                chosen = reduced
        return tuple(sorted(chosen, key=_triple_key))
    agents = [schema.mouse_name(m) for m in rng.permutation(np.arange(1, n_mice + 1))]
    if rng.random() < 0.7:
        agents.remove("mouse1")
        agents.insert(0, "mouse1")
    order = [actions[i] for i in rng.permutation(len(actions))]
    ranked = sorted(full, key=lambda t: (agents.index(t[0]), order.index(t[2]), t[1]))
    return tuple(sorted(ranked[:size], key=_triple_key))


def whitelist_coverage(lab: LabSpec, n_mice: int) -> dict[str, float]:
    """Share of videos whose whitelist labels each action (for at least one pair).

    The catalog's rates are per minute of all of a lab's labelled video; a
    video that labels an action must show it more often than that average
    when other videos do not label it. Estimated once per lab with a fixed
    seed, so it does not depend on the user's seed.
    """
    kinds = tuple((a, spec.kind) for a, spec in lab.actions.items())
    return dict(_coverage(lab.name, kinds, lab.whitelist_min_max, n_mice))


@lru_cache(maxsize=128)
def _coverage(
    name: str,
    kinds: tuple[tuple[str, str], ...],
    sizes: tuple[int, int],
    n_mice: int,
    draws: int = 400,
) -> tuple[tuple[str, float], ...]:
    rng = np.random.default_rng(zlib.crc32(f"coverage:{name}:{n_mice}".encode()))
    counts = dict.fromkeys((a for a, _ in kinds), 0)
    for _ in range(draws):
        for action in {t[2] for t in _draw_triples(kinds, sizes, n_mice, rng)}:
            counts[action] += 1
    return tuple((action, n / draws) for action, n in counts.items())


def _draw_frames(lab: LabSpec, fps: float, minutes: float | None, rng: np.random.Generator) -> int:
    if minutes is not None:
        return max(1, int(round(minutes * 60.0 * fps)))
    p10, p50, p90 = lab.duration_sec
    seconds = float(split_lognormal(rng, p10, p50, p90))
    seconds = min(max(seconds, 0.5 * p10, 10.0), 1.2 * p90)
    return max(1, int(round(seconds * fps)))


def _fit_arena(
    arena_cm: tuple[float, float],
    frame: tuple[int, int],
    ppc_range: tuple[float, float],
    ppc: float,
) -> tuple[tuple[float, float], tuple[int, int], float]:
    """Orient the arena like the frame, then shrink pix/cm or grow the frame until it fits."""
    aw, ah = arena_cm
    fw, fh = frame
    if (aw > ah) != (fw > fh) and aw != ah and fw != fh:
        aw, ah = ah, aw
    room_w, room_h = fw - 2 * FRAME_MARGIN_PX, fh - 2 * FRAME_MARGIN_PX
    fit = min(room_w / aw, room_h / ah)
    if ppc > fit:
        ppc = max(fit, ppc_range[0])
    need_w = int(math.ceil(aw * ppc)) + 2 * FRAME_MARGIN_PX
    need_h = int(math.ceil(ah * ppc)) + 2 * FRAME_MARGIN_PX
    frame_out = (max(fw, need_w + need_w % 2), max(fh, need_h + need_h % 2))
    return (aw, ah), frame_out, ppc


def _lab_mice_template(lab: LabSpec, n_mice: int) -> list[dict[str, object]]:
    """Strain/colour/sex/age/condition per mouse slot, fixed per lab (seeded by its name)."""
    rng = np.random.default_rng(zlib.crc32(lab.name.encode()))
    resident = _STRAINS[int(rng.integers(len(_STRAINS)))]
    intruder = _STRAINS[int(rng.integers(len(_STRAINS)))]
    female_pairs = rng.random() < 0.3
    age = _AGES[int(rng.integers(len(_AGES)))]
    condition = _CONDITIONS[int(rng.integers(len(_CONDITIONS)))]
    base_id = int(rng.integers(100, 9000)) * 10
    mice = []
    for slot in range(n_mice):
        strain = resident if slot == 0 else intruder
        sex = "female" if (female_pairs and slot > 0) else "male"
        mice.append(
            {
                "strain": strain,
                "color": _COLORS.get(strain, "black"),
                "sex": sex,
                "id": base_id + slot,
                "age": age,
                "condition": condition,
            }
        )
    return mice


def _pick(values: tuple, rng: np.random.Generator):
    return values[int(rng.integers(len(values)))]


def draw_setup(
    lab: LabSpec,
    index: int,
    split: str,
    video_id: int,
    minutes: float | None,
    rng: np.random.Generator,
) -> VideoSetup:
    """Draw one video's recording set-up from its lab's catalog entry.

    Parameters
    ----------
    lab
        The lab imitated.
    index, split, video_id
        Where the video goes in the dataset.
    minutes
        Fixed video length, or ``None`` to draw it from the lab's durations.
    rng
        The video's own generator.
    """
    fps = float(_pick(lab.fps_values, rng))
    n_mice = int(_pick(lab.mice_per_video, rng))
    body_parts = tuple(_pick(lab.body_part_sets, rng))
    ppc = float(rng.uniform(*lab.pix_per_cm_range))
    arena_cm, frame, ppc = _fit_arena(
        _pick(lab.arena_sizes, rng), _pick(lab.frame_sizes, rng), lab.pix_per_cm_range, ppc
    )
    shape_text = str(_pick(lab.arena_shapes, rng))
    arena = Arena("circle" if "circ" in shape_text.lower() else "rect", *arena_cm)
    origin = (
        (frame[0] - arena_cm[0] * ppc) / 2.0,
        (frame[1] - arena_cm[1] * ppc) / 2.0,
    )
    n_frames = _draw_frames(lab, fps, minutes, rng)
    margin = 0.2 * min(arena_cm)
    objects = tuple(arena.random_point(rng, margin) for _ in range(2))
    lengths = tuple(float(v) for v in rng.uniform(8.0, 10.0, n_mice))
    template = _lab_mice_template(lab, n_mice)
    mouse_ids = int(rng.integers(0, 50)) * 10
    mice = tuple({**m, "id": float(cast(int, m["id"]) + mouse_ids)} for m in template)
    return VideoSetup(
        index=index,
        split=split,
        lab=lab,
        video_id=int(video_id),
        fps=fps,
        n_frames=n_frames,
        n_mice=n_mice,
        body_parts=body_parts,
        pix_per_cm=round(ppc, 2),
        frame_size=frame,
        origin_px=origin,
        arena=arena,
        arena_shape=shape_text,
        arena_type=str(_pick(lab.arena_types, rng)),
        tracking_method=str(_pick(lab.tracking_methods, rng)),
        whitelist=draw_whitelist(lab, n_mice, rng),
        body_lengths=lengths,
        objects=objects,
        mice=mice,
    )


def metadata_row(setup: VideoSetup) -> dict[str, object]:
    """Return the video's row of ``train.csv`` / ``test.csv``, keyed by the 38 column names.

    Mouse columns of absent mice are ``None`` (empty cells in the csv).
    """
    row: dict[str, object] = {"lab_id": setup.lab.name, "video_id": setup.video_id}
    for slot in range(schema.MAX_MICE):
        for field in schema.MOUSE_FIELDS:
            value = setup.mice[slot][field] if slot < setup.n_mice else None
            row[f"mouse{slot + 1}_{field}"] = value if value != "" else None
    row.update(
        {
            "frames_per_second": setup.fps,
            "video_duration_sec": round(setup.n_frames / setup.fps, 3),
            "pix_per_cm_approx": setup.pix_per_cm,
            "video_width_pix": setup.frame_size[0],
            "video_height_pix": setup.frame_size[1],
            "arena_width_cm": setup.arena.width,
            "arena_height_cm": setup.arena.height,
            "arena_shape": setup.arena_shape,
            "arena_type": setup.arena_type,
            "body_parts_tracked": json.dumps(list(setup.body_parts)),
            "behaviors_labeled": schema.format_behaviors_labeled(list(setup.whitelist)),
            "tracking_method": setup.tracking_method,
        }
    )
    return {column: row[column] for column in schema.METADATA_COLUMNS}
