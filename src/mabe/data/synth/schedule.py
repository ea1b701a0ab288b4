"""Bout schedules: which mouse does what to whom, when, and for how long.

For each action of the video's lab, bouts arrive as a Poisson process at the
catalog's ``bouts_per_minute`` (all agent/target pairs together) and last a
duration drawn from a log-normal matched to the catalog's frame percentiles
p10/p50/p90 (scaled when the video's frame rate differs from the lab's
typical one). A mouse is moved by one bout at a time (including a short
lead-in while it gets into position); a passive partner (being sniffed or
approached) stays free to do something else. This also guarantees that no
(agent, target) pair ever carries two actions on the same frame. A candidate
whose mice are busy waits for them, so rates hold unless a lab's behaviours
would need more time than there is.

Most bouts go to whitelisted triples; some happen on triples that are not
labelled in the video (labels are sparse), and so do the actions a video's
whitelist omits.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mabe.data import schema
from mabe.data.catalog import ActionSpec
from mabe.data.synth.distributions import split_lognormal
from mabe.data.synth.recording import VideoSetup, whitelist_coverage
from mabe.data.synth.signatures import signature

UNLABELLED_SHARE = 0.1
"""Share of an action's bouts done by a pair whose triple is not whitelisted."""

OMITTED_RATE = 0.25
"""Rate factor of an action that the video's whitelist omits entirely."""

MIN_COVERAGE = 0.25
"""Rates are raised for rarely whitelisted actions by at most 1 / MIN_COVERAGE."""

MAX_DEFER_SECONDS = 10.0
"""A bout whose mice are busy waits for them at most this long, then is dropped."""

_LEAD_SECONDS = {
    "rendezvous": 0.8, "partner_approach": 0.8, "contact": 0.8, "slow": 0.3, "none": 0.1,
}
_PLACE_SECONDS = 1.5
_PASSIVE_PARTNER = ("free", "slow")


@dataclass(frozen=True)
class Bout:
    """One simulated bout (labelled or not).

    Attributes
    ----------
    action
        Action name.
    agent, partner
        Mouse slots (0-based). ``partner`` is the target of pair actions, the
        huddle partner, or the agent itself for solo self actions.
    start, stop
        Frames, ``stop`` exclusive (the true interval, before annotator jitter).
    lead
        Frames before ``start`` during which the bout already steers its mice
        (getting into position).
    holds_partner
        Whether the bout moves the partner too (a chased mouse, a mounted one).
        A passive partner (being sniffed, approached) stays free to do
        something else at the same time.
    labels
        ``(agent_slot, target_slot)`` rows written to the annotations (empty
        when the triple is not whitelisted).
    side
        +1 or -1: mirrors anchors, bends and turns.
    choice
        Uniform number in [0, 1) that picks the anchor and other variants.
    """

    action: str
    agent: int
    partner: int
    start: int
    stop: int
    lead: int
    holds_partner: bool
    labels: tuple[tuple[int, int], ...]
    side: float
    choice: float

    @property
    def duration(self) -> int:
        """Frames of the bout (``stop - start``)."""
        return self.stop - self.start

    @property
    def mice(self) -> tuple[int, ...]:
        """The mice this bout moves (agent, and the partner when held)."""
        if self.partner == self.agent or not self.holds_partner:
            return (self.agent,)
        return (self.agent, self.partner)


def lead_seconds(action: str, arena_cm: float = 30.0) -> float:
    """Seconds before an action's labelled start during which its mice get into position.

    Longer in arenas larger than 30 cm (``arena_cm``: the smaller side), where
    mice start farther apart.
    """
    sig = signature(action)
    if sig.place in ("wall", "corner", "object"):
        base = _PLACE_SECONDS
    else:
        base = _LEAD_SECONDS.get(sig.pre, 0.5)
    return base * min(3.0, max(1.0, arena_cm / 30.0))


def holds_partner(action: str) -> bool:
    """Whether ``action`` moves its partner (otherwise the partner is passive)."""
    sig = signature(action)
    return sig.partner not in _PASSIVE_PARTNER or sig.pre == "partner_approach"


def duration_scale(setup: VideoSetup) -> float:
    """Factor from the lab's frame-based durations to this video's frame rate."""
    return setup.fps / setup.lab.typical_fps


