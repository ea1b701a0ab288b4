"""Coarse controllers: where a bout moves its agent and partner, step by step.

A :class:`Plan` is a scheduled bout in seconds with its per-bout variants
(anchor, side, landmark). :func:`control` moves one mouse of a plan one step,
dispatching on the signature's ``family`` (agent), ``pre`` (before the
labelled start) and ``partner`` mode. Goal poses are computed from the other
mouse's state at the start of the step, in its body frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mabe.data.synth.arena import Arena
from mabe.data.synth.kinematics import DT, Mouse, goto, hold, steer, update_omega, wander
from mabe.data.synth.schedule import Bout
from mabe.data.synth.signatures import FACE, FLANK, GENITAL, Signature, signature

State = tuple[float, float, float, float]
"""``(x, y, th, v)`` of a mouse at the start of a step."""

_PARTNER_PRE = {"behind": "walk"}
_FOLLOW_CAP = 15.0
"""Most speed (cm/s) a mouse adds to keep up with the one it is attending to; the cap
keeps two mice sniffing each other from speeding each other up."""


@dataclass
class Plan:
    """A bout in seconds plus the variants drawn for it."""

    bout: Bout
    sig: Signature
    t_lead: float
    t_start: float
    t_stop: float
    anchor: tuple[float, float]
    spin: float
    offset: float
    landmark: tuple[float, float, float, float] | None = field(default=None)

    def signature_at(self, t: float) -> Signature:
        """Return the signature in force at time ``t`` (``chaseattack`` switches halfway)."""
        sig = self.sig
        if sig.then and t >= self.t_start + sig.switch * (self.t_stop - self.t_start):
            return signature(sig.then)
        return sig

    def anchor_for(self, sig: Signature) -> tuple[float, float]:
        """Return the bout's anchor among ``sig``'s (differs from :attr:`anchor` after a switch)."""
        return self.anchor if sig is self.sig else _pick_anchor(sig, self.bout)


def _pick_anchor(sig: Signature, bout: Bout) -> tuple[float, float]:
    u, w = sig.anchors[min(int(bout.choice * len(sig.anchors)), len(sig.anchors) - 1)]
    return u, w * bout.side


def make_plan(bout: Bout, fps: float) -> Plan:
    """Turn a scheduled bout (frames) into a coarse plan (seconds) with its variants."""
    sig = signature(bout.action)
    return Plan(
        bout=bout,
        sig=sig,
        t_lead=(bout.start - bout.lead) / fps,
        t_start=bout.start / fps,
        t_stop=bout.stop / fps,
        anchor=_pick_anchor(sig, bout),
        spin=bout.side * (3.0 + 3.0 * bout.choice),
        offset=0.0 if sig.partner == "face" else 0.4 * (2.0 * bout.choice - 1.0),
    )


def body_point(s: State, length: float, u: float, w: float) -> tuple[float, float]:
    """World position of body-frame point ``(u, w)`` (body lengths; ``w`` to the left)."""
    c, si = math.cos(s[2]), math.sin(s[2])
    return s[0] + length * (u * c + w * si), s[1] + length * (u * si - w * c)


def nose_goal(
    mo: Mouse, other: State, other_len: float, anchor: tuple[float, float], offset: float
) -> tuple[float, float, float]:
    """Centre and heading that put the mouse's nose on ``anchor`` of the other mouse.

    The mouse faces the anchor from outside the other's body (from the front for
    the face, from behind for the anogenital region, from the side for flanks).
    """
    u, w = anchor
    px, py = body_point(other, other_len, u, w)
    if math.hypot(u, w) > 0.15:
        out_x, out_y = px - other[0], py - other[1]
        gth = math.atan2(-out_y, -out_x) + offset
    else:
        gth = math.atan2(py - mo.y, px - mo.x)
    return px - 0.5 * mo.length * math.cos(gth), py - 0.5 * mo.length * math.sin(gth), gth


def _landmark(
    plan: Plan, mo: Mouse, arena: Arena, objects: tuple
) -> tuple[float, float, float, float]:
    """Choose the place a self action goes to (once, near the mouse)."""
    if plan.landmark is None:
        place = plan.sig.place or plan.sig.family
        if place == "object" and objects:
            ox, oy = min(objects, key=lambda o: (o[0] - mo.x) ** 2 + (o[1] - mo.y) ** 2)
            plan.landmark = (ox, oy, 0.0, 0.0)
        elif place == "corner" and plan.bout.choice < 0.5:
            plan.landmark = arena.nearest_corner(mo.x, mo.y)
        elif place == "between":
            plan.landmark = arena.nearest_corner(mo.x, mo.y)
        else:
            plan.landmark = arena.nearest_wall(mo.x, mo.y)
    return plan.landmark


def _wants_place(plan: Plan) -> bool:
    place = plan.sig.place
    if place == "wall_sometimes":
        return plan.bout.choice < 0.4
    return place in ("wall", "corner", "object")


def agent_goal(
    plan: Plan, sig: Signature, mo: Mouse, other: State, other_len: float, t: float, sim: Context
) -> tuple[float, float, float, float] | None:
    """Goal ``(x, y, heading, vmax)`` of the agent, or ``None`` for steering families."""
    fam = sig.family
    vmax = sig.speed + min(other[3], _FOLLOW_CAP)
    if fam == "nose_to":
        return (*nose_goal(mo, other, other_len, plan.anchor_for(sig), plan.offset), vmax)
    if fam in ("over", "side"):
        gx, gy = body_point(other, other_len, *plan.anchor_for(sig))
        flip = math.pi if fam == "side" and plan.bout.choice > 0.5 else 0.0
        return gx, gy, other[2] + plan.bout.side * sig.heading + flip, vmax
    if fam == "behind":
        gx, gy = body_point(other, other_len, plan.anchor[0], 0.0)
        return gx, gy, math.atan2(other[1] - mo.y, other[0] - mo.x), sig.speed
    if fam == "toward":
        dx, dy = other[0] - mo.x, other[1] - mo.y
        dist = max(math.hypot(dx, dy), 1e-9)
        stop = 0.55 * (mo.length + other_len)
        if t < plan.t_start:  # lead-in: take some distance first, so the approach has room
            stop = 2.2 * (mo.length + other_len) / 2.0
        elif dist < stop:
            stop = dist
        gx, gy = other[0] - dx / dist * stop, other[1] - dy / dist * stop
        return gx, gy, math.atan2(dy, dx), sig.speed
    if fam == "between":
        lx, ly, _, _ = _landmark(plan, mo, sim.arena, sim.objects)
        dx, dy = lx - other[0], ly - other[1]
        dist = max(math.hypot(dx, dy), 1e-9)
        gx, gy = other[0] + 0.9 * other_len * dx / dist, other[1] + 0.9 * other_len * dy / dist
        return gx, gy, math.atan2(other[1] - gy, other[0] - gx), vmax
    if fam == "spin":
        cx, cy = (mo.x + other[0]) / 2.0, (mo.y + other[1]) / 2.0
        phi = math.atan2(mo.y - cy, mo.x - cx) + plan.spin * DT
        r = 0.3 * (mo.length + other_len) / 2.0
        gth = phi + math.copysign(math.pi / 2, plan.spin)
        return cx + r * math.cos(phi), cy + r * math.sin(phi), gth, sig.speed
    if fam in ("wall", "corner", "stay") and _wants_place(plan):
        lx, ly, nx, ny = _landmark(plan, mo, sim.arena, sim.objects)
        back = (0.55 if fam == "corner" else 0.4) * mo.length
        gth = math.atan2(-ny, -nx) + (plan.bout.side * 0.5 if fam == "corner" else 0.0)
        return lx + nx * back, ly + ny * back, gth, sig.speed + 3.0
    if fam == "object":
        lx, ly, _, _ = _landmark(plan, mo, sim.arena, sim.objects)
        if sig.head_freq < 3.0:  # exploring: circle the object slowly
            phi = plan.offset * 8.0 + 0.8 * t
            lx, ly = lx + 0.15 * mo.length * math.cos(phi), ly + 0.15 * mo.length * math.sin(phi)
        gth = math.atan2(ly - mo.y, lx - mo.x)
        reach = 0.5 * mo.length
        return lx - reach * math.cos(gth), ly - reach * math.sin(gth), gth, sig.speed
    return None


class Context:
    """What controllers need besides the two mice: arena, objects, noise, rng."""

    __slots__ = ("arena", "objects", "rng", "noise", "lengths")

    def __init__(
        self, arena: Arena, objects: tuple, rng: np.random.Generator, lengths: list[float]
    ) -> None:
        self.arena = arena
        self.objects = objects
        self.rng = rng
        self.noise = [0.0] * len(lengths)
        self.lengths = lengths


def _agent_in(
    plan: Plan, mo: Mouse, me: int, other: State, olen: float, t: float, snap, sim: Context
) -> None:
    sig = plan.signature_at(t)
    goal = agent_goal(plan, sig, mo, other, olen, t, sim)
    if goal is not None:
        goto(mo, *goal, sim.arena)
    elif sig.family == "away":
        heading = math.atan2(mo.y - other[1], mo.x - other[0]) + plan.offset
        steer(mo, heading, sig.speed, sim.arena)
    elif sig.family == "run":
        steer(mo, mo.th + 0.3 * update_omega(mo, sim.noise[me]) * DT, sig.speed, sim.arena)
    elif sig.family == "face":
        hold(mo, sim.arena, face=math.atan2(other[1] - mo.y, other[0] - mo.x))
    else:
        hold(mo, sim.arena, tau=0.15 if sig.micro < 0.1 else 0.3)


def _agent_pre(
    plan: Plan, mo: Mouse, me: int, other: State, olen: float, t: float, snap, sim: Context
) -> None:
    sig = plan.sig
    goal = None
    if sig.pre == "contact":
        anchor = (FLANK[0], FLANK[1] * plan.bout.side)
        goal = (*nose_goal(mo, other, olen, anchor, 0.0), 0.0)
    elif sig.pre == "rendezvous" or _wants_place(plan):
        goal = agent_goal(plan, sig, mo, other, olen, t, sim)
    if goal is not None:
        gx, gy, gth, _ = goal
        remaining = max(plan.t_start - t, DT)
        dist = math.hypot(gx - mo.x, gy - mo.y)
        vmax = min(45.0, max(4.0, 1.3 * dist / remaining + other[3]))
        goto(mo, gx, gy, gth, vmax, sim.arena)
        return
    if sig.pre == "none":
        wander(mo, me, snap, sim.arena, sim.noise[me], sim.rng)
    else:
        hold(mo, sim.arena, tau=0.4)


def _partner_step(
    plan: Plan, mo: Mouse, me: int, agent: State, alen: float, t: float, snap, sim: Context
) -> None:
    sig = plan.signature_at(max(t, plan.t_start))
    mode = sig.partner
    if t < plan.t_start:
        mode = "approach" if sig.pre == "partner_approach" else _PARTNER_PRE.get(sig.family, "slow")
    if mode == "approach":
        gx, gy, gth = nose_goal(mo, agent, alen, (FLANK[0], FLANK[1] * plan.bout.side), 0.0)
        if t < plan.t_start:
            remaining = max(plan.t_start - t, DT)
            needed = 1.3 * math.hypot(gx - mo.x, gy - mo.y) / remaining + agent[3]
            vmax = min(40.0, max(4.0, needed))
        else:  # keeps coming, but slower than a retreating agent
            vmax = sig.partner_speed
        goto(mo, gx, gy, gth, vmax, sim.arena)
    elif mode in ("pursue", "face"):
        anchor = GENITAL if mode == "pursue" else FACE
        gx, gy, gth = nose_goal(mo, agent, alen, anchor, 0.0)
        vmax = sig.partner_speed if mode == "pursue" else 4.0
        goto(mo, gx, gy, gth, vmax, sim.arena)
    elif mode == "spin":
        goal = agent_goal(plan, sig, mo, agent, alen, t, sim)
        assert goal is not None, "spin is a goal family, never a steering one"
        goto(mo, *goal, sim.arena)
    elif mode in ("flee", "pushed"):
        away = math.atan2(mo.y - agent[1], mo.x - agent[0])
        steer(mo, away + 0.2 * update_omega(mo, sim.noise[me]) * DT, sig.partner_speed, sim.arena)
    elif mode in ("walk", "erratic"):
        scale = 3.0 if mode == "erratic" else 0.5
        speed = sig.partner_speed if t >= plan.t_start else max(8.0, 0.5 * sig.partner_speed)
        steer(mo, mo.th + update_omega(mo, sim.noise[me], scale) * DT, speed, sim.arena)
    elif mode == "still":
        hold(mo, sim.arena, tau=0.3)
    else:
        vcap = 4.0 if mode == "slow" else None
        wander(mo, me, snap, sim.arena, sim.noise[me], sim.rng, vcap=vcap)


def control(plan: Plan, mo: Mouse, me: int, t: float, snap: list[State], sim: Context) -> None:
    """Move mouse ``me`` one step as its role in ``plan`` says."""
    bout = plan.bout
    if me == bout.agent:
        if bout.partner == bout.agent:
            other, olen = snap[me], mo.length
        else:
            other, olen = snap[bout.partner], sim.lengths[bout.partner]
        step = _agent_pre if t < plan.t_start else _agent_in
        step(plan, mo, me, other, olen, t, snap, sim)
    else:
        _partner_step(plan, mo, me, snap[bout.agent], sim.lengths[bout.agent], t, snap, sim)
