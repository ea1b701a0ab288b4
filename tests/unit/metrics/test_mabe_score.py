"""Tests of the MABe interval F-score against hand cases and a per-frame reference."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mabe.data.schema import parse_behaviors_labeled
from mabe.errors import InvalidSubmission
from mabe.metrics import mabe_score, score_report

ATTACK_ONLY = '["mouse1,mouse2,attack"]'


def solution_row(video, action, start, stop, lab="lab1", listed=ATTACK_ONLY, agent="mouse1",
                 target="mouse2"):
    return {"video_id": video, "agent_id": agent, "target_id": target, "action": action,
            "start_frame": start, "stop_frame": stop, "lab_id": lab, "behaviors_labeled": listed}


def submission_row(video, action, start, stop, agent="mouse1", target="mouse2"):
    return {"video_id": video, "agent_id": agent, "target_id": target, "action": action,
            "start_frame": start, "stop_frame": stop}


def frame(rows):
    df = pd.DataFrame(rows)
    if "behaviors_labeled" not in df.columns:
        df.insert(0, "row_id", np.arange(len(df)))
    return df


# --------------------------------------------------------------------------- per-frame reference


def reference_score(solution: pd.DataFrame, submission: pd.DataFrame, beta: float = 1.0,
                    allow_empty: bool = False) -> float:
    """Per-frame Python-set version of the metric, written straight from its rules.

    A solution row without an action is a placeholder for a labelled video
    with no bout: the video is scored (its whitelist and lab are known) but
    has no labelled frame. A lab with no action at all scores 1.
    """
    if len(solution) == 0 or (len(submission) == 0 and not allow_empty):
        raise InvalidSubmission("empty")
    for col in ("video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"):
        if col not in solution.columns or col not in submission.columns:
            raise InvalidSubmission(f"missing {col}")
    for df in (solution, submission):
        if (df["start_frame"] > df["stop_frame"]).any():
            raise InvalidSubmission("start after stop")

    listed: dict[str, set[str]] = {}
    lab_of: dict[str, object] = {}
    labels: dict[tuple, set[int]] = defaultdict(set)
    for row in solution.itertuples():
        video = str(row.video_id)
        if video not in listed:
            listed[video] = {",".join(t) for t in parse_behaviors_labeled(row.behaviors_labeled)}
            lab_of[video] = row.lab_id
        if pd.isna(row.action):  # placeholder: a labelled video without a bout
            continue
        key = (video, str(row.agent_id), str(row.target_id), row.action)
        labels[key].update(range(row.start_frame, row.stop_frame))

    predictions: dict[tuple, set[int]] = {}
    pair_frames: dict[tuple, set[int]] = defaultdict(set)
    for row in submission.itertuples():
        video = str(row.video_id)
        if video not in listed:
            continue
        agent, target = str(row.agent_id), str(row.target_id)
        if f"{agent},{target},{row.action}" not in listed[video]:
            continue
        key = (video, agent, target, row.action)
        predictions.setdefault(key, set())
        new = set(range(row.start_frame, row.stop_frame)) - predictions[key]
        if pair_frames[(video, agent, target)] & new:
            raise InvalidSubmission("two actions in one frame")
        predictions[key] |= new
        pair_frames[(video, agent, target)] |= new

    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for key in set(labels) | set(predictions):
        truth, guess = labels.get(key, set()), predictions.get(key, set())
        c = counts[(lab_of[key[0]], key[3])]
        c[0] += len(truth & guess)
        c[1] += len(guess - truth)
        c[2] += len(truth - guess)

    lab_scores = []
    for lab in dict.fromkeys(solution["lab_id"]):
        fs = []
        for (lab_id, _), (tp, fp, fn) in counts.items():
            if lab_id != lab:
                continue
            denom = (1 + beta**2) * tp + beta**2 * fn + fp
            fs.append((1 + beta**2) * tp / denom if denom else 0.0)
        lab_scores.append(sum(fs) / len(fs) if fs else 1.0)
    return sum(lab_scores) / len(lab_scores)


# --------------------------------------------------------------------------- random cases

PAIR_ACTIONS = ["sniff", "attack", "mount"]
SELF_ACTIONS = ["rear", "groom"]


def random_case(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    sol_rows, sub_rows = [], []
    video = 0
    for lab in range(int(rng.integers(1, 4))):
        for _ in range(int(rng.integers(1, 4))):
            video += 1
            mice = [f"mouse{m}" for m in range(1, int(rng.integers(2, 4)) + 1)]
            triples = [(a, t, x) for a in mice for t in mice if a != t for x in PAIR_ACTIONS]
            triples += [(a, "self", x) for a in mice for x in SELF_ACTIONS]
            take = rng.random(len(triples)) < rng.uniform(0.2, 0.9)
            listed = [",".join(t) for t, k in zip(triples, take, strict=True) if k]
            text = json.dumps(listed) if rng.random() > 0.05 else ""
            labelled = [t for t, k in zip(triples, take, strict=True) if k] or triples[:1]
            for _ in range(int(rng.integers(1, 7))):
                a, t, x = labelled[rng.integers(len(labelled))]
                start = int(rng.integers(0, 60))
                stop = start + int(rng.choice([0, 1, 2, 5, 10, 20]))
                sol_rows.append(solution_row(video, x, start, stop, f"lab{lab}", text, a, t))
            sub_rows += random_predictions(rng, video, triples)
    sub_rows += random_predictions(rng, 999, [("mouse1", "mouse2", "attack")])
    return frame(sol_rows), frame(sub_rows)


def random_predictions(rng, video, triples):
    rows = []
    pairs = sorted({(a, t) for a, t, _ in triples})
    for a, t in pairs:
        actions = [x for aa, tt, x in triples if (aa, tt) == (a, t)]
        position = int(rng.integers(0, 10))
        while position < 70 and rng.random() < 0.8:
            length = int(rng.choice([0, 1, 3, 8, 15]))
            action = actions[rng.integers(len(actions))]
            rows.append(submission_row(video, action, position, position + length, a, t))
            if length and rng.random() < 0.3:  # a repeat / overlap of the same action
                s = position + int(rng.integers(0, length))
                e = min(s + int(rng.integers(0, length + 1)), position + length)
                rows.append(submission_row(video, action, s, e, a, t))
            position += length + int(rng.choice([0, 0, 1, 4]))
        if rng.random() < 0.015:  # a clash with another action (fatal only if both are listed)
            start = int(rng.integers(0, 60))
            rows.append(submission_row(video, actions[rng.integers(len(actions))], start,
                                       start + 5, a, t))
    rng.shuffle(rows)
    return rows


def run(fn, solution, submission):
    try:
        return fn(solution, submission)
    except InvalidSubmission:
        return "invalid"


@pytest.mark.slow  # many random cases against the per-frame reference: seconds, so make test only
def test_matches_per_frame_reference_on_random_cases():
    rng = np.random.default_rng(20250)
    outcomes = defaultdict(int)
    for _ in range(300):
        solution, submission = random_case(rng)
        if submission.empty:
            continue
        expected = run(reference_score, solution, submission)
        got = run(mabe_score, solution, submission)
        if expected == "invalid":
            assert got == "invalid"
            outcomes["invalid"] += 1
        else:
            assert got == pytest.approx(expected, abs=1e-9)
            outcomes["scored"] += 1
    assert outcomes["scored"] >= 200 and outcomes["invalid"] >= 5


# --------------------------------------------------------------------------- hand cases


def test_exact_match_scores_one():
    sol = frame([solution_row(1, "attack", 0, 10)])
    assert mabe_score(sol, frame([submission_row(1, "attack", 0, 10)])) == 1.0


def test_wrong_action_scores_zero():
    sol = frame([solution_row(1, "attack", 0, 10)])
    assert mabe_score(sol, frame([submission_row(1, "mount", 0, 10)])) == 0.0


def test_matched_attack_and_missed_mount_give_half():
    sol = frame([solution_row(123, "attack", 0, 9), solution_row(123, "mount", 15, 24)])
    assert mabe_score(sol, frame([submission_row(123, "attack", 0, 9)])) == pytest.approx(0.5)


def test_two_labs_one_predicted_video_gives_quarter():
    sol = frame([
        solution_row(123, "attack", 0, 9), solution_row(123, "mount", 15, 24),
        solution_row(345, "attack", 0, 9, lab="lab2"),
        solution_row(345, "mount", 15, 24, lab="lab2"),
    ])
    assert mabe_score(sol, frame([submission_row(123, "attack", 0, 9)])) == pytest.approx(0.25)


def test_one_prediction_over_adjacent_labels_scores_one():
    sol = frame([solution_row(1, "attack", 0, 10), solution_row(1, "attack", 10, 20)])
    assert mabe_score(sol, frame([submission_row(1, "attack", 0, 20)])) == 1.0


def test_one_prediction_over_separate_labels_scores_two_thirds():
    sol = frame([solution_row(1, "attack", 0, 10), solution_row(1, "attack", 30, 40)])
    assert mabe_score(sol, frame([submission_row(1, "attack", 0, 40)])) == pytest.approx(2 / 3)


def test_repeated_and_overlapping_rows_of_one_action_are_merged():
    sol = frame([solution_row(1, "attack", 0, 10)])
    sub = frame([submission_row(1, "attack", 0, 10), submission_row(1, "attack", 5, 12),
                 submission_row(1, "attack", 0, 10)])
    assert mabe_score(sol, sub) == pytest.approx(2 * 10 / (2 * 10 + 2))


def test_unlisted_rows_and_unknown_videos_cost_nothing():
    sol = frame([solution_row(1, "attack", 0, 10)])
    sub = frame([submission_row(1, "attack", 0, 10), submission_row(1, "sniff", 0, 50),
                 submission_row(1, "attack", 0, 50, target="mouse3"),
                 submission_row(77, "attack", 0, 50)])
    assert mabe_score(sol, sub) == 1.0


def test_listed_action_absent_from_lab_adds_zero():
    listed = '["mouse1,mouse2,attack", "mouse1,mouse2,mount"]'
    sol = frame([solution_row(1, "attack", 0, 10, listed=listed)])
    sub = frame([submission_row(1, "attack", 0, 10), submission_row(1, "mount", 20, 30)])
    assert mabe_score(sol, sub) == pytest.approx(0.5)
    # as in the competition's code, even an empty kept row brings its action in
    sub = frame([submission_row(1, "attack", 0, 10), submission_row(1, "mount", 20, 20)])
    assert mabe_score(sol, sub) == pytest.approx(0.5)


def test_single_quoted_items_and_text_video_ids():
    listed = "[\"'mouse1','mouse2','attack'\"]"
    sol = frame([solution_row("v1", "attack", 0, 10, listed=listed)])
    assert mabe_score(sol, frame([submission_row("v1", "attack", 0, 10)])) == 1.0


def test_integer_and_text_video_ids_are_matched():
    sol = frame([solution_row(5, "attack", 0, 10)])
    assert mabe_score(sol, frame([submission_row("5", "attack", 0, 10)])) == 1.0


def test_score_report_breaks_down_by_lab_and_action():
    sol = frame([
        solution_row(1, "attack", 0, 10), solution_row(1, "mount", 20, 30),
        solution_row(2, "attack", 0, 10, lab="lab2"),
    ])
    report = score_report(sol, frame([submission_row(1, "attack", 5, 15)]))
    assert list(report.table.columns) == ["lab_id", "action", "f", "tp", "fp", "fn"]
    row = report.table.set_index(["lab_id", "action"]).loc[("lab1", "attack")]
    assert (row.tp, row.fp, row.fn) == (5, 5, 5)
    assert report.per_lab.to_dict() == pytest.approx({"lab1": 0.25, "lab2": 0.0})
    assert report.score == pytest.approx(0.125)


# --------------------------------------------------------------------------- errors


def test_empty_inputs_are_rejected():
    sol = frame([solution_row(1, "attack", 0, 10)])
    sub = frame([submission_row(1, "attack", 0, 10)])
    with pytest.raises(InvalidSubmission, match="submission is empty"):
        mabe_score(sol, sub.iloc[:0])
    with pytest.raises(InvalidSubmission, match="solution is empty"):
        mabe_score(sol.iloc[:0], sub)


@pytest.mark.parametrize("column", ["video_id", "action", "stop_frame"])
def test_missing_column_is_rejected(column):
    sol = frame([solution_row(1, "attack", 0, 10)])
    sub = frame([submission_row(1, "attack", 0, 10)])
    with pytest.raises(InvalidSubmission, match=column):
        mabe_score(sol, sub.drop(columns=column))
    with pytest.raises(InvalidSubmission, match=column):
        mabe_score(sol.drop(columns=column), sub)
    with pytest.raises(InvalidSubmission, match="lab_id"):
        mabe_score(sol.drop(columns="lab_id"), sub)


def test_start_after_stop_is_rejected():
    sol = frame([solution_row(1, "attack", 0, 10)])
    with pytest.raises(InvalidSubmission, match="start_frame > stop_frame"):
        mabe_score(sol, frame([submission_row(1, "attack", 10, 9)]))
    with pytest.raises(InvalidSubmission, match="start_frame > stop_frame"):
        mabe_score(frame([solution_row(1, "attack", 5, 4)]), frame([submission_row(1, "attack", 0, 1)]))


def test_non_integer_frames_are_rejected():
    sol = frame([solution_row(1, "attack", 0, 10)])
    with pytest.raises(InvalidSubmission, match="non-integer"):
        mabe_score(sol, frame([submission_row(1, "attack", 0, 9.5)]))


def test_two_actions_on_one_pair_in_one_frame_is_rejected():
    listed = '["mouse1,mouse2,attack", "mouse1,mouse2,mount"]'
    sol = frame([solution_row(4, "attack", 0, 10, listed=listed)])
    sub = frame([submission_row(4, "attack", 0, 10), submission_row(4, "mount", 8, 20)])
    with pytest.raises(InvalidSubmission, match=r"video 4: mouse1 -> mouse2 .*\[8, 10\)"):
        mabe_score(sol, sub)


def test_same_frames_on_different_targets_are_fine():
    listed = '["mouse1,mouse2,attack", "mouse1,mouse3,attack", "mouse1,self,rear"]'
    sol = frame([solution_row(4, "attack", 0, 10, listed=listed)])
    sub = frame([submission_row(4, "attack", 0, 10), submission_row(4, "attack", 0, 10, target="mouse3"),
                 submission_row(4, "rear", 0, 10, target="self")])
    # attack: tp 10, fp 10 (the mouse3 target) -> 2/3; rear: predicted, never labelled -> 0
    assert mabe_score(sol, sub) == pytest.approx((2 / 3 + 0.0) / 2)


def test_clash_between_an_unlisted_row_and_a_listed_one_is_ignored():
    sol = frame([solution_row(4, "attack", 0, 10)])
    sub = frame([submission_row(4, "attack", 0, 10), submission_row(4, "mount", 0, 10)])
    assert mabe_score(sol, sub) == 1.0


def test_submission_with_nothing_kept_scores_zero():
    sol = frame([solution_row(1, "attack", 0, 10)])
    report = score_report(sol, frame([submission_row(9, "attack", 0, 10)]))
    assert report.score == 0.0
    assert report.table[["tp", "fp", "fn"]].values.tolist() == [[0, 0, 10]]


# --------------------------------------------------------------------------- bout-less videos


def placeholder(video, lab, listed):
    """The solution row of a labelled video without a bout (see mabe.data.solution)."""
    return {"video_id": video, "agent_id": None, "target_id": None, "action": None,
            "start_frame": 0, "stop_frame": 0, "lab_id": lab, "behaviors_labeled": listed}


def without_bouts(solution: pd.DataFrame, rng: np.random.Generator, p: float) -> pd.DataFrame:
    """Each video's bouts replaced by one placeholder row with probability ``p``."""
    rows = []
    for _, group in solution.groupby("video_id", sort=False):
        if rng.random() < p:
            first = group.iloc[0]
            rows.append(placeholder(first.video_id, first.lab_id, first.behaviors_labeled))
        else:
            rows += group.to_dict("records")
    return frame(rows)


