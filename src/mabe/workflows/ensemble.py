"""Ensemble runs: the on-disk record, loading the fold models, and blended predictions.

An ensemble run directory (written by :func:`mabe.workflows.cv.run_cv`)::

    RUN/ensemble.json               EnsembleRecord (this module)
    RUN/members/<name>/fold<k>/     one fold model per member and fold
    RUN/oof/<name>/<video_id>.npz   out-of-fold probabilities
    RUN/cv.json                     cross-validation scores
    RUN/decode.json                 decoding tuned on the blended out-of-fold probabilities
    RUN/summary.json                summary of the whole run

A video is predicted by every fold model of every member; a member's
probabilities are the mean over its folds, and the members are blended per
action with the record's weights (:func:`mabe.workflows.blend.blend_probs`).

Examples
--------
>>> rec = EnsembleRecord(members=[MemberRecord(name="network", kind="network", folds=["members/network/fold0"])],
...                      actions=["sniff"], weights={"sniff": {"network": 1.0}}, selected="network",
...                      n_folds=2, group_by="video", seed=0, folds=[[1], [2]])
>>> EnsembleRecord.model_validate_json(rec.model_dump_json()) == rec
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mabe import __version__
from mabe.data.io import MabeDataset
from mabe.data.types import Video
from mabe.decode import VideoProbs
from mabe.errors import MabeError
from mabe.fileio import atomic_write_text
from mabe.metrics.frame import multilabel_frame_metrics
from mabe.progress import track
from mabe.training.run import Run
from mabe.workflows.blend import average_probs, blend_probs
from mabe.workflows.members import Predictor, load_member

MEMBERS_DIR = "members"
"""Folder of an ensemble run holding its fold models."""


def member_fold(member: str, fold: int) -> str:
    """Return the directory of ``member``'s fold model ``fold``, relative to the run.

    Examples
    --------
    >>> member_fold("network", 2)
    'members/network/fold2'
    """
    return f"{MEMBERS_DIR}/{member}/fold{int(fold)}"


class MemberRecord(BaseModel):
    """One member of an ensemble: its kind, fold model directories (relative to the run) and settings."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: str
    folds: list[str]
    settings: dict[str, Any] = Field(default_factory=dict)


class EnsembleRecord(BaseModel):
    """``RUN/ensemble.json``.

    Attributes
    ----------
    members
        The members and their fold models.
    actions
        The action vocabulary of the training whitelists.
    weights
        ``{action: {member: weight}}``, convex per action; a member with
        weight 0 everywhere is not run at prediction time.
    selected
        ``"blend"`` or the member whose probabilities alone scored best on
        the out-of-fold data (then its weights are 1).
    n_folds, group_by, seed, folds
        The cross-fitting folds (video ids per fold).
    """

    model_config = ConfigDict(extra="forbid")

    format: str = "mabe-ensemble"
    version: int = 1
    created_by: str = f"mabe {__version__}"
    members: list[MemberRecord]
    actions: list[str]
    weights: dict[str, dict[str, float]]
    selected: str
    n_folds: int
    group_by: str
    seed: int
    folds: list[list[int]]

    def save(self, run: str | Path) -> Path:
        """Write ``RUN/ensemble.json`` atomically."""
        return atomic_write_text(Run(run).ensemble_path, self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load(cls, run: str | Path) -> EnsembleRecord:
        """Read ``RUN/ensemble.json``; :class:`MabeError` if it is missing or malformed."""
        path = Run(run).ensemble_path
        try:
            return cls.model_validate_json(path.read_text())
        except FileNotFoundError:
            raise MabeError(f"{path}: not found; is {run} an ensemble run?") from None
        except ValueError as exc:
            first = str(exc).splitlines()[0]
            raise MabeError(f"{path}: not a valid ensemble record ({first})") from None

    def active_members(self) -> list[MemberRecord]:
        """Members with a positive weight for some action."""
        return [m for m in self.members if any(w.get(m.name, 0.0) > 0 for w in self.weights.values())]


def is_ensemble_run(run: str | Path) -> bool:
    """Tell whether ``run`` is an ensemble run directory (holds ``ensemble.json``)."""
    return Run(run).ensemble_path.is_file()


class EnsemblePredictor:
    """Every fold model of every active member, loaded once; ``predict(video)`` blends them."""

    def __init__(self, run: str | Path) -> None:
        self.run = Path(run)
        self.record = EnsembleRecord.load(run)
        self.members: dict[str, list[Predictor]] = {}
        for member in self.record.active_members():
            predictors = []
            for fold in member.folds:
                fold_dir = self.run / fold
                if not fold_dir.is_dir():
                    raise MabeError(f"{fold_dir}: fold model listed in {Run(run).ensemble_path.name} is missing")
                predictors.append(load_member(member.kind, fold_dir))
            self.members[member.name] = predictors
        if not self.members:
            raise MabeError(f"{Run(run).ensemble_path}: no member has a positive weight")

    def predict_folds(self, video: Video) -> dict[str, list[VideoProbs]]:
        """Return every fold model's probabilities of one video, per active member (``mabe suggest``)."""
        return {name: [p.predict(video) for p in folds] for name, folds in self.members.items()}

    def blend(self, per_fold: dict[str, list[VideoProbs]]) -> VideoProbs:
        """Blend what :meth:`predict_folds` returned: fold models averaged per member, members blended."""
        per_member = {name: average_probs(folds) for name, folds in per_fold.items()}
        return blend_probs(per_member, self.record.weights)

    def predict(self, video: Video) -> VideoProbs:
        """Return the blended probabilities of one video."""
        return self.blend(self.predict_folds(video))


def evaluate_ensemble(run: str | Path, data_dir: str | Path, split: str = "test") -> dict[str, Any]:
    """Frame metrics of an ensemble run on a labelled split (as :func:`mabe.training.fit.evaluate`).

    Entries are the whitelisted (frame, pair, action) of each video, the
    blended probability thresholded at 0.5.
    """
    from mabe.training.evaluation import _action_parts  # heavy: lightning
    from mabe.training.module import flatten_metrics  # heavy: lightning
    from mabe.training.prepare import labelled_metas  # heavy: lightning

    record = EnsembleRecord.load(run)
    dataset = MabeDataset(data_dir)
    metas = labelled_metas(dataset, split)
    actions = list(record.actions)
    parts = []
    predictor = EnsemblePredictor(run)
    for meta in track(metas, f"evaluating {split} videos"):
        video = dataset.load_video(meta)
        vp = predictor.predict(video)
        probs = np.zeros((vp.probs.shape[0], len(vp.pairs), len(actions)), dtype=np.float32)
        for x, action in enumerate(vp.actions):
            if action in actions:
                probs[:, :, actions.index(action)] = vp.probs[:, :, x]
        parts.extend(_action_parts(video, probs, list(vp.pairs), actions))
    shape = (0, len(actions))
    y = np.concatenate([p[0] for p in parts]) if parts else np.zeros(shape, bool)
    prob = np.concatenate([p[1] for p in parts]) if parts else np.zeros(shape, np.float16)
    mask = np.concatenate([p[2] for p in parts]) if parts else np.zeros(shape, bool)
    metrics = multilabel_frame_metrics(y, prob, mask, 0.5, actions)
    out: dict[str, Any] = flatten_metrics(metrics)
    return out | {"split": split, "n_videos": len(metas), "checkpoint": f"ensemble ({record.selected})"}
