"""Left/right mirroring of a pose: x reflected, left and right body parts swapped.

The mirror image of a scene is an equally plausible scene with the same
behaviours, so a model can be asked about both and its two answers averaged
(test-time augmentation, ``mirror_tta`` in :class:`mabe.config.Config`).
Reflecting x alone is not a mirror image: the left ear would then sit on the
right side of the head, so the names must swap too.

Pairing rule (:func:`mirror_pairs`): a body part's partner is the *other* name
of the list obtained by one of these rewrites, tried in order (case kept:
``left``/``Left``/``LEFT``):

1. ``left`` <-> ``right`` anywhere in the name (``ear_left`` <-> ``ear_right``,
   ``headpiece_topleft`` <-> ``headpiece_topright``, ``LeftEar`` <-> ``RightEar``);
2. a one-letter ``l`` / ``r`` token, set off by ``_``, ``-``, ``.`` or a space
   (``l_ear`` <-> ``r_ear``, ``ear_L`` <-> ``ear_R``);
3. a trailing or leading ``l`` / ``r`` glued to the rest (``earl`` <-> ``earr``,
   ``lear`` <-> ``rear``), only when that partner is in the list, which is
   what keeps ``tail`` or ``rear`` unpaired in a list without ``taiR``/``lear``.

A rewrite counts only when its result is another name of the list; a name
with no partner (``nose``, ``tail_base``, or a lone ``ear_left``) maps to itself.
Pairs are symmetric by construction: a partner that would pair with a third
name instead leaves both unpaired.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from mabe.features.pairwise import PAIR_FEATURE_NAMES

_WORDS = re.compile(r"(left|right)", re.IGNORECASE)
_TOKEN = re.compile(r"(?:^|(?<=[_\-. ]))([lLrR])(?=$|[_\-. ])")
_SWAP = {"left": "right", "right": "left", "l": "r", "r": "l"}


def _swap_case(word: str) -> str:
    other = _SWAP[word.lower()]
    if word.isupper():
        return other.upper()
    if word[0].isupper():
        return other.capitalize()
    return other


def _candidates(name: str) -> list[str]:
    """Names ``name`` becomes under each rewrite of the pairing rule, in order."""
    out = [_WORDS.sub(lambda m: _swap_case(m.group(1)), name), _TOKEN.sub(lambda m: _swap_case(m.group(1)), name)]
    if len(name) > 1 and name[-1] in "lLrR":
        out.append(name[:-1] + _swap_case(name[-1]))
    if len(name) > 1 and name[0] in "lLrR":
        out.append(_swap_case(name[0]) + name[1:])
    return [c for c in out if c != name]


def mirror_pairs(body_parts: Sequence[str]) -> np.ndarray:
    """Return, for each body part, the index of its mirror partner (itself when it has none).

    Examples
    --------
    >>> mirror_pairs(["nose", "ear_left", "ear_right", "tail_base"]).tolist()
    [0, 2, 1, 3]
    >>> mirror_pairs(["l_hip", "r_hip", "EarL", "EarR", "tail"]).tolist()
    [1, 0, 3, 2, 4]
    """
    names = list(body_parts)
    index = {n: i for i, n in enumerate(names)}
    wanted = []
    for name in names:
        partner = next((index[c] for c in _candidates(name) if c in index), None)
        wanted.append(partner)
    perm = np.arange(len(names))
    for i, j in enumerate(wanted):
        if j is not None and j != i and wanted[j] == i:
            perm[i] = j
    return perm


def mirror_coords(coords: np.ndarray, body_parts: Sequence[str], axis_x: float | None = None) -> np.ndarray:
    """Mirror ``(frames, mice, body_parts, 2)`` coordinates left/right.

    ``x`` becomes ``2 * axis_x - x`` and the body-part axis is permuted by
    :func:`mirror_pairs`; NaN stays NaN. Mirroring twice gives the input back.

    Parameters
    ----------
    coords
        ``(frames, mice, body_parts, 2)``.
    body_parts
        Names of the body-part axis.
    axis_x
        The vertical line to reflect about (e.g. half the video width);
        ``None`` or NaN: the median of the finite x values (0 when none).
    """
    coords = np.asarray(coords)
    if coords.ndim != 4 or coords.shape[-1] != 2:
        raise ValueError(f"coords must have shape (frames, mice, body_parts, 2), got {coords.shape}")
    if coords.shape[2] != len(body_parts):
        raise ValueError(f"coords has {coords.shape[2]} body parts but {len(body_parts)} names were given")
    if axis_x is None or not np.isfinite(axis_x):
        xs = coords[..., 0][np.isfinite(coords[..., 0])]
        axis_x = float(np.median(xs)) if xs.size else 0.0
    out = coords[:, :, mirror_pairs(body_parts)].copy()
    out[..., 0] = 2 * axis_x - out[..., 0]
    return out


PAIR_MIRROR_ODD: tuple[str, ...] = (
    "a_ang_vel",
    "t_ang_vel",
    "target_ego_y",
    "anose_in_t_y",
    "bearing_sin",
    "t_bearing_sin",
    "rel_heading_sin",
    "a_ang_vel_mean_250ms",
    "a_ang_vel_mean_1s",
    "a_ang_vel_mean_2s",
)
"""Pair-feature columns that change sign when the pose is mirrored (:func:`mirror_coords`).

Every other column of :data:`~mabe.features.pairwise.PAIR_FEATURE_NAMES` is
unchanged: distances, speeds, cosines and spreads do not see a reflection,
while turning rates, sines of angles and ``y`` in an egocentric frame flip.
So the pair features are *not* mirror-invariant, and the mirror image of a
pair's features is these columns negated (measured on real CalMS21 clips, and
checked against the pose-level mirror by ``tests/unit/features/test_mirror.py``).
"""


def pair_mirror_signs(width: int | None = None) -> np.ndarray:
    """Return ``+1`` / ``-1`` per pair-feature column: the pair features of the mirrored pose are ``features * signs``.

    ``width``: the network input's width; columns past the pair features (context
    and frame-rate inputs) keep their sign.

    Examples
    --------
    >>> signs = pair_mirror_signs(len(PAIR_FEATURE_NAMES) + 2)
    >>> int((signs == -1).sum()) == len(PAIR_MIRROR_ODD), signs[-2:].tolist()
    (True, [1.0, 1.0])
    """
    signs = np.ones(len(PAIR_FEATURE_NAMES) if width is None else width, dtype=np.float32)
    signs[: len(PAIR_FEATURE_NAMES)] = [-1.0 if n in PAIR_MIRROR_ODD else 1.0 for n in PAIR_FEATURE_NAMES]
    return signs
