"""The packaged catalog of the 19 annotated MABe 2025 labs.

The catalog (``mabe/data/resources/lab_catalog.json``) holds facts computed
from the public MABe metadata and annotations: each lab's recording set-up
(frame rate, mice per video, body-part sets, pixels per cm, arena, video
durations, whitelist sizes) and, per action, how often bouts occur and how
long they last. It holds no poses and no per-video labels. The simulator
(:mod:`mabe.data.synth`) draws its videos from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from mabe.errors import MabeError

_RESOURCE = "lab_catalog.json"


@dataclass(frozen=True)
class ActionSpec:
    """How one action occurs in one lab's annotations.

    Attributes
    ----------
    name
        Action name, e.g. ``"sniff"``.
    kind
        ``"self"`` (target is the agent) or ``"pair"``.
    bouts
        Number of annotated bouts in the lab.
    bouts_per_minute
        Bouts per minute of labelled video (all agent/target pairs together).
    duration_sec
        Bout duration percentiles p10, p50, p90 in seconds.
    duration_frames
        Bout duration percentiles p10, p50, p90 in frames (at the lab's
        typical frame rate).
    frames_fraction
        Fraction of labelled video frames covered by this action.
    """

    name: str
    kind: str
    bouts: int
    bouts_per_minute: float
    duration_sec: tuple[float, float, float]
    duration_frames: tuple[float, float, float]
    frames_fraction: float


@dataclass(frozen=True)
class LabSpec:
    """The recording set-up of one lab and the actions it annotates.

    Attributes
    ----------
    name
        Lab id as in ``train.csv`` (``"CalMS21_task1"``).
    videos, annotated_videos
        Videos in the real dataset, and how many of them carry labels.
    tracking_methods
        Pose trackers used (``"DeepLabCut"``, ``"SLEAP"``, ``"MARS"``).
    fps_values
        Frame rates seen in the lab.
    mice_per_video
        Mouse counts seen in the lab.
    body_part_sets
        The body-part lists tracked, each sorted.
    pix_per_cm_range
        Smallest and largest pixels-per-cm.
    frame_sizes
        Example ``(width, height)`` frame sizes in pixels.
    arena_sizes
        Example ``(width, height)`` arena sizes in cm.
    arena_shapes, arena_types
        Values of the ``arena_shape`` / ``arena_type`` columns.
    duration_sec
        Video duration percentiles p10, p50, p90 in seconds.
    whitelist_min_max
        Fewest and most ``behaviors_labeled`` triples in one video.
    in_kaggle_test_set
        Whether the lab appears in the hidden Kaggle test set.
    actions
        Annotated actions by name.
    """

    name: str
    videos: int
    annotated_videos: int
    tracking_methods: tuple[str, ...]
    fps_values: tuple[float, ...]
    mice_per_video: tuple[int, ...]
    body_part_sets: tuple[tuple[str, ...], ...]
    pix_per_cm_range: tuple[float, float]
    frame_sizes: tuple[tuple[int, int], ...]
    arena_sizes: tuple[tuple[float, float], ...]
    arena_shapes: tuple[str, ...]
    arena_types: tuple[str, ...]
    duration_sec: tuple[float, float, float]
    whitelist_min_max: tuple[int, int]
    in_kaggle_test_set: bool
    actions: dict[str, ActionSpec]

    @property
    def typical_fps(self) -> float:
        """Frame rate at which ``duration_frames`` were counted.

        The median ratio of frame to second durations over the lab's actions,
        snapped to the closest of :attr:`fps_values`.
        """
        ratios = [
            a.duration_frames[1] / a.duration_sec[1]
            for a in self.actions.values()
            if a.duration_sec[1] > 0
        ]
        if not ratios:
            return self.fps_values[0]
        ratios.sort()
        mid = ratios[len(ratios) // 2]
        return min(self.fps_values, key=lambda f: abs(f - mid))


def _triple(values: list[float]) -> tuple[float, float, float]:
    if len(values) != 3:
        raise ValueError(f"expected p10, p50, p90, got {values!r}")
    return (float(values[0]), float(values[1]), float(values[2]))


def _action(name: str, raw: dict) -> ActionSpec:
    return ActionSpec(
        name=name,
        kind=str(raw["kind"]),
        bouts=int(raw["bouts"]),
        bouts_per_minute=float(raw["bouts_per_minute"]),
        duration_sec=_triple(raw["duration_sec_p10_p50_p90"]),
        duration_frames=_triple(raw["duration_frames_p10_p50_p90"]),
        frames_fraction=float(raw["frames_fraction_of_labelled_video"]),
    )


def _lab(name: str, raw: dict) -> LabSpec:
    low, high = raw["pix_per_cm_range"]
    wl_min, wl_max = raw["whitelist_triples_per_video_min_max"]
    return LabSpec(
        name=name,
        videos=int(raw["videos"]),
        annotated_videos=int(raw["annotated_videos"]),
        tracking_methods=tuple(str(t) for t in raw["tracking_method"]),
        fps_values=tuple(float(f) for f in raw["frames_per_second"]),
        mice_per_video=tuple(int(m) for m in raw["mice_per_video"]),
        body_part_sets=tuple(tuple(str(p) for p in s) for s in raw["body_part_sets"]),
        pix_per_cm_range=(float(low), float(high)),
        frame_sizes=tuple((int(w), int(h)) for w, h in raw["video_wh_pix_examples"]),
        arena_sizes=tuple((float(w), float(h)) for w, h in raw["arena_cm_examples"]),
        arena_shapes=tuple(str(s) for s in raw["arena_shape"]),
        arena_types=tuple(str(s) for s in raw["arena_type"]),
        duration_sec=_triple(raw["video_duration_sec_p10_p50_p90"]),
        whitelist_min_max=(int(wl_min), int(wl_max)),
        in_kaggle_test_set=bool(raw["in_kaggle_test_set"]),
        actions={a: _action(a, spec) for a, spec in sorted(raw["actions"].items())},
    )


@lru_cache(maxsize=1)
def _load() -> tuple[tuple[str, LabSpec], ...]:
    resource = resources.files("mabe.data").joinpath("resources").joinpath(_RESOURCE)
    raw = json.loads(resource.read_text("utf-8"))
    return tuple((name, _lab(name, spec)) for name, spec in sorted(raw["labs"].items()))


def load_catalog() -> dict[str, LabSpec]:
    """Return the packaged lab catalog, keyed by lab id (sorted).

    Returns
    -------
    dict[str, LabSpec]
        A fresh dict on every call; the specs themselves are frozen.

    Examples
    --------
    >>> catalog = load_catalog()
    >>> catalog["CalMS21_task1"].actions["sniff"].kind
    'pair'
    """
    return dict(_load())


def select_labs(names: list[str] | None) -> list[LabSpec]:
    """Look up labs by id, all labs (sorted) when ``names`` is ``None``.

    Raises
    ------
    MabeError
        If a name is not a catalog lab; the message lists the valid names.
    """
    catalog = load_catalog()
    if names is None:
        return list(catalog.values())
    unknown = [n for n in names if n not in catalog]
    if unknown:
        raise MabeError(
            f"unknown lab(s) {', '.join(unknown)}; valid labs: {', '.join(catalog)}"
        )
    if not names:
        raise MabeError(f"no lab given; valid labs: {', '.join(catalog)}")
    return [catalog[n] for n in dict.fromkeys(names)]
