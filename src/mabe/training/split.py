"""Seeded train/validation split of videos, grouped so no video (or lab) is on both sides."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mabe.data.types import VideoMeta
from mabe.errors import ConfigError


def split_videos(
    metas: Sequence[VideoMeta],
    val_fraction: float,
    by: str = "video",
    seed: int = 0,
) -> tuple[list[VideoMeta], list[VideoMeta]]:
    """Split videos into training and validation sets.

    Parameters
    ----------
    metas
        The labelled training videos.
    val_fraction
        Share of videos to validate on. ``0`` returns ``(metas, [])``.
    by
        ``"video"``: each lab contributes about ``val_fraction`` of its videos
        (stratified by lab). ``"lab"``: whole labs are held out until about
        ``val_fraction`` of the videos are in validation.
    seed
        Seed of the shuffle; the same inputs and seed give the same split.

    Returns
    -------
    train, val
        Disjoint lists (in input order); when ``val_fraction > 0`` and there
        are at least two videos (labs), each side has at least one.

    Raises
    ------
    ConfigError
        For an unknown ``by``, or ``by="lab"`` with fewer than two labs.
    """
    metas = list(metas)
    if val_fraction <= 0 or len(metas) < 2:
        return metas, []
    rng = np.random.default_rng(seed)
    if by == "video":
        val_keys = _val_videos(metas, val_fraction, rng)
    elif by == "lab":
        val_keys = _val_labs(metas, val_fraction, rng)
    else:
        raise ConfigError(f"split_by must be 'video' or 'lab', got {by!r}")
    train = [m for m in metas if m.key not in val_keys]
    val = [m for m in metas if m.key in val_keys]
    return train, val


def _val_videos(metas: list[VideoMeta], fraction: float, rng: np.random.Generator) -> set[str]:
    by_lab: dict[str, list[str]] = {}
    for meta in metas:
        by_lab.setdefault(meta.lab_id, []).append(meta.key)
    chosen: list[str] = []
    leftovers: list[str] = []
    for lab in sorted(by_lab):
        keys = sorted(set(by_lab[lab]))
        rng.shuffle(keys)
        n_val = int(np.floor(len(keys) * fraction))
        chosen += keys[:n_val]
        leftovers += keys[n_val:]
    target = max(1, int(round(len({m.key for m in metas}) * fraction)))
    rng.shuffle(leftovers)
    while len(chosen) < target and len(leftovers) > 1:
        chosen.append(leftovers.pop())
    return set(chosen)


def _val_labs(metas: list[VideoMeta], fraction: float, rng: np.random.Generator) -> set[str]:
    labs = sorted({m.lab_id for m in metas})
    if len(labs) < 2:
        raise ConfigError(f"split_by 'lab' needs at least two labs, the data has {len(labs)}")
    counts = {lab: sum(m.lab_id == lab for m in metas) for lab in labs}
    order = list(labs)
    rng.shuffle(order)
    target = fraction * len(metas)
    held: list[str] = []
    for lab in order[:-1]:  # always keep one lab for training
        if held and sum(counts[h] for h in held) + counts[lab] / 2 > target:
            break
        held.append(lab)
    return {m.key for m in metas if m.lab_id in held}


def explicit_split(
    metas: Sequence[VideoMeta], train_ids: Sequence[int], val_ids: Sequence[int]
) -> tuple[list[VideoMeta], list[VideoMeta]]:
    """Select the videos of ``metas`` with the given ids, as ``(train, val)`` (in input order).

    Used by cross-fitting, which decides itself which videos a model may see.
    Videos of ``metas`` in neither list are left out.

    Raises
    ------
    ConfigError
        If the lists share a video, ``train_ids`` is empty, or an id is not
        among ``metas`` (the labelled training videos).

    Examples
    --------
    >>> from mabe.data.types import VideoMeta
    >>> metas = [VideoMeta("train", "A", i, 30.0, 2, ("nose",), ()) for i in range(4)]
    >>> train, val = explicit_split(metas, [0, 2], [3])
    >>> [m.video_id for m in train], [m.video_id for m in val]
    ([0, 2], [3])
    """
    train_set, val_set = {int(v) for v in train_ids}, {int(v) for v in val_ids}
    if not train_set:
        raise ConfigError("an explicit split needs at least one training video")
    both = train_set & val_set
    if both:
        raise ConfigError(f"videos {sorted(both)[:5]} are on both sides of the explicit split")
    known = {int(m.video_id) for m in metas}
    unknown = (train_set | val_set) - known
    if unknown:
        raise ConfigError(f"videos {sorted(unknown)[:5]} of the explicit split are not labelled training videos")
    train = [m for m in metas if int(m.video_id) in train_set]
    val = [m for m in metas if int(m.video_id) in val_set]
    return train, val
