"""The coarse motion simulation of all mice of one video, and its upsampling.

Mice move at a fixed 20 Hz step (:data:`~mabe.data.synth.kinematics.DT`),
whatever the video's frame rate: free mice wander, mice taking part in a bout
follow its controller (:mod:`mabe.data.synth.controllers`). The trajectories
are then interpolated to the video's frames with a Catmull-Rom cubic; the fast
components of behaviour (head oscillation, thrusts, jitter) are added per
frame by :mod:`mabe.data.synth.posture`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mabe.data.synth.controllers import Context, Plan, control, make_plan
from mabe.data.synth.kinematics import DT, Mouse, wander
from mabe.data.synth.recording import VideoSetup
from mabe.data.synth.schedule import Bout

_UPSAMPLE_BLOCK = 65_536


@dataclass
class Track:
    """Per-frame centre and heading of every mouse.

    Attributes
    ----------
    x, y
        Body centre in arena cm, shape ``(frames, mice)``.
    th
        Heading in radians (continuous, not wrapped), shape ``(frames, mice)``.
    """

    x: np.ndarray
    y: np.ndarray
    th: np.ndarray


def _initial_mice(setup: VideoSetup, rng: np.random.Generator) -> list[Mouse]:
    mice = []
    for length in setup.body_lengths:
        x, y = setup.arena.random_point(rng, 0.15 * min(setup.arena.width, setup.arena.height))
        mice.append(Mouse(x, y, float(rng.uniform(-math.pi, math.pi)), length))
    return mice


def _activity(
    plans: list[Plan], n_mice: int, n_steps: int
) -> tuple[list[list[int]], list[list[bool]]]:
    """Return, per mouse and step, the plan it follows (-1: free) and whether it slows.

    A mouse slows when it is approached by a bout that asks its passive partner to.
    """
    active = [[-1] * n_steps for _ in range(n_mice)]
    slowed = [[False] * n_steps for _ in range(n_mice)]
    for j, plan in enumerate(plans):
        k0 = max(0, int(math.floor(plan.t_lead / DT)))
        k1 = min(n_steps, int(math.ceil(plan.t_stop / DT)))
        bout = plan.bout
        for m in bout.mice:
            active[m][k0:k1] = [j] * (k1 - k0)
        if bout.partner not in bout.mice and plan.sig.partner == "slow":
            slowed[bout.partner][k0:k1] = [True] * (k1 - k0)
    return active, slowed


def simulate_coarse(setup: VideoSetup, bouts: list[Bout], rng: np.random.Generator) -> np.ndarray:
    """Run the coarse simulation.

    Parameters
    ----------
    setup
        The video's set-up (arena, mice, objects, frame count).
    bouts
        Its schedule (no mouse in two bouts at once).
    rng
        The video's motion generator.

    Returns
    -------
    numpy.ndarray
        ``float64`` array ``(steps, mice, 3)`` of x, y (cm) and heading.
    """
    n_mice = setup.n_mice
    n_steps = int(math.ceil(setup.n_frames / setup.fps / DT)) + 2
    plans = [make_plan(b, setup.fps) for b in bouts]
    active, slowed = _activity(plans, n_mice, n_steps)
    mice = _initial_mice(setup, rng)
    sim = Context(setup.arena, setup.objects, rng, [mo.length for mo in mice])
    noise = rng.standard_normal((n_steps, n_mice))
    out = np.empty((n_steps, n_mice, 3))
    arena = setup.arena
    for k in range(n_steps):
        t = k * DT
        snap = [(mo.x, mo.y, mo.th, mo.v) for mo in mice]
        sim.noise = noise[k].tolist()
        for m, mo in enumerate(mice):
            j = active[m][k]
            if j < 0:
                wander(mo, m, snap, arena, sim.noise[m], rng, vcap=4.0 if slowed[m][k] else None)
            else:
                control(plans[j], mo, m, t, snap, sim)
        out[k] = [(mo.x, mo.y, mo.th) for mo in mice]
    return out


def upsample(coarse: np.ndarray, n_frames: int, fps: float) -> Track:
    """Interpolate the coarse trajectories onto the video's frame times.

    Catmull-Rom cubic interpolation (smooth velocity, local: no global spline
    coefficients), so memory stays proportional to the output.
    """
    steps = coarse.shape[0]
    padded = np.concatenate([coarse[:1], coarse, coarse[-1:], coarse[-1:]], axis=0)
    fine = np.empty((n_frames, *coarse.shape[1:]))
    for start in range(0, n_frames, _UPSAMPLE_BLOCK):
        t = np.arange(start, min(n_frames, start + _UPSAMPLE_BLOCK)) / fps / DT
        k = np.minimum(np.floor(t).astype(np.int64), steps - 1)
        u = (t - k)[:, None, None]
        p0, p1, p2, p3 = padded[k], padded[k + 1], padded[k + 2], padded[k + 3]
        fine[start : start + len(t)] = p1 + 0.5 * u * (
            (p2 - p0) + u * ((2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3) + u * (3.0 * (p1 - p2) + p3 - p0))
        )
    return Track(x=fine[..., 0], y=fine[..., 1], th=fine[..., 2])


def simulate_track(setup: VideoSetup, bouts: list[Bout], rng: np.random.Generator) -> Track:
    """Coarse simulation then upsampling: every mouse's centre and heading per frame."""
    return upsample(simulate_coarse(setup, bouts, rng), setup.n_frames, setup.fps)
