"""Per-step motion primitives of one simulated mouse (coarse time step ``DT``).

A :class:`Mouse` holds its centre (cm), heading (radians, never wrapped, so it
can be interpolated), speed and the state of its background wandering. The
primitives move it one step: :func:`goto` (reach a goal pose at a speed
limit), :func:`steer` (head somewhere at a speed, avoiding walls), :func:`hold`
(slow to a stop) and :func:`wander` (background locomotion: a correlated
random walk with pauses, walks, fast runs and visits to other mice).

These run once per mouse per step in pure Python on floats, which is far
faster than numpy for single values.
"""

from __future__ import annotations

import math

import numpy as np

from mabe.data.synth.arena import Arena
from mabe.data.synth.distributions import angle_diff

DT = 0.05
"""Coarse time step in seconds (20 Hz, independent of the video frame rate)."""

TURN_RATE = 4.0 * math.pi
"""Fastest turn in radians per second."""

CLAMP_MARGIN = 2.0
"""Body centres stay this many cm inside the walls."""

WALL_REACH = 7.0
"""Walls closer than this (cm, at the look-ahead point) steer a moving mouse away."""

_SPEED_TAU = 0.25
_OMEGA_TAU = 0.6
_OMEGA_SIGMA = 1.3
_REGIMES = ("pause", "walk", "run", "visit")
_REGIME_P = (0.3, 0.55, 0.06, 0.09)


class Mouse:
    """Mutable state of one mouse in the coarse simulation."""

    __slots__ = ("x", "y", "th", "v", "length", "regime", "timer", "v_goal", "omega", "visit")

    def __init__(self, x: float, y: float, th: float, length: float) -> None:
        self.x = x
        self.y = y
        self.th = th
        self.v = 0.0
        self.length = length
        self.regime = "pause"
        self.timer = 0.0
        self.v_goal = 0.0
        self.omega = 0.0
        self.visit = -1


def turn_toward(th: float, goal: float, max_step: float) -> float:
    """Heading ``th`` turned toward ``goal`` by at most ``max_step`` radians."""
    d = angle_diff(goal, th)
    return th + max(-max_step, min(max_step, d))


def goto(mo: Mouse, gx: float, gy: float, gth: float, vmax: float, arena: Arena) -> None:
    """Move toward ``(gx, gy)`` at most ``vmax`` cm/s; face the motion while far, then ``gth``."""
    dx, dy = gx - mo.x, gy - mo.y
    dist = math.hypot(dx, dy)
    step = min(dist, max(vmax, 0.0) * DT)
    if dist > 1e-9:
        mo.x += dx / dist * step
        mo.y += dy / dist * step
    speed = step / DT
    facing = math.atan2(dy, dx) if dist > 0.6 * mo.length and speed > 5.0 else gth
    mo.th = turn_toward(mo.th, facing, TURN_RATE * DT)
    mo.x, mo.y = arena.clamp(mo.x, mo.y, CLAMP_MARGIN)
    mo.v = speed


def steer(mo: Mouse, heading: float, speed: float, arena: Arena) -> None:
    """Head toward ``heading`` at ``speed`` cm/s, turning away from walls ahead."""
    look = 0.4 * mo.v + 3.0
    ahead_x = mo.x + look * math.cos(mo.th)
    ahead_y = mo.y + look * math.sin(mo.th)
    if arena.wall_distance(ahead_x, ahead_y) < WALL_REACH:
        nx, ny, strength = arena.avoidance(ahead_x, ahead_y, WALL_REACH)
    else:
        strength = 0.0
    if strength > 0.0:
        vx = math.cos(heading) + 3.0 * strength * nx
        vy = math.sin(heading) + 3.0 * strength * ny
        heading = math.atan2(vy, vx)
    mo.th = turn_toward(mo.th, heading, TURN_RATE * DT)
    mo.v += (speed - mo.v) * min(1.0, DT / _SPEED_TAU)
    mo.x += mo.v * math.cos(mo.th) * DT
    mo.y += mo.v * math.sin(mo.th) * DT
    mo.x, mo.y = arena.clamp(mo.x, mo.y, CLAMP_MARGIN)