@pytest.mark.slow  # many random cases against the per-frame reference: seconds, so make test only
def test_boutless_videos_match_the_per_frame_reference_on_random_cases():
    rng = np.random.default_rng(7)
    outcomes = defaultdict(int)
    for _ in range(60):
        solution, submission = random_case(rng)
        solution = without_bouts(solution, rng, 0.4)
        expected = run(lambda a, b: reference_score(a, b, allow_empty=True), solution, submission)
        got = run(lambda a, b: mabe_score(a, b, allow_empty=True), solution, submission)
        if expected == "invalid":
            assert got == "invalid"
            outcomes["invalid"] += 1
        else:
            assert got == pytest.approx(expected, abs=1e-9)
            outcomes["scored"] += 1
            boutless = solution["action"].isna()
            outcomes["with boutless"] += bool(boutless.any())
            outcomes["boutless lab"] += bool(
                solution.groupby("lab_id")["action"].apply(lambda a: a.isna().all()).any())
    # the seed is fixed: these are the counts it gives (58 / 2 / 44 / 24)
    assert outcomes["scored"] >= 50 and outcomes["invalid"] >= 1
    assert outcomes["with boutless"] >= 35 and outcomes["boutless lab"] >= 15


def test_predictions_on_a_boutless_video_are_false_positives():
    sol = frame([solution_row(1, "attack", 0, 10), placeholder(2, "lab1", ATTACK_ONLY)])
    sub = frame([submission_row(1, "attack", 0, 10), submission_row(2, "attack", 0, 30)])
    report = score_report(sol, sub)
    row = report.table.set_index("action").loc["attack"]
    assert (row.tp, row.fp, row.fn) == (10, 30, 0)
    assert report.score == pytest.approx(2 * 10 / (2 * 10 + 30))
    # the competition's view (bout rows only) drops video 2 and its 30 frames
    assert mabe_score(sol.iloc[:1], sub) == 1.0


