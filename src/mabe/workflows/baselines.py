"""Reference submissions a trained model has to beat.

Both baselines learn only from the metadata and annotations of the *training*
split (``train_split``) and only read the tracking of the split they predict;
they never look at that split's labels.

``prior_baseline``
    For every video and every (agent, target) pair with a whitelisted action,
    predict one action over the whole video: the whitelisted action of that
    pair with the largest share of annotated frames in the lab's training
    videos (share = labelled frames / frames where the triple is whitelisted).
    Labs absent from the training split use the pooled shares of all labs.
``proximity_baseline``
    A hand-made pose rule: agent ``A`` does the pair action ``X`` to target
    ``B`` on the frames where A's nose is within ``d`` cm of B's body (the
    nearest of B's keypoints), with short gaps bridged and short blips
    dropped. ``X`` and ``d`` are chosen per lab on the training videos (the
    pair that maximises the lab's MABe score there); the other whitelisted
    pair actions of a pair are tried in order of their training score.
    Self pairs (``target == "self"``) get the prior's whole-video action.

Examples
--------
>>> from mabe.workflows.baselines import prior_baseline, proximity_baseline  # doctest: +SKIP
>>> submission = prior_baseline("data/", split="test")                      # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from mabe.data.io import MabeDataset
from mabe.data.schema import mouse_name, mouse_number, target_name
from mabe.data.submission import assemble_submission, interval_rows
from mabe.data.types import Video, VideoMeta
from mabe.decode.intervals import labels_to_bouts
from mabe.errors import MabeError
from mabe.features import anchor_points, interpolate_gaps, normalize_pose, pose_anchors
from mabe.metrics import ScoreReport, score_report
from mabe.progress import track

DISTANCES_CM: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0)
"""Nose-to-body distances tried by :func:`fit_proximity` (cm)."""
GAP_S = 0.2
"""Gaps of the proximity rule up to this long are bridged (seconds)."""
MIN_BOUT_S = 0.2
"""Proximity bouts shorter than this are dropped (seconds)."""
MAX_CANDIDATE_ACTIONS = 4
"""Pair actions per lab tried by :func:`fit_proximity` (the most frequent ones)."""

# --------------------------------------------------------------------------- shared helpers


def _metas(dataset: MabeDataset, split: str) -> list[VideoMeta]:
    if split not in dataset.splits():
        raise MabeError(f"{dataset.root}: no {split}.csv, so there is no '{split}' split")
    return [m for m in dataset.metas(split) if m.behaviors_labeled]


def _n_frames(dataset: MabeDataset, meta: VideoMeta) -> int:
    """Frames of a video (``max video_frame + 1`` of its tracking), read cheaply."""
    column = pq.read_table(dataset.tracking_path(meta), columns=["video_frame"]).column(0)
    return 0 if len(column) == 0 else int(pd.Series(column.to_numpy()).max()) + 1


def _pairs_of(meta: VideoMeta) -> dict[tuple[str, str], list[str]]:
    """``(agent, target) -> whitelisted actions`` in ``behaviors_labeled`` order."""
    pairs: dict[tuple[str, str], list[str]] = {}
    for agent, target, action in meta.behaviors_labeled:
        pairs.setdefault((agent, target), []).append(action)
    return pairs


# --------------------------------------------------------------------------- prior


@dataclass
class ActionPrior:
    """Share of annotated frames of each action, per lab and pooled over labs.

    ``share[lab][action]`` is labelled frames / frames of the lab's training
    videos where ``action`` is whitelisted for some pair (summed over pairs).
    """

    share: dict[str, dict[str, float]] = field(default_factory=dict)
    pooled: dict[str, float] = field(default_factory=dict)

    def ranking(self, lab_id: str) -> dict[str, float]:
        """Return the lab's shares, or the pooled ones for a lab without training videos."""
        return self.share.get(str(lab_id)) or self.pooled

    def best(self, lab_id: str, candidates: Iterable[str]) -> str | None:
        """Return the candidate with the largest share (unknown actions last, then list order)."""
        shares = self.ranking(lab_id)
        candidates = list(candidates)
        if not candidates:
            return None
        return max(candidates, key=lambda a: (shares.get(a, -1.0), -candidates.index(a)))


