"""Ranking and choosing the clips worth labelling (mabe.decode.suggest), on constructed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mabe.decode.suggest import (
    default_caps,
    disagreement,
    frame_terms,
    rarity_weights,
    score_windows,
    select_clips,
)


def _windows(blend, models, candidate=None, thresholds=None, rarity=None, length=10):
    n_actions = blend.shape[2]
    thr = np.full(n_actions, 0.5) if thresholds is None else np.asarray(thresholds)
    rare = np.ones(n_actions) if rarity is None else np.asarray(rarity)
    cand = np.ones(blend.shape[1:], bool) if candidate is None else candidate
    terms = frame_terms(blend, disagreement(models), thr, rare)
    return score_windows(terms, cand, length)


def test_the_window_where_fold_models_disagree_ranks_first():
    rng = np.random.default_rng(0)
    n_frames = 200
    blend = np.full((n_frames, 2, 1), 0.05, np.float32)  # far below the threshold everywhere
    models = [blend + rng.normal(0, 0.01, blend.shape).astype(np.float32) for _ in range(4)]
    models[0][120:130, 1] = 0.95  # one fold model of four says yes on frames 120-129 of pair 1
    table = _windows(blend, models)
    best = table.sort_values("score", ascending=False).iloc[0]
    assert (int(best["pair"]), int(best["start"]), int(best["stop"])) == (1, 120, 130)
    assert best["why"] == "disagreement"
    chosen = select_clips(table.assign(video=1, group=1), 1)
    assert (int(chosen["pair"][0]), int(chosen["start"][0])) == (1, 120)


def test_near_threshold_and_rare_actions_score_and_name_their_action():
    blend = np.zeros((40, 1, 2), np.float32)
    blend[0:10, 0, 0] = 0.5  # action 0 sits on its threshold
    blend[20:30, 0, 1] = 0.9  # action 1 (rare) predicted
    table = _windows(blend, [blend], rarity=[0.1, 1.0]).set_index("start")
    assert table.loc[0, "why"] == "threshold" and table.loc[0, "action"] == 0
    assert table.loc[20, "why"] == "rarity" and table.loc[20, "action"] == 1
    assert table.loc[0, "disagreement"] == 0.0  # one model: no disagreement term


def test_whitelisted_entries_never_attract_a_suggestion():
    blend = np.zeros((30, 2, 1), np.float32)
    blend[:, 0, 0] = 0.5  # the most uncertain entry is already labelled
    candidate = np.array([[False], [True]])
    table = _windows(blend, [blend], candidate=candidate)
    assert set(table["pair"]) == {1}
    assert (table["score"] == 0).all()


def test_overlapping_windows_are_never_both_chosen():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n = 300
        starts = rng.integers(0, 500, n)
        windows = pd.DataFrame({
            "video": rng.integers(1, 4, n), "pair": rng.integers(0, 3, n),
            "start": starts, "stop": starts + rng.integers(5, 60, n), "score": rng.random(n),
        })
        windows["group"] = windows["video"]
        chosen = select_clips(windows, 25)
        for _, part in chosen.groupby("video"):
            spans = sorted(zip(part["start"], part["stop"], strict=True))
            assert all(b0 <= a1 for (_, b0), (a1, _) in zip(spans, spans[1:], strict=False)), spans


def test_caps_per_recording_and_pair_hold_while_other_recordings_have_candidates():
    starts = np.arange(0, 1000, 10)
    hot = pd.DataFrame({"video": 1, "group": "rec1", "pair": np.arange(len(starts)) % 2,
                        "start": starts, "stop": starts + 10, "score": 1.0})
    cold = [pd.DataFrame({"video": v, "group": f"rec{v}", "pair": 0, "start": starts, "stop": starts + 10,
                          "score": 0.01}) for v in range(2, 6)]
    windows = pd.concat([hot, *cold], ignore_index=True)
    chosen = select_clips(windows, 10)
    per_group, per_pair = default_caps(10, 5)
    assert (per_group, per_pair) == (4, 2)
    assert len(chosen) == 10
    assert chosen["group"].value_counts().max() <= per_group
    assert chosen.groupby(["group", "pair"]).size().max() <= per_pair
    assert (chosen["group"] == "rec1").sum() == per_pair * 2  # both pairs of the hot recording at their cap
    explicit = select_clips(windows, 10, max_per_group=1)
    # one per recording first; the fill-up pass then takes the best left (the hot recording's)
    assert explicit["group"].value_counts().to_dict() == {"rec1": 6, "rec2": 1, "rec3": 1, "rec4": 1, "rec5": 1}
    assert list(explicit["group"][:5]) == ["rec1", "rec2", "rec3", "rec4", "rec5"]


def test_the_fill_up_pass_ignores_caps_but_never_overlap():
    starts = np.arange(0, 100, 5)
    windows = pd.DataFrame({"video": 1, "group": 1, "pair": 0, "start": starts, "stop": starts + 10,
                            "score": np.linspace(1, 0, len(starts))})
    chosen = select_clips(windows, 50, max_per_group=2, max_per_pair=2)
    assert len(chosen) == 10  # every other window: the rest overlap
    assert sorted(chosen["start"]) == list(range(0, 100, 10))


def test_rarity_and_disagreement_edge_cases():
    assert rarity_weights({}, ["a", "b"]).tolist() == [1.0, 1.0]
    same = np.full((3, 1, 1), 0.3, np.float32)
    assert disagreement([same, same, same]).max() == 0.0
    with pytest.raises(ValueError, match="model 1"):
        disagreement([same, np.zeros((2, 1, 1), np.float32)])
    with pytest.raises(ValueError, match="candidate"):
        score_windows(frame_terms(same, same * 0, np.array([0.5]), np.array([1.0])), np.ones((2, 1), bool), 2)