def test_labelled_argument_equals_placeholder_rows():
    bouts = frame([solution_row(1, "attack", 0, 10)])
    videos = pd.DataFrame({"video_id": [1, 2, 3], "lab_id": "lab1",
                           "behaviors_labeled": [ATTACK_ONLY, ATTACK_ONLY, "[]"]})
    sub = frame([submission_row(1, "attack", 0, 10), submission_row(2, "attack", 0, 5),
                 submission_row(3, "attack", 0, 50)])  # 3 lists nothing: not labelled
    with_rows = frame([solution_row(1, "attack", 0, 10), placeholder(2, "lab1", ATTACK_ONLY)])
    assert mabe_score(bouts, sub, labelled=videos) == mabe_score(with_rows, sub)
    assert mabe_score(bouts, sub, labelled=videos) == pytest.approx(20 / 25)


def test_boutless_lab_scores_one_when_silent_and_zero_when_not():
    sol = frame([solution_row(1, "attack", 0, 10), placeholder(2, "lab2", ATTACK_ONLY)])
    silent = score_report(sol, frame([submission_row(1, "attack", 0, 10)]))
    assert silent.per_lab.to_dict() == {"lab1": 1.0, "lab2": 1.0}
    noisy = score_report(sol, frame([submission_row(1, "attack", 0, 10),
                                     submission_row(2, "attack", 3, 4)]))
    assert noisy.per_lab.to_dict() == {"lab1": 1.0, "lab2": 0.0}
    assert noisy.score == 0.5


