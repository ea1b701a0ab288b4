"""Honest cross-validation scores from out-of-fold probabilities.

For every candidate model (each member alone and, with several members,
their per-action ``blend``) and every fold ``k``:

1. the blend weights are chosen on the out-of-fold probabilities of the
   *other* folds (:meth:`mabe.workflows.blend.BlendStats.choose`);
2. decoding is tuned (:func:`mabe.decode.tune_decoding`) on the other folds'
   videos only;
3. fold ``k``'s videos are decoded with it and scored with the MABe metric.

Fold ``k`` therefore never influences the numbers that score it. The
*ensemble* of a fold is the candidate with the best tuned score on the other
folds, so its fold score is honest too. The final model (what ``mabe train``
keeps) is chosen on all folds together: every candidate is tuned on
every out-of-fold video; among those whose tuned score is at least every
member's, the one with the best cross-validated mean is kept (so its tuned
out-of-fold score is at least every member's, and a blend that only wins in
sample is not preferred). A fold's *ensemble* is chosen with the other folds
only, by tuned score (no nested cross-validation).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mabe.data.submission import assemble_submission
from mabe.decode import DecodeParams, VideoProbs, evaluate_decoding, tune_decoding
from mabe.decode.tune import decode_videos
from mabe.metrics import score_report
from mabe.progress import track
from mabe.workflows.blend import BlendStats, blend_probs, whitelisted_only

BLEND = "blend"
"""Name of the blended candidate."""
MAX_TUNE_ENTRIES = 25_000_000
"""Tuning holds about 20 bytes per (frame, pair, whitelisted action) entry; beyond this many
entries a seeded random subset of the videos is tuned on (everything, on data up to a few
hours of video)."""


@dataclass
class Choice:
    """A decodable model: a candidate, its blend weights and its tuned decoding."""

    candidate: str
    weights: dict[str, dict[str, float]]
    params: DecodeParams
    tuned_score: float


def one_hot(member: str, members: Sequence[str], actions: Sequence[str]) -> dict[str, dict[str, float]]:
    """Return weights that use ``member`` alone for every action."""
    return {a: {m: float(m == member) for m in members} for a in actions}


def candidate_probs(
    oof: Mapping[str, Mapping[int, VideoProbs]], video_ids: Sequence[int], weights: Mapping[str, Mapping[str, float]]
) -> list[VideoProbs]:
    """Blend the out-of-fold probabilities of ``video_ids`` (members with weight 0 everywhere are skipped)."""
    used = [m for m in oof if any(w.get(m, 0.0) > 0 for w in weights.values())]
    return [whitelisted_only(blend_probs({m: oof[m][v] for m in used}, weights)) for v in video_ids]


def capped_videos(
    oof: Mapping[str, Mapping[int, VideoProbs]], video_ids: Sequence[int], limit: int | None = None, seed: int = 0
) -> list[int]:
    """Return ``video_ids``, or a seeded random subset of them whose probabilities fit ``limit`` entries."""
    limit = MAX_TUNE_ENTRIES if limit is None else limit
    first = next(iter(oof.values()))
    size = {v: int(np.prod(whitelisted_only(first[v]).probs.shape)) for v in video_ids}
    if sum(size.values()) <= limit:
        return list(video_ids)
    order = np.random.default_rng(seed).permutation(len(video_ids))
    kept: list[int] = []
    total = 0
    for i in order:
        v = video_ids[i]
        if total + size[v] <= limit or not kept:
            kept.append(v)
            total += size[v]
    return [v for v in video_ids if v in set(kept)]


def solution_of(solution: pd.DataFrame, video_ids: Iterable[int]) -> pd.DataFrame:
    """Return the rows of ``solution`` (a split's labels) that belong to ``video_ids``."""
    wanted = {str(v) for v in video_ids}
    return solution[solution["video_id"].astype(str).isin(wanted)]


def _score(solution: pd.DataFrame, submission: pd.DataFrame) -> float:
    """MABe score; NaN without labels (an empty submission scores as predicting nothing)."""
    if solution.empty:
        return float("nan")
    return float(score_report(solution, submission, allow_empty=True).score)


def tune_choice(
    candidate: str,
    weights: dict[str, dict[str, float]],
    oof: Mapping[str, Mapping[int, VideoProbs]],
    video_ids: Sequence[int],
    solution: pd.DataFrame,
) -> Choice:
    """Tune decoding of one candidate on ``video_ids``, with its tuned score there.

    At most :data:`MAX_TUNE_ENTRIES` probability entries are tuned on
    (:func:`capped_videos`).
    """
    video_ids = capped_videos(oof, video_ids)
    videos = candidate_probs(oof, video_ids, weights)
    sol = solution_of(solution, video_ids)
    if sol.empty:
        return Choice(candidate, weights, DecodeParams(), float("nan"))
    params = tune_decoding(videos, sol)
    return Choice(candidate, weights, params, evaluate_decoding(videos, sol, params))


def candidates(members: Sequence[str]) -> list[str]:
    """Return each member, plus the blend when there are several."""
    return list(members) + ([BLEND] if len(members) > 1 else [])


def _weights_for(
    candidate: str, members: Sequence[str], actions: Sequence[str], stats: BlendStats, exclude: int | None
) -> dict[str, dict[str, float]]:
    if candidate == BLEND:
        chosen = stats.choose(exclude_fold=exclude)
        return {a: chosen.get(a, {m: 1.0 / len(members) for m in members}) for a in actions}
    return one_hot(candidate, members, actions)


def _best(choices: Mapping[str, Choice]) -> Choice:
    """Return the choice with the highest tuned score; ties go to the earlier candidate (members before the blend)."""
    ranked = [c for c in choices.values() if not math.isnan(c.tuned_score)]
    if not ranked:
        return next(iter(choices.values()))
    return max(ranked, key=lambda c: c.tuned_score)


def cross_validate(
    oof: Mapping[str, Mapping[int, VideoProbs]],
    folds: Sequence[Sequence[int]],
    actions: Sequence[str],
    stats: BlendStats,
    solution: pd.DataFrame,
) -> tuple[dict, Choice, dict[str, Choice]]:
    """Score every fold per candidate and for the ensemble, break the scores down, and make the final choice.

    Parameters
    ----------
    oof
        ``member -> video_id -> VideoProbs`` out of fold, every training video.
    folds
        Video ids per fold.
    actions
        The vocabulary.
    stats
        Blend histograms of the same out-of-fold probabilities.
    solution
        The training split's solution.

    Returns
    -------
    report, final, final_choices
        ``report`` is the body of ``cv.json`` (see :func:`mabe.workflows.cv.run_cv`);
        ``final`` the model chosen and tuned on every out-of-fold video, among
        ``final_choices`` (every candidate tuned on every out-of-fold video).
    """
    members = list(oof)
    names = candidates(members)
    all_ids = [v for f in folds for v in f]
    subs: dict[str, list[pd.DataFrame]] = {c: [] for c in names + ["ensemble"]}
    fold_rows: list[dict[str, Any]] = []
    for k, fold in enumerate(track(list(folds), "scoring folds")):
        others = [v for j, f in enumerate(folds) if j != k for v in f]
        sol_k = solution_of(solution, fold)
        choices = {c: tune_choice(c, _weights_for(c, members, actions, stats, k), oof, others, solution) for c in names}
        scores: dict[str, float] = {}
        parts: dict[str, pd.DataFrame] = {}
        for c, choice in choices.items():
            part = decode_videos(candidate_probs(oof, fold, choice.weights), choice.params)
            scores[c], parts[c] = _score(sol_k, part), part
            subs[c].append(part)
        best = _best(choices).candidate
        subs["ensemble"].append(parts[best])
        fold_rows.append(
            {"fold": k, "score": scores[best], "choice": best, "scores": scores, "video_ids": sorted(int(v) for v in fold)}
        )
    by_model = {c: _breakdown(solution, all_ids, subs[c], [r["scores"][c] for r in fold_rows]) for c in names}
    ensemble = _breakdown(solution, all_ids, subs["ensemble"], [r["score"] for r in fold_rows])
    final_choices = {
        c: tune_choice(c, _weights_for(c, members, actions, stats, None), oof, all_ids, solution) for c in names
    }
    final = _final(final_choices, by_model, members)
    report = {
        **ensemble,
        "folds": fold_rows,
        "by_model": by_model,
        "tuned_oof_score": {c: ch.tuned_score for c, ch in final_choices.items()},
        "selected": final.candidate,
        "blend_weights": final_choices[BLEND].weights if BLEND in final_choices else final.weights,
    }
    return report, final, final_choices


def _final(choices: Mapping[str, Choice], by_model: Mapping[str, dict], members: Sequence[str]) -> Choice:
    """Return the kept model: the best cross-validated mean among the eligible candidates.

    A candidate is eligible when its tuned out-of-fold score is at least every
    member's (so the kept model never scores below a member on its own
    out-of-fold data, and an in-sample gain of the blend alone does not choose it).
    """
    tuned = [choices[m].tuned_score for m in members if not math.isnan(choices[m].tuned_score)]
    floor = max(tuned) - 1e-12 if tuned else -math.inf
    eligible = [c for c in choices.values() if not math.isnan(c.tuned_score) and c.tuned_score >= floor]
    if not eligible:
        return _best(choices)

    def cv_mean(c: Choice) -> float:
        value = by_model[c.candidate]["score_mean"]
        return -math.inf if math.isnan(value) else value

    return max(eligible, key=cv_mean)


def _breakdown(solution: pd.DataFrame, video_ids: Sequence[int], parts: list[pd.DataFrame], fold_scores: list[float]) -> dict:
    """Return the mean and sd over folds, and the scores per lab / (lab, action) of the pooled out-of-fold decoding."""
    finite = [s for s in fold_scores if not math.isnan(s)]
    out: dict = {
        "score_mean": float(np.mean(finite)) if finite else float("nan"),
        "score_std": float(np.std(finite, ddof=1)) if len(finite) > 1 else 0.0,
        "fold_scores": [float(s) for s in fold_scores],
        "oof_score": float("nan"),
        "per_lab": {},
        "per_lab_action": [],
    }
    sol = solution_of(solution, video_ids)
    if sol.empty or not any(len(p) for p in parts):
        return out
    submission = assemble_submission(parts, check=False)
    report = score_report(sol, submission)
    out["oof_score"] = float(report.score)
    out["per_lab"] = {str(k): float(v) for k, v in report.per_lab.items()}
    out["per_lab_action"] = [
        {"lab_id": str(r.lab_id), "action": str(r.action), "score": float(r.f), "tp": int(r.tp), "fp": int(r.fp), "fn": int(r.fn)}
        for r in report.table.itertuples()
    ]
    return out