def fit_prior(data_dir: str | Path, train_split: str = "train") -> ActionPrior:
    """Count the action shares of the training split from its metadata and annotation files."""
    dataset = MabeDataset(data_dir)
    labelled: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    exposed: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for meta in track(_metas(dataset, train_split), "counting training labels"):
        n = _n_frames(dataset, meta)
        for (_, _), actions in _pairs_of(meta).items():
            for action in actions:
                exposed[meta.lab_id][action] += n
        ann = dataset.load_annotations(meta)
        if ann is None or ann.empty:
            continue
        whitelist = set(meta.behaviors_labeled)
        for agent, target, action, start, stop in zip(
            ann["agent_id"], ann["target_id"], ann["action"], ann["start_frame"], ann["stop_frame"], strict=True
        ):
            if (mouse_name(agent), target_name(agent, target), action) in whitelist:
                labelled[meta.lab_id][action] += max(int(stop) - int(start), 0)
    share = {
        lab: {a: labelled[lab][a] / frames for a, frames in exposure.items() if frames > 0}
        for lab, exposure in exposed.items()
    }
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for lab, exposure in exposed.items():
        for action, frames in exposure.items():
            totals[action][0] += labelled[lab][action]
            totals[action][1] += frames
    pooled = {a: lab_n / frames for a, (lab_n, frames) in totals.items() if frames > 0}
    return ActionPrior(share, pooled)


def prior_baseline(
    data_dir: str | Path, split: str = "test", train_split: str = "train", prior: ActionPrior | None = None
) -> pd.DataFrame:
    """Whole-video predictions of each pair's most frequent whitelisted action.

    Parameters
    ----------
    data_dir
        Dataset directory.
    split
        Split to predict (only its metadata and tracking frame counts are read).
    train_split
        Split whose annotations give the action shares.
    prior
        Precomputed :func:`fit_prior` result.

    Returns
    -------
    pandas.DataFrame
        A checked submission (``row_id`` first); one row per whitelisted pair.
    """
    dataset = MabeDataset(data_dir)
    prior = prior or fit_prior(data_dir, train_split)
    rows = []
    for meta in track(_metas(dataset, split), f"prior baseline on {split}"):
        n = _n_frames(dataset, meta)
        if n == 0:
            continue
        for (agent, target), actions in _pairs_of(meta).items():
            action = prior.best(meta.lab_id, actions)
            if action is not None:
                rows.append(interval_rows(meta.video_id, agent, target, action, [0], [n]))
    return assemble_submission(rows, sort=True)


# --------------------------------------------------------------------------- proximity


def nose_to_body_cm(video: Video) -> dict[tuple[int, int], np.ndarray]:
    """Per ordered pair of distinct mice: distance (cm) from the agent's nose to the target's body.

    The nose is the ``nose`` anchor of :func:`mabe.features.pose_anchors`
    (the body centre when no nose can be found); the target's body is its
    nearest tracked keypoint. Gaps up to a second are interpolated; frames
    still unknown get ``inf``.
    """
    fps = float(video.meta.fps)
    coords = normalize_pose(video.pose, video.meta)
    coords = interpolate_gaps(coords, max_gap=max(1, int(round(fps))))
    anchors = pose_anchors(coords, video.pose.body_parts, fps)
    nose_idx = anchors["nose"] or anchors["body_center"]
    out: dict[tuple[int, int], np.ndarray] = {}
    n_mice = coords.shape[1]
    for a in range(n_mice):
        nose = anchor_points(coords[:, a], nose_idx)
        for t in range(n_mice):
            if t == a:
                continue
            d = np.sqrt(((coords[:, t] - nose[:, None, :]) ** 2).sum(axis=-1))
            d = np.where(np.isfinite(d), d, np.inf).min(axis=1, initial=np.inf)
            out[(a + 1, t + 1)] = d
    return out


