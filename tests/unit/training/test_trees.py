from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mabe.data.io import MabeDataset
from mabe.errors import MabeError
from mabe.training.labels import (
    action_vocabulary,
    intervals_to_dense,
    pair_action_mask,
    pair_intervals,
)
from mabe.training.samples import all_pairs
from mabe.training.trees import (
    TreeSettings,
    fit_trees,
    load_trees,
    stride_frames,
    training_rows,
)

FAST = TreeSettings(n_estimators=60, learning_rate=0.1, min_data_in_leaf=5, num_threads=1)


@pytest.fixture(scope="module")
def fitted(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[MabeDataset, Path, dict, Path]:
    ds = MabeDataset(tiny_data)
    metas = ds.metas("train")
    out = tmp_path_factory.mktemp("trees") / "model"
    cache = out.parent / "cache"
    summary = fit_trees(ds, metas[:3], metas[3:], action_vocabulary(metas), FAST, out, False, cache_dir=cache)
    return ds, out, summary, cache


def _frame_f1(ds: MabeDataset, predictor, metas) -> tuple[float, float]:
    """Frame-level F1 over supervised (pair, action) frames, model vs predicting every frame positive."""
    tp = fp = fn = pos = total = 0
    for meta in metas:
        video = ds.load_video(meta)
        pred = predictor.predict_video(video)
        mask = pair_action_mask(meta, pred.pairs, pred.actions)
        for p, bouts in enumerate(pair_intervals(video.annotations, pred.pairs, pred.actions)):
            y = intervals_to_dense(bouts, video.n_frames, len(pred.actions)) > 0
            hit = pred.probs[:, p] >= 0.5
            m = np.broadcast_to(mask[p], y.shape)
            tp += int((hit & y & m).sum())
            fp += int((hit & ~y & m).sum())
            fn += int((~hit & y & m).sum())
            pos += int((y & m).sum())
            total += int(m.sum())
    return 2 * tp / max(2 * tp + fp + fn, 1), 2 * pos / max(pos + total, 1)


@pytest.mark.slow  # fits tree models (the module fixture): make test only
def test_fit_writes_a_model_dir_and_beats_the_prior_on_train(fitted) -> None:
    ds, out, summary, _ = fitted
    assert {p.name for p in out.iterdir()} >= {
        "trees_model.txt", "tree_settings.json", "feature_importance.csv", "summary.json"
    }
    assert json.loads((out / "summary.json").read_text()) == summary
    assert summary["kind"] == "lgbm" and summary["n_train_videos"] == 3 and summary["valid_rows"] > 0
    importance = pd.read_csv(out / "feature_importance.csv")
    n_columns = len(FAST.feature_names()) + 1
    assert len(importance) == n_columns * len(summary["actions"])
    assert set(importance["action"]) == set(summary["actions"]) and importance["gain"].max() > 0
    predictor = load_trees(out)
    f1, prior = _frame_f1(ds, predictor, ds.metas("train")[:3])
    assert f1 > prior + 0.3 and f1 > 0.7


@pytest.mark.slow  # fits tree models (the module fixture): make test only
def test_predict_video_shape_pairs_and_order(fitted) -> None:
    ds, out, summary, _ = fitted
    predictor = load_trees(out)
    video = ds.load_video(ds.metas("test")[0])
    pred = predictor.predict_video(video)
    assert pred.label_scheme == "actions" and pred.actions == summary["actions"] == predictor.actions
    assert pred.pairs == all_pairs(video)
    assert pred.probs.shape == (video.n_frames, len(pred.pairs), len(pred.actions))
    assert pred.probs.dtype == np.float32 and ((pred.probs >= 0) & (pred.probs <= 1)).all()
    # a clip of the video: same shape rules, no failure on a handful of frames
    short = type(video)(video.meta, type(video.pose)(video.pose.coords[:5], video.pose.body_parts), None)
    assert predictor.predict_video(short).probs.shape == (5, len(pred.pairs), len(pred.actions))


@pytest.mark.slow  # fits tree models (the module fixture): make test only
def test_predict_video_pairs_line_up_with_their_features(fitted, monkeypatch) -> None:
    from mabe.features.tree_features import build_tree_features
    from mabe.training import trees

    ds, out, _, _ = fitted
    predictor = load_trees(out)
    video = ds.load_video(ds.metas("test")[1])
    batched = predictor.predict_video(video)
    monkeypatch.setattr(trees, "PREDICT_ROWS", 1)  # one pair per LightGBM call
    np.testing.assert_array_equal(predictor.predict_video(video).probs, batched.probs)
    s = predictor.settings
    feats = build_tree_features(video.pose, video.meta, batched.pairs, *s.feature_args())
    for p in (0, len(batched.pairs) - 1):
        expected = predictor.model.predict_proba(feats[p], video.meta.lab_id)
        np.testing.assert_array_equal(batched.probs[:, p], expected)


@pytest.mark.slow  # fits tree models (the module fixture): make test only
def test_second_fit_reads_the_cache_and_gives_the_same_model(fitted, tmp_path: Path) -> None:
    ds, out, summary, cache = fitted
    assert summary["cache"]["builds"] == 4 and summary["cache"]["hits"] == 0
    metas = ds.metas("train")
    again = fit_trees(ds, metas[:3], metas[3:], summary["actions"], FAST, tmp_path / "m2", False, cache_dir=cache)
    assert again["cache"]["builds"] == 0 and again["cache"]["hits"] == 4
    assert (tmp_path / "m2" / "trees_model.txt").read_text() == (out / "trees_model.txt").read_text()
    other = FAST.model_copy(update={"context_windows_s": (0.5,)})
    third = fit_trees(ds, metas[:1], [], summary["actions"], other, tmp_path / "m3", False, cache_dir=cache)
    assert third["cache"]["builds"] == 1  # other feature settings: other entries


def test_training_rows_follow_the_whitelist_and_stride(tiny_data: Path) -> None:
    ds = MabeDataset(tiny_data)
    meta = ds.metas("train")[0]
    video = ds.load_video(meta)
    actions = action_vocabulary(ds.metas("train")) + ["never_labelled"]
    settings = TreeSettings(negative_rate=1.0, frame_stride_s=0.2)
    rows = training_rows(video, actions, settings)
    step = stride_frames(meta.fps, 0.2)
    assert (rows["frame"] % step == 0).all() and rows["x"].shape[1] == len(settings.feature_names())
    pairs = all_pairs(video)
    mask = pair_action_mask(meta, pairs, actions)
    np.testing.assert_array_equal(rows["use"], mask[rows["pair"]])  # rate 1: exactly the whitelist
    assert not rows["use"][:, -1].any()
    dense = [intervals_to_dense(b, video.n_frames, len(actions)) for b in pair_intervals(video.annotations, pairs, actions)]
    np.testing.assert_array_equal(rows["y"], np.stack(dense)[rows["pair"], rows["frame"]])
    assert rows["y"][rows["use"]].sum() > 0
    capped = training_rows(video, actions, settings.model_copy(update={"max_frames_per_video": 50}))
    assert len(np.unique(capped["frame"])) <= 50 < len(np.unique(rows["frame"]))
    fewer = training_rows(video, actions, settings.model_copy(update={"negative_rate": 0.2}))
    assert fewer["y"][fewer["use"]].sum() == rows["y"][rows["use"]].sum()  # every positive kept
    assert fewer["use"].sum() < 0.5 * rows["use"].sum()


def test_bad_inputs(tiny_data: Path, tmp_path: Path) -> None:
    ds = MabeDataset(tiny_data)
    metas = ds.metas("train")
    with pytest.raises(MabeError, match="inside the dataset"):
        fit_trees(ds, metas[:1], [], ["sniff"], FAST, tmp_path / "m", False, cache_dir=tiny_data / "cache")
    assert not (tiny_data / "cache").exists()
    with pytest.raises(MabeError, match="no training videos"):
        fit_trees(ds, [], [], ["sniff"], FAST, tmp_path / "m", False)
    with pytest.raises(MabeError, match="not found"):
        load_trees(tmp_path / "nothing")
    with pytest.raises(ValueError, match="negative_rate"):
        TreeSettings(negative_rate=0.0)
    with pytest.raises(ValueError, match="unknown context"):
        TreeSettings(context_stats=("median",))
    with pytest.raises(ValueError, match="not pair features"):
        TreeSettings(context_signals=("a_speed", "tail_wag"))
