"""Kinematic signatures of the 37 MABe actions, as one table of parameters.

Each action is described by a :class:`Signature`: which coarse controller
moves the agent (``family``), what happens just before the labelled start
(``pre``), what the partner does (``partner``), and the posture and
high-frequency motion the agent shows while the bout lasts (body length,
rearing height, bend, head dip, head oscillation, axial thrusts, jitter...).

Actions that look alike share a base entry and differ by a few fields
(``dataclasses.replace``), so the whole behaviour vocabulary reads as a table.

Coordinates of ``anchors`` are in the partner's body frame, in body lengths:
``u`` forward along the partner's heading (nose at +0.5, tail base at -0.5),
``w`` to its left. A bout picks one anchor; anchors with ``w != 0`` are
mirrored at random.

Families (agent, coarse): ``nose_to`` (nose at an anchor), ``over`` (body
centre at an anchor, heading relative to the partner's), ``behind`` (trail an
anchor at speed), ``toward`` (close the distance), ``away`` (leave the
partner), ``face`` (turn to the partner, hold), ``between`` (keep between the
partner and an arena landmark), ``spin`` (both rotate in contact), ``side``
(lie beside the partner), ``stay`` (stand still, optionally at a wall),
``run``, ``wall`` (climb), ``corner`` (dig), ``object``.

Pre-phases: ``rendezvous`` (reach the bout's start configuration),
``partner_approach`` (the partner comes to the agent), ``contact`` (start in
nose contact), ``none``, ``slow`` (decelerate).

Partner modes: ``free``, ``slow``, ``still``, ``walk``, ``flee``,
``approach`` (nose to the agent), ``pursue``, ``face`` (nose to the agent's
face), ``erratic``, ``pushed`` (moves away from the agent), ``spin``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mabe.data import schema

FACE = (0.5, 0.0)
HEAD = (0.32, 0.08)
FLANK = (0.0, 0.22)
BACK = (-0.1, 0.05)
GENITAL = (-0.6, 0.0)


@dataclass(frozen=True)
class Signature:
    """How one action moves the agent and its partner.

    Attributes
    ----------
    family, pre, partner
        Coarse controllers (see the module docstring).
    speed
        Agent speed scale in cm/s (its meaning depends on ``family``).
    partner_speed
        Partner speed in cm/s for moving partner modes.
    anchors
        Candidate goal points ``(u, w)`` in the partner's body frame (body lengths).
    heading
        Agent heading relative to the partner's (``over``/``side``), radians.
    place
        ``""``, ``"wall"`` (go to a wall first), ``"wall_sometimes"``, ``"corner"``, ``"object"``.
    length
        Body-length factor (projected nose-to-tail-base / nominal).
    height
        Rearing in [0, 1]: shortens the front half of the projected body.
    bend
        Body bend in radians per body length (side chosen per bout).
    pitch
        Head dip in [0, 1]: shortens the projected head.
    head_amp, head_freq
        Side-to-side head oscillation (radians, Hz).
    axial_amp, axial_freq
        Back-and-forth body thrusts along the heading (cm, Hz).
    pulse
        One displacement along the heading over the bout (cm, negative = backwards).
    jitter, turn_jitter
        Fast positional (cm) and heading (radians) shake.
    micro
        Scale of the background micro-motion (1 normal, ~0 frozen).
    partner_jitter, partner_turn_jitter, partner_micro
        The same for the partner.
    symmetric
        Labelled for both mice (``reciprocalsniff``, ``huddle``).
    then
        Action whose signature takes over after ``switch`` of the bout (``chaseattack``).
    switch
        Fraction of the bout before ``then`` takes over.
    """

    family: str
    pre: str = "rendezvous"
    partner: str = "slow"
    speed: float = 6.0
    partner_speed: float = 0.0
    anchors: tuple[tuple[float, float], ...] = ((0.0, 0.0),)
    heading: float = 0.0
    place: str = ""
    length: float = 1.0
    height: float = 0.0
    bend: float = 0.0
    pitch: float = 0.0
    head_amp: float = 0.0
    head_freq: float = 0.0
    axial_amp: float = 0.0
    axial_freq: float = 0.0
    pulse: float = 0.0
    jitter: float = 0.0
    turn_jitter: float = 0.0
    micro: float = 1.0
    partner_jitter: float = 0.0
    partner_turn_jitter: float = 0.0
    partner_micro: float = 1.0
    symmetric: bool = False
    then: str = ""
    switch: float = 1.0


_SNIFF = Signature(
    "nose_to",
    anchors=(FACE, FLANK, BACK, GENITAL, GENITAL),
    speed=6.0,
    pitch=0.15,
    head_amp=0.06,
    head_freq=6.0,
    micro=0.7,
    partner_micro=0.8,
)
_MOUNT = Signature(
    "over",
    partner="still",
    anchors=((-0.3, 0.0),),
    speed=8.0,
    length=0.85,
    height=0.45,
    pitch=0.2,
    jitter=0.15,
    micro=0.6,
    partner_micro=0.5,
)
_GROOM = Signature(
    "nose_to",
    partner="still",
    anchors=(HEAD, (0.15, 0.1)),
    speed=3.0,
    pitch=0.35,
    head_amp=0.25,
    head_freq=4.0,
    micro=0.6,
    partner_micro=0.4,
)
_RETREAT = Signature("away", pre="partner_approach", partner="approach", partner_speed=8.0)
_STILL = Signature("stay", pre="slow", partner="free")
_PURSUIT = Signature(
    "behind", partner="walk", anchors=((-1.4, 0.0),), speed=18.0, partner_speed=12.0
)
_ATTACK = Signature(
    "nose_to",
    partner="erratic",
    anchors=(FLANK, BACK, GENITAL),
    speed=35.0,
    partner_speed=15.0,
    length=0.95,
    axial_amp=1.2,
    axial_freq=4.0,
    jitter=0.6,
    turn_jitter=0.35,
    partner_jitter=0.5,
    partner_turn_jitter=0.3,
)

SIGNATURES: dict[str, Signature] = {
    # --- investigation
    "sniff": _SNIFF,
    "sniffface": replace(_SNIFF, anchors=(FACE,)),
    "sniffbody": replace(_SNIFF, anchors=(FLANK, BACK, (0.15, 0.2))),
    "sniffgenital": replace(_SNIFF, anchors=(GENITAL,), pitch=0.25),
    "reciprocalsniff": replace(_SNIFF, anchors=(FACE,), partner="face", symmetric=True),
    "approach": Signature("toward", partner="free", speed=15.0, length=1.04),
    # --- grooming a partner
    "allogroom": _GROOM,
    "dominancegroom": replace(
        _GROOM, family="over", anchors=((-0.15, 0.15),), heading=0.3, height=0.25, speed=4.0
    ),
    # --- sexual
    "mount": _MOUNT,
    "intromit": replace(_MOUNT, axial_amp=0.5, axial_freq=5.0, micro=0.4),
    "attemptmount": replace(
        _MOUNT,
        partner="slow",
        anchors=((-0.45, 0.12),),
        heading=0.35,
        height=0.3,
        jitter=0.5,
        turn_jitter=0.2,
        micro=1.0,
    ),
    "dominancemount": replace(_MOUNT, anchors=((-0.15, 0.2),), heading=0.6, height=0.4),
    "ejaculate": replace(
        _MOUNT, anchors=((-0.3, 0.06),), height=0.5, bend=0.3, jitter=0.0, micro=0.03,
        partner_micro=0.08,
    ),
    # --- pursuit
    "follow": _PURSUIT,
    "chase": replace(
        _PURSUIT, partner="flee", anchors=((-1.1, 0.0),), speed=45.0, partner_speed=35.0,
        length=1.08, turn_jitter=0.05,
    ),
    "chaseattack": replace(
        _PURSUIT, partner="flee", anchors=((-1.0, 0.0),), speed=45.0, partner_speed=33.0,
        length=1.08, then="attack", switch=0.55,
    ),
    "shepherd": Signature("between", partner="pushed", speed=12.0, partner_speed=7.0),
    # --- aggression
    "attack": _ATTACK,
    "tussle": Signature(
        "spin", partner="spin", speed=40.0, length=0.9, jitter=0.8, turn_jitter=0.3,
        partner_jitter=0.8, partner_turn_jitter=0.3,
    ),
    "dominance": replace(
        _MOUNT, partner="pushed", partner_speed=3.0, anchors=((0.05, 0.4),), heading=1.2,
        height=0.3, length=1.0, speed=5.0, partner_micro=0.8,
    ),
    "defend": Signature(
        "face", pre="partner_approach", partner="approach", partner_speed=10.0, height=0.6,
        length=0.9, jitter=0.3, head_amp=0.2, head_freq=3.0, partner_jitter=0.4,
    ),
    # --- retreat
    "avoid": replace(_RETREAT, speed=12.0),
    "escape": replace(_RETREAT, speed=35.0, partner="pursue", partner_speed=20.0, length=1.08),
    "disengage": replace(_RETREAT, pre="contact", partner="slow", speed=7.0),
    "flinch": replace(_RETREAT, speed=4.0, pulse=-2.0, head_amp=0.4, head_freq=3.0),
    "submit": replace(
        _RETREAT, speed=1.0, partner_speed=4.0, height=0.35, bend=0.4, length=0.9, micro=0.3
    ),
    # --- self, in place
    "rear": replace(_STILL, place="wall_sometimes", height=0.85, length=0.97, micro=0.6),
    "selfgroom": replace(
        _STILL, length=0.8, bend=0.35, pitch=0.3, head_amp=0.35, head_freq=4.0, micro=0.5
    ),
    "genitalgroom": replace(
        _STILL, length=0.75, bend=1.4, pitch=0.3, head_amp=0.15, head_freq=3.0, micro=0.5
    ),
    "freeze": replace(_STILL, length=0.9, micro=0.02),
    "rest": replace(_STILL, length=0.8, bend=0.5, pitch=0.2, micro=0.05),
    "huddle": Signature(
        "side", partner="still", anchors=((0.0, 0.55), (-0.1, 0.55)), speed=5.0, length=0.9,
        bend=0.2, micro=0.15, partner_micro=0.15, symmetric=True,
    ),
    # --- self, moving or at a place
    "run": Signature("run", pre="none", partner="free", speed=40.0, length=1.1, micro=0.5),
    "climb": Signature(
        "wall", place="wall", partner="free", speed=4.0, height=0.95, jitter=0.2, micro=0.5
    ),
    "dig": Signature(
        "corner", place="corner", partner="free", speed=2.0, length=0.95, pitch=0.35,
        axial_amp=0.35, axial_freq=4.0, jitter=0.25,
    ),
    "biteobject": Signature(
        "object", place="object", partner="free", speed=3.0, pitch=0.2, head_amp=0.2, head_freq=5.0
    ),
    "exploreobject": Signature(
        "object", place="object", partner="free", speed=4.0, pitch=0.15, head_amp=0.1, head_freq=2.0
    ),
}
"""The signature of every MABe action (all 37 of :data:`mabe.data.schema.ACTIONS`)."""

GENERIC = Signature("nose_to", anchors=(FLANK,), speed=6.0)
"""Used for an action name the table does not know (pair); self ones use :data:`GENERIC_SELF`."""

GENERIC_SELF = replace(_STILL, head_amp=0.2, head_freq=2.0)


def signature(action: str) -> Signature:
    """Return the signature of ``action``; unknown actions get a generic one."""
    if action in SIGNATURES:
        return SIGNATURES[action]
    return GENERIC_SELF if action in schema.SELF_ACTIONS else GENERIC


def is_self_action(action: str, kind: str | None = None) -> bool:
    """Whether ``action`` targets its agent (from the catalog ``kind`` when known)."""
    if kind is not None:
        return kind == "self"
    return action in schema.SELF_ACTIONS