def test_empty_submission_scores_zero_on_labs_with_bouts_when_allowed():
    sol = frame([solution_row(1, "attack", 0, 10), solution_row(5, "attack", 0, 4, lab="lab2")])
    empty = frame([submission_row(1, "attack", 0, 10)]).iloc[:0]
    with pytest.raises(InvalidSubmission, match="submission is empty"):
        score_report(sol, empty)
    report = score_report(sol, empty, allow_empty=True)
    assert report.score == 0.0 and report.table[["tp", "fp", "fn"]].values.tolist() == [[0, 0, 10],
                                                                                         [0, 0, 4]]


def test_ignored_rows_are_counted_once_under_their_first_reason():
    listed = '["mouse1,mouse2,attack", "mouse1,self,rear"]'
    sol = frame([solution_row(1, "attack", 0, 10, listed=listed)])
    sub = frame([
        submission_row(1, "attack", 0, 10),                 # kept
        submission_row(9, "attack", 0, 10, agent="1"),      # unknown video (first reason)
        submission_row(1, "attack", 0, 10, agent="1"),      # bad agent form
        submission_row(1, "attack", 20, 30, target="2"),    # bad target form
        submission_row(1, "sniff", 20, 30),                 # not whitelisted
        submission_row(1, "attack", 0, 10, target="mouse1"),  # not whitelisted (self written out)
        submission_row(1, "rear", 40, 40, target="self"),   # zero length
        submission_row(1, "sniff", 50, 50),                 # not whitelisted beats zero length
    ])
    report = score_report(sol, sub)
    assert report.ignored == {"unknown_video": 1, "bad_mouse_id": 2, "not_whitelisted": 3,
                              "zero_length": 1}
    assert report.n_rows == 8
    assert score_report(sol, sub.iloc[:1]).ignored == dict.fromkeys(report.ignored, 0)


