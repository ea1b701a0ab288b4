"""Scoring helpers of cross-fitting: the tuning cap and the candidate choice."""

from __future__ import annotations

import numpy as np

from mabe.decode import DecodeParams, VideoProbs
from mabe.workflows.cv_scores import (
    BLEND,
    Choice,
    _best,
    _final,
    candidates,
    capped_videos,
    one_hot,
)


def _oof(n_videos: int, frames: int) -> dict[str, dict[int, VideoProbs]]:
    wl = {("mouse1", "mouse2", "sniff")}
    return {"m": {v: VideoProbs(v, "L", np.zeros((frames, 2, 3), np.float32), [(1, 2), (2, 1)], ["sniff", "a", "b"], wl)
                  for v in range(n_videos)}}


def test_tuning_cap_keeps_everything_under_the_limit_and_a_seeded_subset_above() -> None:
    oof = _oof(10, 100)  # 200 whitelisted entries per video
    ids = list(range(10))
    assert capped_videos(oof, ids, limit=2000) == ids
    kept = capped_videos(oof, ids, limit=1000)
    assert len(kept) == 5 and set(kept) <= set(ids) and kept == sorted(kept)
    assert capped_videos(oof, ids, limit=1000) == kept  # seeded
    assert capped_videos(oof, ids, limit=1000, seed=1) != kept
    assert len(capped_videos(oof, ids, limit=1)) == 1  # never nothing


def test_candidates_and_the_best_tuned_choice() -> None:
    assert candidates(["net"]) == ["net"]
    assert candidates(["net", "lgbm"]) == ["net", "lgbm", BLEND]
    assert one_hot("lgbm", ["net", "lgbm"], ["sniff"]) == {"sniff": {"net": 0.0, "lgbm": 1.0}}
    choices = {
        "net": Choice("net", {}, DecodeParams(), 0.5),
        "lgbm": Choice("lgbm", {}, DecodeParams(), float("nan")),
        BLEND: Choice(BLEND, {}, DecodeParams(), 0.6),
    }
    assert _best(choices).candidate == BLEND
    choices[BLEND] = Choice(BLEND, {}, DecodeParams(), 0.5)
    assert _best(choices).candidate == "net"  # a tie goes to the member listed first


def test_the_kept_model_is_the_best_cross_validated_of_those_not_below_a_member_in_sample() -> None:
    choices = {
        "net": Choice("net", {}, DecodeParams(), 0.50),
        "lgbm": Choice("lgbm", {}, DecodeParams(), 0.70),
        BLEND: Choice(BLEND, {}, DecodeParams(), 0.71),
    }
    by_model = {"net": {"score_mean": 0.9}, "lgbm": {"score_mean": 0.69}, BLEND: {"score_mean": 0.65}}
    # the blend wins in sample but loses out of fold; the network is out of fold best but below lgbm in sample
    assert _final(choices, by_model, ["net", "lgbm"]).candidate == "lgbm"
    by_model[BLEND]["score_mean"] = 0.695
    assert _final(choices, by_model, ["net", "lgbm"]).candidate == BLEND
