"""Per-frame posture of every mouse: background micro-motion plus bout signatures.

Starting from the upsampled centre and heading (:class:`~mabe.data.synth.motion.Track`),
this adds the posture channels the body model renders (body-length factor,
rearing height, bend, head yaw, head dip, tail bend) and the fast
components of behaviour: each bout applies its :class:`~mabe.data.synth.signatures.Signature`
over its frames with smooth edges. Unlabelled look-alikes (short shallow
rears, head-oscillation bursts) are sprinkled over free frames so that
posture alone never gives a bout away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mabe.data.synth.distributions import ou_noise, smooth_window
from mabe.data.synth.motion import Track
from mabe.data.synth.schedule import Bout
from mabe.data.synth.signatures import Signature, signature

_REAR_LIKE_PER_MIN = 0.8
_HEAD_BURSTS_PER_MIN = 0.4


@dataclass
class Posture:
    """Everything the body model needs, each ``(frames, mice)``.

    Attributes
    ----------
    x, y
        Body centre in arena cm.
    th
        Heading (radians).
    length
        Projected body-length factor (1 = nominal nose-to-tail-base).
    height
        Rearing in [0, 1].
    bend
        Body bend, radians per body length.
    head
        Head yaw relative to the body axis (radians).
    pitch
        Head dip in [0, 1].
    tail
        Tail bend, radians per body length.
    """

    x: np.ndarray
    y: np.ndarray
    th: np.ndarray
    length: np.ndarray
    height: np.ndarray
    bend: np.ndarray
    head: np.ndarray
    pitch: np.ndarray
    tail: np.ndarray

    def frames(self, start: int, stop: int) -> Posture:
        """Return the channels of frames ``start:stop`` (views, not copies)."""
        return Posture(**{name: getattr(self, name)[start:stop] for name in _CHANNELS})


_CHANNELS = ("x", "y", "th", "length", "height", "bend", "head", "pitch", "tail")


def _segments(bout: Bout) -> list[tuple[int, int, Signature]]:
    """``(start, stop, signature)`` pieces of a bout (two for ``chaseattack``)."""
    sig = signature(bout.action)
    if not sig.then:
        return [(bout.start, bout.stop, sig)]
    cut = bout.start + int(round(sig.switch * bout.duration))
    pieces = [(bout.start, cut, sig), (cut, bout.stop, signature(sig.then))]
    return [p for p in pieces if p[1] > p[0]]


def _window(n: int, fps: float) -> np.ndarray:
    return smooth_window(n, max(1, min(int(0.12 * fps), n // 4)))


def _micro_scale(bouts: list[Bout], n_frames: int, n_mice: int, fps: float) -> np.ndarray:
    """Scale of background micro-motion per frame and mouse (frozen mice: ~0)."""
    scale = np.ones((n_frames, n_mice))
    for bout in bouts:
        for s, e, sig in _segments(bout):
            w = _window(e - s, fps)
            roles = [(bout.agent, sig.micro)]
            if bout.partner != bout.agent:
                roles.append((bout.partner, sig.partner_micro))
            for m, micro in roles:
                if micro < 1.0:
                    scale[s:e, m] = np.minimum(scale[s:e, m], 1.0 - w * (1.0 - micro))
    return scale


def _base(track: Track, micro: np.ndarray, fps: float, rng: np.random.Generator) -> Posture:
    n, m = track.x.shape
    dt = 1.0 / fps
    vx = np.gradient(track.x, axis=0) * fps if n > 1 else np.zeros((n, m))
    vy = np.gradient(track.y, axis=0) * fps if n > 1 else np.zeros((n, m))
    speed = np.hypot(vx, vy)
    omega = np.gradient(track.th, axis=0) * fps if n > 1 else np.zeros((n, m))
    bend = np.clip(0.12 * omega, -0.7, 0.7) + micro * ou_noise(rng, n, 0.08, 1.0, dt, (m,))
    slow = np.exp(-speed / 6.0)
    return Posture(
        x=track.x + micro * ou_noise(rng, n, 0.08, 0.3, dt, (m,)),
        y=track.y + micro * ou_noise(rng, n, 0.08, 0.3, dt, (m,)),
        th=track.th.copy(),
        length=1.0
        + 0.05 * np.tanh((speed - 10.0) / 8.0)
        + micro * ou_noise(rng, n, 0.025, 1.0, dt, (m,)),
        height=np.zeros((n, m)),
        bend=bend,
        head=0.3 * bend + micro * ou_noise(rng, n, 0.18, 0.4, dt, (m,)),
        pitch=np.clip(0.12 * slow + micro * ou_noise(rng, n, 0.06, 0.8, dt, (m,)), 0.0, 0.5),
        tail=-0.5 * bend + ou_noise(rng, n, 0.35, 1.0, dt, (m,)),
    )


def _shake(rng: np.random.Generator, n: int, sigma: float, fps: float, tau: float) -> np.ndarray:
    return ou_noise(rng, n, sigma, tau, 1.0 / fps) if sigma > 0 else np.zeros(n)


def _apply_agent(p: Posture, bout: Bout, s: int, e: int, sig: Signature, fps: float, rng) -> None:
    n, a = e - s, bout.agent
    w = _window(n, fps)
    t = np.arange(n) / fps
    p.length[s:e, a] += w * (sig.length - 1.0)
    if sig.height > 0:
        depth = sig.height * rng.uniform(0.7, 1.1)
        p.height[s:e, a] = np.maximum(p.height[s:e, a], w * min(depth, 1.0))
    p.bend[s:e, a] += w * sig.bend * bout.side
    p.pitch[s:e, a] += w * sig.pitch
    if sig.head_amp > 0:
        freq = min(sig.head_freq * rng.uniform(0.85, 1.15), fps / 3.0)
        phase = rng.uniform(0, 2 * math.pi)
        p.head[s:e, a] += w * sig.head_amp * np.sin(2 * math.pi * freq * t + phase)
    p.th[s:e, a] += w * _shake(rng, n, sig.turn_jitter, fps, 0.1)
    along = np.zeros(n)
    if sig.axial_amp > 0:
        freq = min(sig.axial_freq * rng.uniform(0.85, 1.15), fps / 3.0)
        along += sig.axial_amp * np.sin(2 * math.pi * freq * t)
    if sig.pulse != 0:
        along += sig.pulse * np.sin(math.pi * (t + 0.5 / fps) / (n / fps))
    c, si = np.cos(p.th[s:e, a]), np.sin(p.th[s:e, a])
    p.x[s:e, a] += w * (along * c + _shake(rng, n, sig.jitter, fps, 0.08))
    p.y[s:e, a] += w * (along * si + _shake(rng, n, sig.jitter, fps, 0.08))


def _apply_partner(p: Posture, bout: Bout, s: int, e: int, sig: Signature, fps: float, rng) -> None:
    if bout.partner == bout.agent or (sig.partner_jitter == 0 and sig.partner_turn_jitter == 0):
        return
    n, m = e - s, bout.partner
    w = _window(n, fps)
    p.th[s:e, m] += w * _shake(rng, n, sig.partner_turn_jitter, fps, 0.1)
    p.x[s:e, m] += w * _shake(rng, n, sig.partner_jitter, fps, 0.08)
    p.y[s:e, m] += w * _shake(rng, n, sig.partner_jitter, fps, 0.08)


def _busy(bouts: list[Bout], n_frames: int, n_mice: int) -> np.ndarray:
    busy = np.zeros((n_frames, n_mice), dtype=bool)
    for bout in bouts:
        for m in bout.mice:
            busy[max(0, bout.start - bout.lead) : bout.stop, m] = True
    return busy


def _free_events(busy: np.ndarray, per_min: float, seconds: tuple[float, float], fps: float, rng):
    """Random ``(mouse, start, stop)`` windows that avoid every bout of their mouse."""
    n, n_mice = busy.shape
    minutes = n / fps / 60.0
    for m in range(n_mice):
        for _ in range(int(rng.poisson(per_min * minutes))):
            length = int(rng.uniform(*seconds) * fps) + 2
            start = int(rng.integers(0, max(1, n - length)))
            stop = min(n, start + length)
            if stop - start > 2 and not busy[start:stop, m].any():
                yield m, start, stop


def _distractors(p: Posture, busy: np.ndarray, fps: float, rng: np.random.Generator) -> None:
    """Unlabelled look-alikes: shallow short rears and head-oscillation bursts."""
    for m, s, e in _free_events(busy, _REAR_LIKE_PER_MIN, (0.3, 1.0), fps, rng):
        w = _window(e - s, fps)
        p.height[s:e, m] = np.maximum(p.height[s:e, m], w * rng.uniform(0.2, 0.6))
    for m, s, e in _free_events(busy, _HEAD_BURSTS_PER_MIN, (0.4, 1.5), fps, rng):
        t = np.arange(e - s) / fps
        freq = min(rng.uniform(2.5, 5.0), fps / 3.0)
        p.head[s:e, m] += _window(e - s, fps) * 0.2 * np.sin(2 * math.pi * freq * t)


def build_posture(track: Track, bouts: list[Bout], fps: float, rng: np.random.Generator) -> Posture:
    """Posture channels of every mouse and frame.

    Parameters
    ----------
    track
        Upsampled centres and headings.
    bouts
        The video's schedule (labelled or not).
    fps
        Frame rate.
    rng
        The video's posture generator.
    """
    n, n_mice = track.x.shape
    micro = _micro_scale(bouts, n, n_mice, fps)
    posture = _base(track, micro, fps, rng)
    for bout in bouts:
        for s, e, sig in _segments(bout):
            _apply_agent(posture, bout, s, e, sig, fps, rng)
            _apply_partner(posture, bout, s, e, sig, fps, rng)
    _distractors(posture, _busy(bouts, n, n_mice), fps, rng)
    np.clip(posture.height, 0.0, 1.0, out=posture.height)
    np.clip(posture.pitch, 0.0, 0.9, out=posture.pitch)
    return posture
