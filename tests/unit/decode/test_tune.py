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
            for s, e in zip(*mask_to_intervals(truth[:, p] == k)):
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