# --------------------------------------------------------------------------- hypothesis

TRIPLES = [("mouse1", "mouse2", "attack"), ("mouse1", "mouse2", "sniff"),
           ("mouse2", "mouse1", "attack"), ("mouse1", "self", "rear"), ("mouse2", "self", "rear")]


@st.composite
def cases(draw, allow_boutless: bool = True):
    """(solution with placeholders, labelled-video table, submission) of a few small videos."""
    sol_rows, sub_rows, meta_rows = [], [], []
    n_labs = draw(st.integers(1, 3))
    video = 0
    for lab in range(n_labs):
        for _ in range(draw(st.integers(1, 3))):
            video += 1
            listed = draw(st.lists(st.sampled_from(TRIPLES), min_size=1, max_size=4, unique=True))
            text = json.dumps([",".join(t) for t in listed])
            meta_rows.append({"video_id": video, "lab_id": f"lab{lab}", "behaviors_labeled": text})
            n_bouts = draw(st.integers(0 if allow_boutless else 1, 3))
            for _ in range(n_bouts):
                a, t, x = draw(st.sampled_from(listed))
                start = draw(st.integers(0, 30))
                stop = start + draw(st.integers(0, 12))
                sol_rows.append(solution_row(video, x, start, stop, f"lab{lab}", text, a, t))
            if n_bouts == 0:
                sol_rows.append(placeholder(video, f"lab{lab}", text))
            for _ in range(draw(st.integers(0, 4))):
                a, t, x = draw(st.sampled_from(TRIPLES))  # may be unlisted
                start = draw(st.integers(0, 30))
                sub_rows.append(submission_row(video, x, start, start + draw(st.integers(0, 12)),
                                               a, t))
    columns = list(submission_row(0, "", 0, 0))
    submission = frame(sub_rows) if sub_rows else pd.DataFrame(columns=["row_id", *columns])
    return frame(sol_rows), pd.DataFrame(meta_rows), submission


