"""The mouse body model: named keypoints placed from a posture.

Every body part sits at ``(u, w)`` in the body frame, in body lengths
(nose-to-tail-base): ``u`` forward from the body centre (nose +0.5, tail base
-0.5), ``w`` to the animal's left. Parts belong to one of three segments:

* ``body``: follows the bent spine; rearing (``height``) foreshortens the
  front half strongly and the back half a little, as seen from above;
* ``head``: turns about the neck by the head yaw and shortens with the head dip;
* ``tail``: trails from the tail base with its own bend.

All 25 body-part names found in MABe are placed; any other name gets a
deterministic position derived from a hash of the name.
"""

from __future__ import annotations

import hashlib

import numpy as np

from mabe.data.synth.posture import Posture

NECK_U = 0.22
TAIL_BASE_U = -0.5
_FRONT_SQUASH = 0.55
_BACK_SQUASH = 0.12

LAYOUT: dict[str, tuple[float, float, str]] = {
    "nose": (0.5, 0.0, "head"),
    "head": (0.36, 0.0, "head"),
    "ear_left": (0.29, 0.11, "head"),
    "ear_right": (0.29, -0.11, "head"),
    "headpiece_topfrontleft": (0.36, 0.05, "head"),
    "headpiece_topfrontright": (0.36, -0.05, "head"),
    "headpiece_topbackleft": (0.28, 0.05, "head"),
    "headpiece_topbackright": (0.28, -0.05, "head"),
    "headpiece_bottomfrontleft": (0.37, 0.08, "head"),
    "headpiece_bottomfrontright": (0.37, -0.08, "head"),
    "headpiece_bottombackleft": (0.27, 0.08, "head"),
    "headpiece_bottombackright": (0.27, -0.08, "head"),
    "neck": (NECK_U, 0.0, "body"),
    "spine_1": (0.11, 0.0, "body"),
    "body_center": (0.0, 0.0, "body"),
    "lateral_left": (0.0, 0.15, "body"),
    "lateral_right": (0.0, -0.15, "body"),
    "spine_2": (-0.22, 0.0, "body"),
    "hip_left": (-0.32, 0.12, "body"),
    "hip_right": (-0.32, -0.12, "body"),
    "tail_base": (TAIL_BASE_U, 0.0, "body"),
    "tail_middle_1": (-0.75, 0.0, "tail"),
    "tail_midpoint": (-0.92, 0.0, "tail"),
    "tail_middle_2": (-1.08, 0.0, "tail"),
    "tail_tip": (-1.38, 0.0, "tail"),
}
"""Body-frame position and segment of every MABe body part."""


def part_position(name: str) -> tuple[float, float, str]:
    """``(u, w, segment)`` of a body part; unknown names hash to a spot on the body.

    Examples
    --------
    >>> part_position("nose")
    (0.5, 0.0, 'head')
    >>> part_position("left_paw") == part_position("left_paw")
    True
    """
    if name in LAYOUT:
        return LAYOUT[name]
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    u = -0.45 + 0.9 * digest[0] / 255.0
    w = -0.15 + 0.3 * digest[1] / 255.0
    return (round(u, 4), round(w, 4), "body")


def _body_u(u: float, length: np.ndarray, height: np.ndarray) -> np.ndarray:
    squash = _FRONT_SQUASH if u > 0 else _BACK_SQUASH
    return u * length * (1.0 - squash * height)


def _spine_point(
    p: Posture, u: float, w: float, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    ue = _body_u(u, p.length, p.height)
    angle = p.th + p.bend * ue / 2.0
    c, s = np.cos(angle), np.sin(angle)
    wl = w * (1.0 - 0.2 * p.height)
    return p.x + lengths * (ue * c + wl * s), p.y + lengths * (ue * s - wl * c)


def _head_point(
    p: Posture, u: float, w: float, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    nx, ny = _spine_point(p, NECK_U, 0.0, lengths)
    angle = p.th + p.bend * _body_u(NECK_U, p.length, p.height) + p.head
    scale = p.length * (1.0 - _FRONT_SQUASH * p.height) * (1.0 - 0.6 * p.pitch)
    c, s = np.cos(angle), np.sin(angle)
    du = (u - NECK_U) * scale
    return nx + lengths * (du * c + w * s), ny + lengths * (du * s - w * c)


def _tail_point(p: Posture, u: float, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bx, by = _spine_point(p, TAIL_BASE_U, 0.0, lengths)
    base_angle = p.th + p.bend * _body_u(TAIL_BASE_U, p.length, p.height)
    du = u - TAIL_BASE_U
    angle = base_angle + p.tail * du / 2.0
    return bx + lengths * du * np.cos(angle), by + lengths * du * np.sin(angle)


def render(posture: Posture, body_parts: tuple[str, ...], lengths_cm: np.ndarray) -> np.ndarray:
    """Keypoints of every mouse in arena cm.

    Parameters
    ----------
    posture
        Posture channels, each ``(frames, mice)``.
    body_parts
        Names to place, in output order.
    lengths_cm
        Nose-to-tail-base length of each mouse, shape ``(mice,)``.

    Returns
    -------
    numpy.ndarray
        ``(frames, mice, parts, 2)`` positions (x, y) in cm.
    """
    n, m = posture.x.shape
    out = np.empty((n, m, len(body_parts), 2))
    lengths = np.asarray(lengths_cm, dtype=float)[None, :]
    for i, name in enumerate(body_parts):
        u, w, segment = part_position(name)
        if segment == "head":
            x, y = _head_point(posture, u, w, lengths)
        elif segment == "tail":
            x, y = _tail_point(posture, u, lengths)
        else:
            x, y = _spine_point(posture, u, w, lengths)
        out[:, :, i, 0] = x
        out[:, :, i, 1] = y
    return out