def draw_durations(
    spec: ActionSpec, scale: float, n: int, rng: np.random.Generator, limit: int
) -> np.ndarray:
    """Bout durations in frames: split log-normal on p10/p50/p90, clipped to [2, 3 p90]."""
    p10, p50, p90 = (v * scale for v in spec.duration_frames)
    draws = np.asarray(split_lognormal(rng, max(p10, 1.0), max(p50, 1.0), max(p90, 1.0), size=n))
    high = max(2.0, min(3.0 * max(p90, 1.0), float(limit)))
    return np.clip(np.rint(draws), 2, high).astype(np.int64)


def _labelled_pairs(setup: VideoSetup, action: str) -> set[tuple[int, int]]:
    pairs = set()
    for agent, target, name in setup.whitelist:
        if name == action:
            a = schema.mouse_number(agent) - 1
            t = a if target == "self" else schema.mouse_number(target) - 1
            pairs.add((a, t))
    return pairs


Option = tuple[int, int, tuple[tuple[int, int], ...]]
"""``(agent, partner, label rows)``."""


def _options(setup: VideoSetup, action: str, kind: str) -> list[Option]:
    """Every (agent, partner, label rows) a bout of ``action`` could take."""
    labelled = _labelled_pairs(setup, action)
    sig = signature(action)
    n = setup.n_mice
    options = []
    for a in range(n):
        if kind == "self" and not sig.symmetric:
            options.append((a, a, tuple(p for p in [(a, a)] if p in labelled)))
            continue
        for t in range(n):
            if t == a:
                continue
            if kind == "self":  # partnered self action (huddle): both mice labelled
                rows = [(a, a), (t, t)]
            else:
                rows = [(a, t), (t, a)] if sig.symmetric else [(a, t)]
            options.append((a, t, tuple(p for p in rows if p in labelled)))
    return options


def action_rate(setup: VideoSetup, action: str) -> float:
    """Bouts per minute of ``action`` in this video (all pairs together).

    The catalog rate is a lab-wide average over labelled video; it is raised
    by how rarely the lab's whitelists label the action and by the share of
    bouts going to unlabelled pairs, so that the labelled rate of a lab
    matches the catalog. Actions the whitelist omits still happen, rarer.
    """
    spec = setup.lab.actions[action]
    rate = spec.bouts_per_minute
    if signature(action).symmetric:
        rate /= 2.0  # each bout is labelled for both mice
    if not _labelled_pairs(setup, action):
        return rate * OMITTED_RATE
    coverage = whitelist_coverage(setup.lab, setup.n_mice).get(action, 1.0)
    return rate / max(coverage, MIN_COVERAGE) / (1.0 - UNLABELLED_SHARE)


def _candidates(setup: VideoSetup, rng: np.random.Generator) -> list[tuple[int, int, str]]:
    """Poisson arrivals ``(start, duration, action)`` of every action, in start order."""
    scale = duration_scale(setup)
    found: list[tuple[int, int, str]] = []
    for action, spec in setup.lab.actions.items():
        rate = action_rate(setup, action)
        count = int(rng.poisson(rate * setup.minutes))
        starts = rng.integers(0, max(setup.n_frames, 1), count)
        durations = draw_durations(spec, scale, count, rng, setup.n_frames)
        found += [(int(s), int(d), action) for s, d in zip(starts, durations, strict=True)]
    found.sort()
    return found


def _pool(options: list[Option], rng: np.random.Generator) -> list[Option]:
    """Labelled options, or (sometimes, or when there are none) unlabelled ones."""
    labelled = [o for o in options if o[2]]
    unlabelled = [o for o in options if not o[2]]
    if labelled and (not unlabelled or rng.random() >= UNLABELLED_SHARE):
        return labelled
    return unlabelled


class _Occupancy:
    """When each mouse is free again, and which mice a bout of an option needs."""

    def __init__(self, n_mice: int) -> None:
        self.free_at = [0] * n_mice

    @staticmethod
    def needed(option: Option, holds: bool) -> tuple[int, ...]:
        agent, partner, _ = option
        return (agent, partner) if holds and partner != agent else (agent,)

    def ready(self, option: Option, holds: bool) -> int:
        """First frame from which every needed mouse is free."""
        return max(self.free_at[m] for m in self.needed(option, holds))