def hold(mo: Mouse, arena: Arena, face: float | None = None, tau: float = 0.2) -> None:
    """Slow to a stop (time constant ``tau`` s), optionally turning to ``face``."""
    mo.v *= math.exp(-DT / tau)
    if face is not None:
        mo.th = turn_toward(mo.th, face, 0.5 * TURN_RATE * DT)
    mo.x += mo.v * math.cos(mo.th) * DT
    mo.y += mo.v * math.sin(mo.th) * DT
    mo.x, mo.y = arena.clamp(mo.x, mo.y, CLAMP_MARGIN)


def update_omega(mo: Mouse, noise: float, scale: float = 1.0) -> float:
    """Advance the mouse's turning-rate OU process and return it (rad/s)."""
    a = math.exp(-DT / _OMEGA_TAU)
    sigma = _OMEGA_SIGMA * scale / (1.0 + mo.v / 20.0)
    mo.omega = mo.omega * a + sigma * math.sqrt(1.0 - a * a) * noise
    return mo.omega


def _next_regime(mo: Mouse, n_mice: int, me: int, rng: np.random.Generator) -> None:
    regime = _REGIMES[int(rng.choice(4, p=_REGIME_P))]
    if regime == "visit" and n_mice < 2:
        regime = "walk"
    mo.regime = regime
    if regime == "pause":
        mo.timer, mo.v_goal = rng.exponential(1.5), rng.uniform(0.0, 1.5)
    elif regime == "walk":
        mo.timer, mo.v_goal = rng.exponential(3.0) + 0.3, rng.uniform(4.0, 12.0)
    elif regime == "run":
        mo.timer, mo.v_goal = rng.uniform(0.6, 2.0), rng.uniform(22.0, 35.0)
    else:
        others = [m for m in range(n_mice) if m != me]
        mo.visit = others[int(rng.integers(len(others)))]
        mo.timer, mo.v_goal = rng.uniform(1.5, 4.0), rng.uniform(8.0, 15.0)


def wander(
    mo: Mouse,
    me: int,
    snap: list[tuple[float, float, float, float]],
    arena: Arena,
    noise: float,
    rng: np.random.Generator,
    vcap: float | None = None,
) -> None:
    """One step of background locomotion.

    Parameters
    ----------
    mo, me
        The mouse and its slot.
    snap
        ``(x, y, th, v)`` of every mouse at the start of the step.
    arena
        Walls to avoid.
    noise
        A standard normal draw for the turning process.
    rng
        Generator for regime changes (rare).
    vcap
        Upper speed limit (a partner slowing down), or ``None``.
    """
    mo.timer -= DT
    if mo.timer <= 0.0:
        _next_regime(mo, len(snap), me, rng)
    heading = mo.th + update_omega(mo, noise) * DT
    if mo.regime == "visit":
        ox, oy = snap[mo.visit][0], snap[mo.visit][1]
        dist = math.hypot(ox - mo.x, oy - mo.y)
        if dist < 1.1 * mo.length:
            mo.regime, mo.v_goal = "walk", max(mo.v_goal, 6.0)
        else:
            heading = math.atan2(oy - mo.y, ox - mo.x) + 0.35 * math.sin(mo.timer)
    heading = _repel(mo, me, snap, heading)
    speed = mo.v_goal if vcap is None else min(mo.v_goal, vcap)
    steer(mo, heading, speed, arena)


def _repel(
    mo: Mouse, me: int, snap: list[tuple[float, float, float, float]], heading: float
) -> float:
    """Turn away from mice closer than one body length (free mice rarely overlap)."""
    vx, vy = math.cos(heading), math.sin(heading)
    for m, (ox, oy, _, _) in enumerate(snap):
        if m == me or mo.regime == "visit":
            continue
        dx, dy = mo.x - ox, mo.y - oy
        dist = math.hypot(dx, dy)
        if 1e-9 < dist < mo.length:
            push = 1.5 * (1.0 - dist / mo.length)
            vx += push * dx / dist
            vy += push * dy / dist
    return math.atan2(vy, vx)
