"""Ensemble members: one interface over the sequence network and the gradient-boosted trees.

A member *kind* knows how to train one fold model on explicit training and
validation videos and how to load it back as a predictor whose
``predict(video)`` gives a decode-ready :class:`~mabe.decode.VideoProbs` at
the video's native frames:

``network``
    :func:`mabe.training.fit.fit` on the given videos (``split=``); the fold
    directory is a normal single-model run directory.
``lgbm``
    :func:`mabe.training.trees.fit_trees`; the fold directory is a tree-model
    directory.

Examples
--------
>>> spec = MemberSpec("network", "network", {"epochs": 3})
>>> spec.kind
'network'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mabe.config import Config, parse_override
from mabe.data.io import MabeDataset
from mabe.data.types import Video, VideoMeta
from mabe.decode import VideoProbs
from mabe.errors import ConfigError
from mabe.training.run import Run

MEMBER_KINDS: tuple[str, ...] = ("network", "lgbm")
"""Kinds of ensemble member."""


class Predictor(Protocol):
    """A loaded fold model."""

    def predict(self, video: Video) -> VideoProbs:
        """Return the probabilities of one video (native frames)."""
        ...


@dataclass
class MemberSpec:
    """What to train for one member.

    Attributes
    ----------
    name
        Directory name under ``RUN/members/``.
    kind
        One of :data:`MEMBER_KINDS`.
    settings
        network: the resolved :class:`~mabe.config.Config` as a dict;
        lgbm: the ``TreeSettings`` fields.
    """

    name: str
    kind: str
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in MEMBER_KINDS:
            raise ConfigError(f"unknown ensemble member {self.kind!r}; choose from {', '.join(MEMBER_KINDS)}")


def tree_settings(overrides: Sequence[str]) -> dict[str, Any]:
    """Return the trees' settings: their defaults with ``KEY=VALUE`` overrides (``--set lgbm.KEY=VALUE``).

    Raises
    ------
    ConfigError
        If an override names no setting or gives it a bad value.
    """
    from mabe.training.trees import TreeSettings  # heavy: torch, scipy

    values = dict(parse_override(o) for o in overrides)
    try:
        return TreeSettings(**values).model_dump()
    except ValueError as exc:
        raise ConfigError(f"--set lgbm.*: {str(exc).splitlines()[0]} ({exc})") from None


def fit_member(
    spec: MemberSpec,
    dataset: MabeDataset,
    train_metas: Sequence[VideoMeta],
    valid_metas: Sequence[VideoMeta],
    actions: list[str],
    out_dir: Path,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Train one fold model of ``spec`` into ``out_dir`` and return its summary.

    ``valid_metas`` (which may be empty) are used for early stopping / the best
    checkpoint only; they must not include the videos the fold model will
    predict out of fold. ``cache_dir`` is the per-video feature cache of the
    trees and the network (shared by every fold; default: each model's own).
    A network fold an earlier attempt left unfinished continues from its last
    checkpoint (with every random state, so as if never interrupted).
    """
    if spec.kind == "network":
        from mabe.training.fit import fit  # heavy: torch, lightning

        config = Config(**spec.settings).model_copy(
            update={"data_dir": str(dataset.root), "run_dir": str(out_dir)}
        )
        split = ([m.video_id for m in train_metas], [m.video_id for m in valid_metas])
        # a fold an earlier attempt left unfinished continues from its last checkpoint
        resume = Run(out_dir).state() == "unfinished"
        return fit(config, out_dir, resume=resume, split=split, progress_bar=False, cache_dir=cache_dir, user_keys=set())
    from mabe.training.trees import TreeSettings, fit_trees  # heavy: torch, scipy

    settings = TreeSettings(**spec.settings)
    return fit_trees(
        dataset, list(train_metas), list(valid_metas), actions, settings, out_dir, progress=False, cache_dir=cache_dir
    )


class _NetworkPredictor:
    def __init__(self, run_dir: Path, which: str = "best") -> None:
        from mabe.training.inference import load_trained  # heavy: torch

        self.model, self.config, self.info = load_trained(run_dir, which)

    def predict(self, video: Video) -> VideoProbs:
        from mabe.training.inference import predict_video  # heavy: torch
        from mabe.workflows.predict import to_video_probs  # import cycle: predict -> ensemble -> members

        prediction = predict_video(self.model, self.config, self.info, video)
        return to_video_probs(video.meta, prediction, getattr(self.config, "seed4_groups", None))


class _TreePredictor:
    def __init__(self, out_dir: Path) -> None:
        from mabe.training.trees import load_trees  # heavy: torch, scipy

        self.trees = load_trees(out_dir)

    def predict(self, video: Video) -> VideoProbs:
        from mabe.workflows.predict import to_video_probs  # import cycle: predict -> ensemble -> members

        return to_video_probs(video.meta, self.trees.predict_video(video))


def load_member(kind: str, fold_dir: Path) -> Predictor:
    """Load one trained fold model as a :class:`Predictor`."""
    if kind == "network":
        return _NetworkPredictor(fold_dir)
    if kind == "lgbm":
        return _TreePredictor(fold_dir)
    raise ConfigError(f"{fold_dir}: unknown ensemble member kind {kind!r}")


def member_finished(kind: str, fold_dir: Path) -> bool:
    """Tell whether ``fold_dir`` holds a finished fold model (so a rerun can skip it).

    Both kinds write their summary last, where a run keeps it
    (:attr:`mabe.training.run.Run.summary_path`).
    """
    return Run(fold_dir).summary_path.is_file()