def _rule_intervals(close: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the runs of ``close`` after bridging gaps <= GAP_S and dropping runs < MIN_BOUT_S."""
    labels = np.where(close, 0, -1)[:, None]
    gap = np.array([int(round(GAP_S * fps))])
    min_len = np.array([max(1, int(round(MIN_BOUT_S * fps)))])
    _, _, starts, stops = labels_to_bouts(labels, min_len, gap)
    return starts, stops


@dataclass
class ProximityRule:
    """Per lab: pair actions in order of preference, each with its distance (cm)."""

    actions: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    pooled: list[tuple[str, float]] = field(default_factory=list)
    prior: ActionPrior = field(default_factory=ActionPrior)

    def for_lab(self, lab_id: str) -> list[tuple[str, float]]:
        """Return the lab's (action, distance) order, or the pooled one for a lab without training videos."""
        return self.actions.get(str(lab_id)) or self.pooled


def _predict_video(
    video: Video, rule: ProximityRule, distances: dict[tuple[int, int], np.ndarray] | None = None
) -> list[pd.DataFrame]:
    meta = video.meta
    n = video.n_frames
    if n == 0:
        return []
    distances = distances if distances is not None else nose_to_body_cm(video)
    ranked = rule.for_lab(meta.lab_id)
    rows = []
    for (agent, target), actions in _pairs_of(meta).items():
        if target == "self":
            action = rule.prior.best(meta.lab_id, actions)
            if action is not None:
                rows.append(interval_rows(meta.video_id, agent, target, action, [0], [n]))
            continue
        key = (mouse_number(agent), mouse_number(target))
        if key not in distances:
            continue
        choice = next(((a, d) for a, d in ranked if a in actions), None)
        if choice is None:
            continue
        starts, stops = _rule_intervals(distances[key] <= choice[1], float(meta.fps))
        rows.append(interval_rows(meta.video_id, agent, target, choice[0], starts, stops))
    return rows


def fit_proximity(data_dir: str | Path, train_split: str = "train") -> ProximityRule:
    """Choose each lab's (action, distance) order on the training videos.

    For every lab and each of its :data:`MAX_CANDIDATE_ACTIONS` most frequent
    pair actions, every distance of :data:`DISTANCES_CM` is scored with the
    MABe score of the rule on the lab's training videos (that action only,
    self pairs left out); the actions are then ordered by their best score.
    """
    dataset = MabeDataset(data_dir)
    prior = fit_prior(data_dir, train_split)
    metas = _metas(dataset, train_split)
    if not dataset.has_labels(train_split):
        raise MabeError(f"{data_dir}: no {train_split}_annotation/, nothing to fit the baseline on")
    solution = dataset.solution(train_split, progress=False)
    by_lab: dict[str, list[tuple[Video, dict]]] = defaultdict(list)
    for meta in track(metas, "measuring training distances"):
        video = dataset.load_video(meta)
        by_lab[meta.lab_id].append((video, nose_to_body_cm(video)))
    rule = ProximityRule(prior=prior)
    pooled: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(DISTANCES_CM))
    for lab, videos in by_lab.items():
        sol = solution[solution["lab_id"].astype(str) == lab]
        sol = sol[sol["target_id"].astype(str) != "self"]
        pair_actions = {a for v, _ in videos for (_, t, a) in v.meta.behaviors_labeled if t != "self"}
        shares = prior.ranking(lab)
        candidates = sorted(pair_actions, key=lambda a: -shares.get(a, 0.0))[:MAX_CANDIDATE_ACTIONS]
        scored = []
        for action in candidates:
            best = (-1.0, DISTANCES_CM[0])
            for k, dist in enumerate(DISTANCES_CM):
                trial = ProximityRule({lab: [(action, dist)]}, [], prior)
                parts = [
                    r
                    for v, d in videos
                    for r in _predict_video(v, trial, d)
                    if len(r) and (r["target_id"] != "self").all()
                ]
                score = _lab_score(sol, parts)
                pooled[action][k] += score
                best = max(best, (score, dist))
            scored.append((best[0], action, best[1]))
        scored.sort(key=lambda s: -s[0])
        rule.actions[lab] = [(a, d) for _, a, d in scored]
    if pooled:
        ranked = sorted(pooled.items(), key=lambda kv: -max(kv[1]))
        rule.pooled = [(a, DISTANCES_CM[int(np.argmax(s))]) for a, s in ranked]
    return rule


def _lab_score(solution: pd.DataFrame, parts: list[pd.DataFrame]) -> float:
    """MABe score of predicted rows on one lab's training solution (0 if nothing to score)."""
    if solution.empty or not parts:
        return 0.0
    sub = assemble_submission(parts, check=False)
    sub = sub[sub["video_id"].isin(solution["video_id"].unique())]
    if sub.empty:
        return 0.0
    return float(score_report(solution, sub).score)


def proximity_baseline(
    data_dir: str | Path, split: str = "test", train_split: str = "train", rule: ProximityRule | None = None
) -> pd.DataFrame:
    """Predict ``split`` with the nose-proximity rule fitted on ``train_split``.

    Returns
    -------
    pandas.DataFrame
        A checked submission (``row_id`` first).
    """
    dataset = MabeDataset(data_dir)
    rule = rule or fit_proximity(data_dir, train_split)
    rows: list[pd.DataFrame] = []
    for meta in track(_metas(dataset, split), f"proximity baseline on {split}"):
        video = dataset.load_video(meta)
        rows += _predict_video(video, rule)
    return assemble_submission(rows, sort=True)


BASELINES: dict[str, Callable[..., pd.DataFrame]] = {"prior": prior_baseline, "proximity": proximity_baseline}
"""Name -> function(data_dir, split, train_split) of every baseline."""


def score_baselines(
    data_dir: str | Path, split: str = "test", train_split: str = "train"
) -> dict[str, ScoreReport | None]:
    """Score each baseline on a labelled ``split`` (a :class:`~mabe.metrics.ScoreReport`, ``None`` if it predicts nothing)."""
    dataset = MabeDataset(data_dir)
    solution = dataset.solution(split, progress=False)
    reports: dict[str, ScoreReport | None] = {}
    for name, fn in BASELINES.items():
        submission = fn(data_dir, split, train_split)
        reports[name] = score_report(solution, submission) if len(submission) else None
    return reports


__all__ = [
    "BASELINES",
    "ActionPrior",
    "ProximityRule",
    "fit_prior",
    "fit_proximity",
    "nose_to_body_cm",
    "prior_baseline",
    "proximity_baseline",
    "score_baselines",
]