def lenient(fn):
    return lambda sol, sub: fn(sol, sub, allow_empty=True)


@pytest.mark.slow  # many random cases against the per-frame reference: seconds, so make test only
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_hypothesis_matches_the_reference_with_boutless_videos(case):
    solution, meta, submission = case
    expected = run(lenient(reference_score), solution, submission)
    got = run(lenient(mabe_score), solution, submission)
    assert got == expected if expected == "invalid" else got == pytest.approx(expected, abs=1e-9)
    # the same videos given as a list beside the bout rows score the same
    bouts = solution[solution["action"].notna()]
    if len(bouts):
        listed = run(lambda a, b: mabe_score(a, b, labelled=meta, allow_empty=True), bouts, submission)
        assert listed == got if got == "invalid" else listed == pytest.approx(got, abs=1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(allow_boutless=False))
def test_hypothesis_every_video_with_a_bout_is_the_competition_metric(case):
    solution, meta, submission = case
    assume(not submission.empty)
    # the labelled list adds nothing when every video has a bout: the score is Kaggle's
    expected = run(reference_score, solution, submission)
    assert run(lambda a, b: mabe_score(a, b, labelled=meta), solution, submission) == (
        expected if expected == "invalid" else pytest.approx(expected, abs=1e-9))


@pytest.mark.slow  # many random cases against the per-frame reference: seconds, so make test only
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_hypothesis_rows_on_boutless_videos_never_raise_the_score(case):
    solution, _, submission = case
    boutless = set(solution.loc[solution["action"].isna(), "video_id"])
    quiet = submission[~submission["video_id"].isin(boutless)]
    full = run(lenient(mabe_score), solution, submission)
    assume(full != "invalid")
    assert full <= mabe_score(solution, quiet, allow_empty=True) + 1e-12
