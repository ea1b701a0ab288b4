"""Simulated behaviour: catalog-matched bout statistics and a learnable signature per action."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from scipy.ndimage import uniform_filter1d

from mabe.data import schema
from mabe.data.catalog import ActionSpec, load_catalog
from mabe.data.synth.body import render
from mabe.data.synth.distributions import Z90
from mabe.data.synth.motion import simulate_track
from mabe.data.synth.posture import build_posture
from mabe.data.synth.recording import draw_setup
from mabe.data.synth.schedule import annotation_rows, schedule_bouts
from mabe.data.synth.video import stage_rngs


def _schedules(lab, n_videos: int, minutes: float, seed: int = 3):
    for i in range(n_videos):
        rngs = stage_rngs(seed, i)
        setup = draw_setup(lab, i, "train", i + 1, minutes, rngs["setup"])
        bouts = schedule_bouts(setup, rngs["schedule"])
        yield setup, bouts, annotation_rows(bouts, setup.n_frames, rngs["labels"])


@pytest.fixture(scope="module")
def catalog_runs():
    """Schedules and labels of 3 x 20 minutes per lab (no motion: fast)."""
    return {name: list(_schedules(lab, 3, 20.0)) for name, lab in load_catalog().items()}


def test_bout_durations_match_the_catalog(catalog_runs) -> None:
    """Medians lie in [p10, p90] and, within sampling error, at p50; no overall bias."""
    catalog = load_catalog()
    log_ratios = []
    for name, runs in catalog_runs.items():
        lab = catalog[name]
        durations = defaultdict(list)
        for setup, _, ann in runs:
            scale = lab.typical_fps / setup.fps
            lengths = ann["stop_frame"] - ann["start_frame"]
            for action, d in zip(ann["action"], lengths, strict=True):
                durations[action].append(d * scale)
        for action, values in durations.items():
            if len(values) < 15:
                continue
            p10, p50, p90 = lab.actions[action].duration_frames
            median = float(np.median(values))
            assert p10 - 1 <= median <= p90 + 1, (name, action, median)
            spread = (np.log(p90 / p10) / 2.0) / Z90  # log-scale sd of the fitted log-normal
            tolerance = 4.0 * 1.2533 * spread / np.sqrt(len(values)) + 0.05
            log_ratio = np.log((median + 0.5) / (p50 + 0.5))
            assert abs(log_ratio) < tolerance, (name, action, median, p50)
            log_ratios.append(log_ratio)
    assert len(log_ratios) > 60
    assert abs(np.mean(log_ratios)) < 0.1


def test_labelled_rates_follow_the_catalog(catalog_runs) -> None:
    """Lab-wide labelled bouts per minute match the catalog (rare whitelisting is made up
    for by denser labels where an action is whitelisted; crowded labs fall a bit short)."""
    catalog = load_catalog()
    ratios = []
    for name, runs in catalog_runs.items():
        minutes = sum(setup.minutes for setup, _, _ in runs)
        counts = pd.concat([ann for _, _, ann in runs])["action"].value_counts()
        for action, spec in catalog[name].actions.items():
            expected = spec.bouts_per_minute * minutes
            whitelisted = any(action == t[2] for setup, _, _ in runs for t in setup.whitelist)
            if expected >= 20 and whitelisted:
                ratios.append(counts.get(action, 0) / expected)
    assert len(ratios) > 50
    assert 0.8 < np.median(ratios) < 1.25
    assert min(ratios) > 0.2 and max(ratios) < 3.0


def test_no_mouse_is_moved_by_two_bouts_at_once(catalog_runs) -> None:
    for runs in catalog_runs.values():
        for setup, bouts, ann in runs:
            windows = defaultdict(list)
            for b in bouts:
                assert 0 <= b.start - b.lead and b.start < b.stop <= setup.n_frames
                for m in b.mice:
                    windows[m].append((b.start - b.lead, b.stop))
            for spans in windows.values():
                spans.sort()
                assert all(s1 >= e0 for (_, e0), (s1, _) in zip(spans, spans[1:], strict=False))
            for _, pair in ann.groupby(["agent_id", "target_id"]):
                pair = pair.sort_values("start_frame")
                starts, stops = pair["start_frame"].to_numpy(), pair["stop_frame"].to_numpy()
                assert (starts[1:] >= stops[:-1]).all()


def test_annotator_jitter_is_small_and_labels_are_sparse(catalog_runs) -> None:
    setup, bouts, ann = catalog_runs["GroovyShrew"][0]
    labelled = [b for b in bouts if b.labels]
    assert len(labelled) < len(bouts), "some bouts happen on triples that are not whitelisted"
    true = {(b.agent + 1, b.action, b.start): b.stop for b in labelled}
    shifts = [
        abs(r.start_frame - s) for r in ann.itertuples() for (a, act, s) in true
        if a == r.agent_id and act == r.action and abs(r.start_frame - s) <= 10
    ]
    assert shifts and np.mean(shifts) < 2.5 and max(shifts) > 0


# ------------------------------------------------------------------ signatures

_ALL = dataclasses.replace(
    load_catalog()["UppityFerret"],
    actions={
        a: ActionSpec(
            a, "self" if a in schema.SELF_ACTIONS else "pair", 100, 0.8,
            (0.7, 1.3, 3.0), (20.0, 40.0, 90.0), 0.05,
        )
        for a in schema.ACTIONS
    },
    whitelist_min_max=(1000, 1000),
    mice_per_video=(2,),
    fps_values=(25.0,),
    arena_shapes=("rectangular",),
    arena_sizes=((40.0, 30.0),),
)
_PARTS = ("nose", "ear_left", "ear_right", "neck", "body_center", "tail_base", "tail_tip")


def _frame_stats(setup, posture) -> dict[str, np.ndarray]:
    lengths = np.asarray(setup.body_lengths)
    kp = render(posture, _PARTS, lengths)  # cm, clean
    fps = setup.fps
    nose, neck, centre, base = kp[:, :, 0], kp[:, :, 3], kp[:, :, 4], kp[:, :, 5]
    head = nose - neck
    body = neck - base
    turn = np.arctan2(head[..., 1], head[..., 0]) - np.arctan2(body[..., 1], body[..., 0])
    angle = np.angle(np.exp(1j * turn))
    objects = np.array(setup.objects)
    arena = setup.arena
    return {
        "speed": np.linalg.norm(np.gradient(centre, axis=0), axis=-1) * fps,
        "length": np.linalg.norm(nose - base, axis=-1) / lengths,
        "head_osc": np.abs(angle - uniform_filter1d(angle, int(fps * 0.5), axis=0)),
        "shake": np.linalg.norm(centre - uniform_filter1d(centre, int(fps * 0.3), axis=0), axis=-1),
        "head_move": np.abs(np.gradient(angle, axis=0)) * fps,
        "wall": np.minimum.reduce(
            [centre[..., 0], arena.width - centre[..., 0],
             centre[..., 1], arena.height - centre[..., 1]]
        ),
        "object": np.linalg.norm(nose[:, :, None] - objects[None, None], axis=-1).min(axis=-1),
        "nose_gap": np.linalg.norm(nose[:, :, None] - kp[:, ::-1], axis=-1).min(axis=-1),
        "gap": np.repeat(np.linalg.norm(centre[:, 0] - centre[:, 1], axis=-1)[:, None], 2, axis=1),
    }


@pytest.fixture(scope="module")
def signature_stats():
    """Per action, mean statistics of the agent inside its bouts, and of free mice."""
    inside, free = defaultdict(lambda: defaultdict(list)), defaultdict(list)
    for i in range(4):
        rngs = stage_rngs(11, i)
        setup = draw_setup(_ALL, i, "train", 1, 15.0, rngs["setup"])
        setup = dataclasses.replace(setup, body_parts=_PARTS)
        bouts = schedule_bouts(setup, rngs["schedule"])
        track = simulate_track(setup, bouts, rngs["motion"])
        posture = build_posture(track, bouts, setup.fps, rngs["posture"])
        stats = _frame_stats(setup, posture)
        busy = np.zeros((setup.n_frames, 2), dtype=bool)
        for b in bouts:
            busy[b.start - b.lead : b.stop, [b.agent, b.partner]] = True
            s, e, a = b.start, b.stop, b.agent
            for name, values in stats.items():
                inside[b.action][name].append(float(values[s:e, a].mean()))
            change = stats["gap"][e - 1, a] - stats["gap"][s, a]
            inside[b.action]["gap_change"].append(float(change))
        for name, values in stats.items():
            free[name].append(float(values[~busy].mean()))
    return {a: {k: np.mean(v) for k, v in d.items()} for a, d in inside.items()}, {
        k: np.mean(v) for k, v in free.items()
    }


# (statistic, "above"/"below", factor of the free-mouse mean) that sets each action apart
_SIGNS: dict[str, list[tuple[str, str, float]]] = {
    "sniff": [("nose_gap", "below", 0.4)],
    "sniffface": [("nose_gap", "below", 0.4)],
    "sniffbody": [("nose_gap", "below", 0.4)],
    "sniffgenital": [("nose_gap", "below", 0.4)],
    "reciprocalsniff": [("nose_gap", "below", 0.4)],
    "approach": [("gap_change", "below", -2.0)],
    "allogroom": [("nose_gap", "below", 0.3), ("speed", "below", 0.5)],
    "dominancegroom": [("nose_gap", "below", 0.2), ("speed", "below", 0.4)],
    "mount": [("gap", "below", 0.35), ("length", "below", 0.8)],
    "intromit": [("gap", "below", 0.35), ("length", "below", 0.8), ("shake", "above", 2.0)],
    "attemptmount": [("gap", "below", 0.5), ("shake", "above", 2.0)],
    "dominancemount": [("gap", "below", 0.35), ("length", "below", 0.8)],
    "ejaculate": [("gap", "below", 0.35), ("speed", "below", 0.3), ("head_move", "below", 0.5)],
    "follow": [("speed", "above", 1.4), ("nose_gap", "below", 0.6)],
    "chase": [("speed", "above", 2.5)],
    "chaseattack": [("speed", "above", 2.5), ("shake", "above", 3.0)],
    "shepherd": [("nose_gap", "below", 0.3)],
    "attack": [("speed", "above", 2.0), ("shake", "above", 4.0), ("nose_gap", "below", 0.4)],
    "tussle": [("speed", "above", 1.5), ("shake", "above", 3.0), ("gap", "below", 0.6)],
    "dominance": [("gap", "below", 0.35), ("length", "below", 0.92)],
    "defend": [("length", "below", 0.8), ("gap", "below", 0.5)],
    "avoid": [("gap_change", "above", 2.0)],
    "escape": [("gap_change", "above", 2.0), ("speed", "above", 2.5)],
    "disengage": [("gap_change", "above", 2.0)],
    "flinch": [("head_osc", "above", 1.5), ("gap", "below", 0.5)],
    "submit": [("speed", "below", 0.3), ("length", "below", 0.85), ("gap", "below", 0.6)],
    "rear": [("length", "below", 0.8), ("speed", "below", 0.3)],
    "climb": [("length", "below", 0.8), ("wall", "below", 0.5)],
    "dig": [("wall", "below", 0.5), ("shake", "above", 2.0)],
    "selfgroom": [("head_osc", "above", 1.4), ("speed", "below", 0.3), ("length", "below", 0.8)],
    "genitalgroom": [("length", "below", 0.75), ("speed", "below", 0.3)],
    "freeze": [("speed", "below", 0.1), ("head_move", "below", 0.2)],
    "rest": [("speed", "below", 0.1), ("length", "below", 0.8)],
    "huddle": [("gap", "below", 0.6), ("speed", "below", 0.4), ("head_move", "below", 0.5)],
    "run": [("speed", "above", 3.0)],
    "biteobject": [("object", "below", 0.2), ("speed", "below", 0.3)],
    "exploreobject": [("object", "below", 0.3), ("speed", "below", 0.3)],
}


def test_every_action_has_a_signature() -> None:
    assert set(_SIGNS) == set(schema.ACTIONS)


@pytest.mark.slow  # one simulation per action (~5 s together): make test, not the fast lane
@pytest.mark.parametrize("action", sorted(_SIGNS))
def test_signature_sets_the_action_apart(signature_stats, action: str) -> None:
    inside, free = signature_stats
    assert action in inside, f"no bout of {action} was simulated"
    for stat, side, factor in _SIGNS[action]:
        value = inside[action][stat]
        bound = factor if stat == "gap_change" else factor * free[stat]
        ok = value < bound if side == "below" else value > bound
        where = f"(free mice: {free.get(stat, 0):.2f})"
        assert ok, f"{action}: mean {stat} {value:.2f} should be {side} {bound:.2f} {where}"


# ------------------------------------------------------- the written pose files


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory):
    """Dense pose (cm) and labels read back from a synthesized 2-lab dataset."""
    from mabe.data.synth import synthesize

    root = tmp_path_factory.mktemp("synth") / "data"
    labs = ["CalMS21_task1", "NiftyGoldfinch"]
    synthesize(root, n_videos=4, seed=21, labs=labs, minutes=5.0, progress=False)
    videos = []
    for split in schema.SPLITS:
        for _, row in pd.read_csv(schema.metadata_path(root, split)).iterrows():
            parts = schema.parse_body_parts(row["body_parts_tracked"])
            n = int(round(row["video_duration_sec"] * row["frames_per_second"]))
            key = (split, row["lab_id"], row["video_id"])
            track = pd.read_parquet(schema.tracking_path(root, *key))
            pose = np.full((n, 2, len(parts), 2), np.nan)
            p = track["bodypart"].map({name: i for i, name in enumerate(parts)}).to_numpy()
            f, m = track["video_frame"].to_numpy(), track["mouse_id"].to_numpy() - 1
            pose[f, m, p] = track[["x", "y"]].to_numpy() / row["pix_per_cm_approx"]
            ann = pd.read_parquet(schema.annotation_path(root, *key))
            videos.append((parts, row["frames_per_second"], pose, ann))
    return videos


def _inside_outside(videos, actions, statistic):
    """Median of ``statistic(parts, fps, pose, agent, target)`` inside and outside the bouts."""
    inside, outside = [], []
    for parts, fps, pose, ann in videos:
        chosen = ann[ann["action"].isin(actions)]
        for (agent, target), pair in chosen.groupby(["agent_id", "target_id"]):
            values = statistic(parts, fps, pose, agent - 1, target - 1)
            mask = np.zeros(len(values), dtype=bool)
            for r in pair.itertuples():
                mask[r.start_frame : r.stop_frame] = True
            inside.append(values[mask])
            outside.append(values[~mask])
    inside, outside = np.concatenate(inside), np.concatenate(outside)
    assert np.isfinite(inside).sum() > 100
    return np.nanmedian(inside), np.nanmedian(outside)


def _nose_gap(parts, fps, pose, agent, target):
    nose = pose[:, agent, parts.index("nose")]
    return np.nanmin(np.linalg.norm(pose[:, target] - nose[:, None], axis=-1), axis=1)


def _body_length(parts, fps, pose, agent, target):
    nose, base = pose[:, agent, parts.index("nose")], pose[:, agent, parts.index("tail_base")]
    return np.linalg.norm(nose - base, axis=-1)


def _speed(parts, fps, pose, agent, target):
    centre = np.nanmean(pose[:, agent], axis=1)
    step = np.linalg.norm(np.diff(centre, axis=0), axis=-1) * fps
    return uniform_filter1d(np.append(step, np.nan), 5)


@pytest.mark.filterwarnings(
    "ignore:All-NaN slice:RuntimeWarning", "ignore:Mean of empty slice:RuntimeWarning"
)
def test_sniffing_mice_keep_their_nose_on_the_partner(written) -> None:
    sniffs = ["sniff", "sniffface", "sniffbody", "sniffgenital"]
    inside, outside = _inside_outside(written, sniffs, _nose_gap)
    assert inside < 3.0 and inside < 0.6 * outside


def test_rearing_shortens_the_body_seen_from_above(written) -> None:
    inside, outside = _inside_outside(written, ["rear"], _body_length)
    assert inside < 0.8 * outside


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
def test_chasing_and_attacking_mice_are_fast(written) -> None:
    inside, outside = _inside_outside(written, ["chase", "attack", "escape"], _speed)
    assert inside > 1.8 * outside
