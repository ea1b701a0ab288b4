"""decode_video: invariants on random input and hand cases for each step."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from mabe.decode import DecodeParams, decode_video
from mabe.metrics import check_submission

ACTIONS = ["sniff", "attack", "mount", "rear"]
SELF = {"rear"}


def all_pairs(n_mice):
    return [(a, t) for a, t in itertools.product(range(1, n_mice + 1), repeat=2)]


def random_whitelist(rng, pairs):
    wl = set()
    for a, t in pairs:
        for x in ACTIONS:
            if (x in SELF) == (a == t) and rng.random() < 0.7:
                wl.add((f"mouse{a}", "self" if a == t else f"mouse{t}", x))
    return wl


def random_params(rng):
    return DecodeParams(
        default_threshold=float(rng.uniform(0.2, 0.8)),
        thresholds={"LabA": {x: float(rng.uniform(0.1, 0.9)) for x in ACTIONS if rng.random() < 0.5}},
        smoothing={x: int(rng.choice([1, 2, 5])) for x in ACTIONS},
        min_length={x: int(rng.integers(1, 5)) for x in ACTIONS},
        max_gap={x: int(rng.integers(0, 4)) for x in ACTIONS},
    )


def one_line(video=3):
    return {"video_id": video, "lab_id": "LabA"}


def test_random_outputs_respect_whitelist_one_action_per_pair_and_check_submission():
    rng = np.random.default_rng(7)
    for _ in range(60):
        pairs = all_pairs(int(rng.integers(2, 4)))
        probs = rng.random((int(rng.integers(1, 120)), len(pairs), len(ACTIONS)))
        whitelist = random_whitelist(rng, pairs)
        out = decode_video(probs, pairs, ACTIONS, whitelist, random_params(rng), **one_line())
        assert list(out.columns) == ["video_id", "agent_id", "target_id", "action", "start_frame",
                                     "stop_frame"]
        assert set(zip(out.agent_id, out.target_id, out.action, strict=True)) <= whitelist
        for _, rows in out.groupby(["agent_id", "target_id"]):
            covered = np.zeros(probs.shape[0], int)
            for s, e in zip(rows.start_frame, rows.stop_frame, strict=True):
                covered[s:e] += 1
            assert covered.max() <= 1
        check_submission(out.assign(row_id=np.arange(len(out)))[
            ["row_id", "video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"]])


def test_largest_ratio_to_threshold_wins_and_ties_go_to_first_action():
    probs = np.array([[[0.6, 0.8]], [[0.7, 0.7]]])
    wl = {("mouse1", "mouse2", "sniff"), ("mouse1", "mouse2", "attack")}
    params = DecodeParams(thresholds={"LabA": {"sniff": 0.3, "attack": 0.7}})
    out = decode_video(probs, [(1, 2)], ["sniff", "attack"], wl, params, **one_line())
    assert out[["action", "start_frame", "stop_frame"]].values.tolist() == [["sniff", 0, 2]]
    out = decode_video(probs, [(1, 2)], ["sniff", "attack"], wl, DecodeParams(default_threshold=0.7),
                       **one_line())
    assert out[["action", "start_frame", "stop_frame"]].values.tolist() == [
        ["attack", 0, 1], ["sniff", 1, 2]]


def test_unlisted_actions_never_fire_even_when_certain():
    probs = np.ones((5, 1, 2))
    out = decode_video(probs, [(1, 2)], ["sniff", "attack"], {("mouse1", "mouse2", "attack")},
                       DecodeParams(), **one_line())
    assert set(out.action) == {"attack"}


def test_pair_and_self_actions_of_one_agent_may_co_occur():
    probs = np.ones((4, 2, 2))
    wl = {("mouse1", "mouse2", "sniff"), ("mouse1", "self", "rear")}
    out = decode_video(probs, [(1, 2), (1, 1)], ["sniff", "rear"], wl, DecodeParams(), **one_line())
    assert out[["target_id", "action", "start_frame", "stop_frame"]].values.tolist() == [
        ["mouse2", "sniff", 0, 4], ["self", "rear", 0, 4]]


def test_min_length_drops_short_bouts_after_gap_bridging():
    p = np.zeros((20, 1, 1))
    p[[0, 1, 3, 4], 0, 0] = 0.9  # 2 + gap 1 + 2: one bout of 5 once bridged
    p[10:12, 0, 0] = 0.9  # alone: 2 frames
    wl = {("mouse1", "mouse2", "sniff")}
    params = DecodeParams(min_length={"sniff": 3}, max_gap={"sniff": 1})
    out = decode_video(p, [(1, 2)], ["sniff"], wl, params, **one_line())
    assert out[["start_frame", "stop_frame"]].values.tolist() == [[0, 5]]
    no_gap = DecodeParams(min_length={"sniff": 3})
    assert decode_video(p, [(1, 2)], ["sniff"], wl, no_gap, **one_line()).empty


def test_smoothing_removes_single_frame_flicker():
    p = np.full((30, 1, 1), 0.9)
    p[15] = 0.0
    wl = {("mouse1", "mouse2", "sniff")}
    raw = decode_video(p, [(1, 2)], ["sniff"], wl, DecodeParams(), **one_line())
    smooth = decode_video(p, [(1, 2)], ["sniff"], wl, DecodeParams(smoothing={"sniff": 5}),
                          **one_line())
    assert len(raw) == 2 and smooth[["start_frame", "stop_frame"]].values.tolist() == [[0, 30]]


def test_lab_thresholds_apply_to_their_lab_only():
    p = np.full((3, 1, 1), 0.4)
    wl = {("mouse1", "mouse2", "sniff")}
    params = DecodeParams(thresholds={"LabA": {"sniff": 0.3}})
    assert len(decode_video(p, [(1, 2)], ["sniff"], wl, params, "LabA", 1)) == 1
    assert decode_video(p, [(1, 2)], ["sniff"], wl, params, "LabB", 1).empty


def test_empty_output_has_the_columns():
    out = decode_video(np.zeros((0, 1, 1)), [(1, 2)], ["sniff"], set(), DecodeParams(), "L", 1)
    assert out.empty and list(out.columns)[-2:] == ["start_frame", "stop_frame"]
    assert pd.api.types.is_integer_dtype(out["start_frame"])


@pytest.mark.parametrize(
    ("shape", "pairs", "actions", "match"),
    [
        ((5, 2, 1), [(1, 2)], ["sniff"], "shape"),
        ((5, 2, 1), [(1, 2), (1, 2)], ["sniff"], "distinct"),
        ((5, 1, 2), [(1, 2)], ["sniff", "sniff"], "distinct"),
        ((5, 1), [(1, 2)], ["sniff"], "shape"),
    ],
)
def test_bad_shapes_are_rejected(shape, pairs, actions, match):
    with pytest.raises(ValueError, match=match):
        decode_video(np.zeros(shape), pairs, actions, set(), DecodeParams(), "L", 1)