def schedule_bouts(setup: VideoSetup, rng: np.random.Generator) -> list[Bout]:
    """Draw the video's bouts, in start order, no mouse moved by two at once.

    A candidate whose mice are busy waits until they are free (up to
    :data:`MAX_DEFER_SECONDS`), so the catalog rates are met unless the lab's
    behaviours would need more time than the video has.

    Parameters
    ----------
    setup
        The video's recording set-up (lab, fps, length, mice, whitelist).
    rng
        The video's schedule generator.
    """
    options = {a: _options(setup, a, s.kind) for a, s in setup.lab.actions.items()}
    weights = rng.dirichlet(np.full(setup.n_mice, 2.0))
    max_defer = int(MAX_DEFER_SECONDS * setup.fps)
    arena_cm = min(setup.arena.width, setup.arena.height)
    occupancy = _Occupancy(setup.n_mice)
    queue = [
        (start, seq, duration, action, start, _pool(options[action], rng))
        for seq, (start, duration, action) in enumerate(_candidates(setup, rng))
    ]
    heapq.heapify(queue)
    bouts: list[Bout] = []
    while queue:
        start, seq, duration, action, first, pool = heapq.heappop(queue)
        lead = int(round(lead_seconds(action, arena_cm) * setup.fps))
        start = max(start, lead)
        if not pool or start + duration > setup.n_frames:
            continue
        holds = holds_partner(action)
        ready = [o for o in pool if occupancy.ready(o, holds) <= start - lead]
        if not ready:
            free = min(occupancy.ready(o, holds) for o in pool)
            later = free + lead + int(rng.integers(0, lead + 2))
            if later - first <= max_defer:
                heapq.heappush(queue, (later, seq, duration, action, first, pool))
            continue
        p = np.array([weights[o[0]] for o in ready])
        agent, partner, labels = ready[int(rng.choice(len(ready), p=p / p.sum()))]
        bout = Bout(
            action, agent, partner, start, start + duration, lead, holds, labels,
            side=1.0 if rng.random() < 0.5 else -1.0, choice=float(rng.random()),
        )
        for m in bout.mice:
            occupancy.free_at[m] = bout.stop
        bouts.append(bout)
    bouts.sort(key=lambda b: (b.start, b.agent, b.action))
    return bouts


def _jitter_boundaries(
    start: int, stop: int, n_frames: int, rng: np.random.Generator
) -> tuple[int, int]:
    sigma = min(3.0, max(0.3, 0.06 * (stop - start)))
    s = int(np.clip(start + round(rng.normal(0.0, sigma)), 0, n_frames - 1))
    e = int(np.clip(stop + round(rng.normal(0.0, sigma)), s + 1, n_frames))
    return s, e


def annotation_rows(bouts: list[Bout], n_frames: int, rng: np.random.Generator) -> pd.DataFrame:
    """Return the annotation rows of the labelled bouts, as an annotator would write them.

    Boundaries get annotator jitter; intervals stay within ``[0, n_frames)``
    (stop exclusive) and never overlap for one (agent, target) pair.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~mabe.data.schema.ANNOTATION_COLUMNS` with dtypes
        :data:`~mabe.data.schema.ANNOTATION_DTYPES` (1-based mouse ids),
        sorted by start frame.
    """
    rows: list[tuple[int, int, str, int, int]] = []
    for bout in bouts:
        for agent, target in bout.labels:
            s, e = _jitter_boundaries(bout.start, bout.stop, n_frames, rng)
            rows.append((agent + 1, target + 1, bout.action, s, e))
    rows.sort(key=lambda r: (r[0], r[1], r[3], r[4]))
    kept: list[tuple[int, int, str, int, int]] = []
    last_stop: dict[tuple[int, int], int] = {}
    for agent, target, action, s, e in rows:
        s = max(s, last_stop.get((agent, target), 0))
        if e > s:
            kept.append((agent, target, action, s, e))
            last_stop[(agent, target)] = e
    kept.sort(key=lambda r: (r[3], r[0], r[1], r[4]))
    frame = pd.DataFrame(
        {
            "agent_id": np.array([r[0] for r in kept], dtype=np.int8),
            "target_id": np.array([r[1] for r in kept], dtype=np.int8),
            "action": pd.Series([r[2] for r in kept], dtype=object),
            "start_frame": np.array([r[3] for r in kept], dtype=np.int32),
            "stop_frame": np.array([r[4] for r in kept], dtype=np.int32),
        }
    )
    return frame.astype(schema.ANNOTATION_DTYPES)
