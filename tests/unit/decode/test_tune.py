"""tune_decoding: finds the right threshold, never loses to its start, scores exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mabe.decode import (
    DecodeParams,
    TuneGrid,
    VideoProbs,
    decode_videos,
    evaluate_decoding,
    mask_to_intervals,
    tune_decoding,
)
from mabe.decode.tune import _build_labs
from mabe.metrics import mabe_score

ACTIONS = ["sniff", "attack", "mount", "rear"]
PAIRS = [(1, 2), (2, 1), (1, 1)]


def triples(rng=None):
    all_ = [(f"mouse{a}", "self" if a == t else f"mouse{t}", x)
            for a, t in PAIRS for x in ACTIONS if (x == "rear") == (a == t)]
    return all_ if rng is None else [t for t in all_ if rng.random() < 0.8]


def solution_rows(video, lab, truth, listed):
    """Solution rows from an (F, P) action-index array."""
    rows = []
    for p, (a, t) in enumerate(PAIRS):
        for k, action in enumerate(ACTIONS):
            for s, e in zip(*mask_to_intervals(truth[:, p] == k), strict=True):
                rows.append({"video_id": video, "agent_id": f"mouse{a}",
                             "target_id": "self" if a == t else f"mouse{t}", "action": action,
                             "start_frame": int(s), "stop_frame": int(e), "lab_id": lab,
                             "behaviors_labeled": json.dumps([",".join(x) for x in listed])})
    return rows


def random_world(seed, n_videos=6, n_frames=300):
    rng = np.random.default_rng(seed)
    videos, rows = [], []
    for v in range(n_videos):
        lab = "LabA" if v % 2 else "LabB"
        truth = np.full((n_frames, len(PAIRS)), -1)
        for p, (a, t) in enumerate(PAIRS):
            options = [3] if a == t else [0, 1, 2]
            pos = 0
            while pos < n_frames:
                pos += int(rng.integers(5, 40))
                length = int(rng.integers(3, 30))
                truth[pos:pos + length, p] = rng.choice(options)
                pos += length
        probs = rng.random((n_frames, len(PAIRS), len(ACTIONS))) * rng.uniform(0.4, 0.8)
        hit = np.flatnonzero(truth.ravel() >= 0)
        flat = probs.reshape(-1, len(ACTIONS))
        flat[hit, truth.ravel()[hit]] += rng.uniform(0.1, 0.6, hit.size)
        probs = np.clip(probs, 0, 1)
        listed = triples(rng)
        rows += solution_rows(v, lab, truth, listed)
        if v == 0:
            rows.append({**rows[-1], "start_frame": 50, "stop_frame": 50})  # zero-length label
        videos.append(VideoProbs(v, lab, probs, PAIRS, ACTIONS, set(triples(rng))))
    videos.append(VideoProbs(99, "LabA", probs, PAIRS, ACTIONS, set(triples())))  # not in solution
    return videos, pd.DataFrame(rows)


def test_tuning_finds_the_one_good_threshold():
    videos, rows = [], []
    for v in range(3):
        truth = np.full((200, 3), -1)
        truth[20 + 10 * v:60, 0] = 0
        truth[120:150 + v, 0] = 0
        probs = np.full((200, 3, 4), 0.1)
        probs[:, 0, 0] = np.where(truth[:, 0] == 0, 0.72, 0.1)
        probs[80:100, 0, 0] = 0.68  # decoys: fire at any threshold below 0.7
        rows += solution_rows(v, "LabA", truth, triples())
        videos.append(VideoProbs(v, "LabA", probs, PAIRS, ACTIONS, set(triples())))
    solution = pd.DataFrame(rows)
    default = evaluate_decoding(videos, solution, DecodeParams())
    params = tune_decoding(videos, solution)
    assert params.threshold_for("LabA", "sniff") == pytest.approx(0.7)
    assert evaluate_decoding(videos, solution, params) == pytest.approx(1.0)
    assert default < 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tuning_never_scores_below_its_start(seed):
    videos, solution = random_world(seed)
    grid = TuneGrid(thresholds=(0.2, 0.4, 0.6, 0.8), windows=(1, 5), min_lengths=(1, 4),
                    max_gaps=(0, 3))
    for base in (DecodeParams(), DecodeParams(default_threshold=0.3, smoothing={"sniff": 5})):
        start = evaluate_decoding(videos, solution, base)
        tuned = tune_decoding(videos, solution, grid, base=base)
        assert evaluate_decoding(videos, solution, tuned) >= start - 1e-12


@pytest.mark.slow  # random cases against mabe_score: seconds, so make test only
def test_inner_scorer_equals_mabe_score():
    videos, solution = random_world(5)
    labs = _build_labs(videos, solution, beta=1.0)
    rng = np.random.default_rng(3)
    for _ in range(8):
        params = DecodeParams(
            default_threshold=float(rng.uniform(0.2, 0.8)),
            thresholds={"LabA": {"sniff": float(rng.uniform(0.2, 0.8))}},
            min_length={x: int(rng.integers(1, 6)) for x in ACTIONS},
            max_gap={x: int(rng.integers(0, 4)) for x in ACTIONS},
        )
        submission = decode_videos(videos, params)
        for name, lab in labs.items():
            lab_solution = solution[solution["lab_id"] == name]
            expected = mabe_score(lab_solution, submission)
            assert lab.commit_all(params) == pytest.approx(expected, abs=1e-12)
            # the incremental path agrees with decoding from scratch
            trial = DecodeParams.from_dict({**params.to_dict(), "max_gap": {"attack": 2}})
            score, _ = lab.trial(trial, "attack")
            fresh = mabe_score(lab_solution, decode_videos(videos, trial))
            assert score == pytest.approx(fresh, abs=1e-12)


def test_lab_mismatch_is_an_error():
    videos, solution = random_world(1, n_videos=2)
    videos[0].lab_id = "Elsewhere"
    with pytest.raises(ValueError, match="lab_id"):
        tune_decoding(videos, solution)


def test_decode_videos_numbers_rows():
    videos, _ = random_world(2, n_videos=2)
    table = decode_videos(videos, DecodeParams())
    assert table["row_id"].tolist() == list(range(len(table)))


# --------------------------------------------------------------------------- bout-less videos


def placeholder_row(video, lab, listed):
    return {"video_id": video, "agent_id": None, "target_id": None, "action": None,
            "start_frame": 0, "stop_frame": 0, "lab_id": lab,
            "behaviors_labeled": json.dumps([",".join(x) for x in listed])}


def windows_world(n_pos=3, n_neg=6, n_frames=13):
    """CalMS21-like windows: a positive has one sniff bout over all its frames, a negative none.

    Positives score 0.45 everywhere, negatives 0.40: only a threshold in (0.40, 0.45]
    separates them, while any threshold <= 0.45 is perfect on the positives alone.
    """
    listed = [("mouse1", "mouse2", "sniff")]
    videos, rows = [], []
    for v in range(n_pos + n_neg):
        probs = np.zeros((n_frames, 1, 1))
        if v < n_pos:
            probs[:] = 0.45
            rows.append({**placeholder_row(v, "LabA", listed), "agent_id": "mouse1",
                         "target_id": "mouse2", "action": "sniff", "stop_frame": n_frames})
        else:
            probs[:] = 0.40
            rows.append(placeholder_row(v, "LabA", listed))
        videos.append(VideoProbs(v, "LabA", probs, [(1, 2)], ["sniff"], set(listed)))
    return videos, pd.DataFrame(rows)


def test_tuning_charges_false_positives_on_videos_without_a_bout():
    videos, solution = windows_world()
    grid = TuneGrid(windows=(1,), min_lengths=(1,))
    bouts_only = solution[solution["action"].notna()]
    # the old objective (bout rows only) is perfect at any threshold that fires on the
    # positives, so the first one tried wins: it predicts every frame of every video
    old = tune_decoding(videos, bouts_only, grid)
    assert old.threshold_for("LabA", "sniff") == pytest.approx(0.05)
    assert evaluate_decoding(videos, bouts_only, old) == 1.0
    new = tune_decoding(videos, solution, grid)
    assert new.threshold_for("LabA", "sniff") == pytest.approx(0.45)
    assert evaluate_decoding(videos, solution, new) == 1.0
    # on every labelled video the old choice is far worse: 3 positives, 6 negatives
    assert evaluate_decoding(videos, solution, old) == pytest.approx(2 * 3 / (2 * 3 + 6))
    # the same videos passed as a list beside the bout rows tune the same way
    meta = solution[["video_id", "lab_id", "behaviors_labeled"]]
    assert tune_decoding(videos, bouts_only, grid, labelled=meta).threshold_for(
        "LabA", "sniff") == pytest.approx(0.45)
    assert evaluate_decoding(videos, bouts_only, old, labelled=meta) == pytest.approx(0.5)


@pytest.mark.slow  # random cases against mabe_score: seconds, so make test only
def test_inner_scorer_equals_mabe_score_with_videos_without_a_bout():
    videos, solution = random_world(11, n_videos=8)
    listed = triples()
    # videos 0 and 3 lose their bouts; LabC is a lab with no bout at all
    rows = solution[~solution["video_id"].isin([0, 3])].to_dict("records")
    rows += [placeholder_row(0, "LabB", listed), placeholder_row(3, "LabA", listed)]
    for v in (20, 21):
        rows.append(placeholder_row(v, "LabC", listed))
        videos.append(VideoProbs(v, "LabC", videos[1].probs * 0.9, PAIRS, ACTIONS, set(listed)))
    solution = pd.DataFrame(rows)
    labs = _build_labs(videos, solution, beta=1.0)
    assert set(labs) == {"LabA", "LabB", "LabC"}
    for threshold in (0.3, 0.6, 0.99):
        params = DecodeParams(default_threshold=threshold, min_length={"sniff": 3})
        submission = decode_videos(videos, params)
        for name, lab in labs.items():
            expected = mabe_score(solution[solution["lab_id"] == name], submission,
                                  allow_empty=True)
            assert lab.commit_all(params) == pytest.approx(expected, abs=1e-12)
        assert evaluate_decoding(videos, solution, params) == pytest.approx(
            mabe_score(solution, submission, allow_empty=True), abs=1e-12)
    # LabC: silent at a threshold nothing reaches (1.0), wrong at any other (0.0)
    assert labs["LabC"].commit_all(DecodeParams(default_threshold=1.0)) == 1.0
    assert labs["LabC"].commit_all(DecodeParams(default_threshold=0.3)) == 0.0
