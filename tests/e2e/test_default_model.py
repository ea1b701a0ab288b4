"""The recommended default model on an awkward dataset: train, tune, predict, and beat the prior.

The dataset mixes 3-4-mouse videos (AdaptableSnail), 10 fps (JovialSwallow),
120 fps (LyricalHare) and 4 body parts (GroovyShrew); every body part is
renamed to ``kp0..kpN`` (so no anchor resolves by name) and every third video
is cut to a dozen frames. ``mabe train`` without a config must get through
all of it, ``mabe predict`` must write a valid submission, and that submission
must score clearly above the prior baseline (one whole-video bout of the most
common action per pair), which needs no pose at all.

Measured on this data (30 one-minute videos, 18 train / 12 test): the network
scored 0.330 (0.342 with all four multi-scale blocks) and the default ensemble
0.246 against the prior's 0.061.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mabe.config import packaged_config_path, read_config_file
from mabe.data.io import MabeDataset
from mabe.data.validate import validate_dataset
from mabe.metrics import check_submission, score_report
from mabe.workflows.baselines import prior_baseline
from mabe.workflows.oof import oof_videos
from mabe.workflows.predict import load_decode_params, predict_split
from mabe.workflows.train import train_ensemble, train_run

LABS = ["AdaptableSnail", "JovialSwallow", "LyricalHare", "GroovyShrew"]
SHORT_FRAMES = 12
N_VIDEOS = 30
MINUTES = 1.0
MARGIN = 0.1
"""How far above the prior baseline's MABe score a trained model must be (measured gaps: 0.19 and 0.27)."""


def _fewer_blocks(dilations: list[int]) -> str:
    """``model_options`` of the recommended ``tcn_bigru`` with only these multi-scale blocks (the rest kept)."""
    options = read_config_file(packaged_config_path("actions"))["model_options"]
    return f"model_options={json.dumps(options | {'dilations': dilations})}"


QUICK = [
    "epochs=2",
    "max_windows_per_epoch=96",
    "lstm_hidden=16",  # tcn_bigru's width (TCN channels and GRU size); conv_channels is conv_bilstm's only
    _fewer_blocks([1, 2]),
    "batch_size=32",
    "early_stopping_patience=0",
]
"""Overrides that only shrink the recommended config (its features, windows and decoding stay)."""
SMALL = [
    "epochs=8",
    "max_windows_per_epoch=384",
    "lstm_hidden=32",
    _fewer_blocks([1, 2, 4]),
    "batch_size=32",
    "early_stopping_patience=0",
]
"""Still a shrunk config, but one that learns the behaviours of this data (about 30 s of training on one core)."""

pytestmark = pytest.mark.slow


def make_odd(src: Path, dst: Path, short_every: int = 3, short_frames: int = SHORT_FRAMES) -> None:
    """Copy a dataset, renaming body parts to ``kp<i>`` and cutting every ``short_every``-th video.

    Tracking, annotations (clipped to the kept frames, empty bouts dropped) and
    ``video_duration_sec`` stay consistent, so the copy still validates.
    """
    shutil.copytree(src, dst)
    for split in ("train", "test"):
        meta = pd.read_csv(dst / f"{split}.csv")
        for i, row in meta.iterrows():
            parts = json.loads(row["body_parts_tracked"])
            rename = {p: f"kp{k}" for k, p in enumerate(parts)}
            meta.at[i, "body_parts_tracked"] = json.dumps([rename[p] for p in parts])
            tracking = dst / f"{split}_tracking" / row["lab_id"] / f"{row['video_id']}.parquet"
            frame = pd.read_parquet(tracking)
            frame["bodypart"] = frame["bodypart"].map(rename)
            short = i % short_every == 0
            if short:
                frame = frame[frame["video_frame"] < short_frames]
                meta.at[i, "video_duration_sec"] = short_frames / float(row["frames_per_second"])
            frame.to_parquet(tracking, index=False)
            annotation = dst / f"{split}_annotation" / row["lab_id"] / f"{row['video_id']}.parquet"
            if short and annotation.is_file():
                ann = pd.read_parquet(annotation)
                ann["stop_frame"] = ann["stop_frame"].clip(upper=short_frames).astype(ann["stop_frame"].dtype)
                ann[ann["start_frame"] < ann["stop_frame"]].to_parquet(annotation, index=False)
        meta.to_csv(dst / f"{split}.csv", index=False)


@pytest.fixture(scope="module")
def odd_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mabe.data.synth import synthesize

    root = tmp_path_factory.mktemp("odd")
    synthesize(root / "plain", n_videos=N_VIDEOS, seed=3, labs=LABS, minutes=MINUTES, test_fraction=0.4, progress=False)
    make_odd(root / "plain", root / "data")
    return root / "data"


def test_odd_dataset_is_what_it_claims(odd_dataset: Path) -> None:
    assert validate_dataset(odd_dataset, progress=False) == []
    ds = MabeDataset(odd_dataset)
    metas = ds.metas("train") + ds.metas("test")
    assert {m.lab_id for m in metas} == set(LABS)
    assert max(m.n_mice for m in metas) >= 3
    assert {m.fps for m in metas} >= {10.0} and max(m.fps for m in metas) >= 119
    assert all(all(p.startswith("kp") for p in m.body_parts) for m in metas)
    frames = [ds.load_pose(m).n_frames for m in metas]
    assert min(frames) == SHORT_FRAMES and max(frames) > 10 * SHORT_FRAMES
    test_frames = [ds.load_pose(m).n_frames for m in ds.metas("test")]
    assert min(test_frames) == SHORT_FRAMES and max(test_frames) > SHORT_FRAMES


def test_default_model_trains_and_predicts_on_odd_data(odd_dataset: Path, tmp_path: Path) -> None:
    from mabe.training.inference import load_trained, predict_video
    from mabe.training.network import build_network

    run = tmp_path / "run"
    summary = train_run(odd_dataset, run, config_path=None, overrides=SMALL, tune=True).summary
    assert summary["model_type"] == "tcn_bigru" and summary["label_scheme"] == "actions"
    headline = ("val_loss", "val_accuracy", "val_macro_f1")  # per-class values are NaN for absent classes
    assert all(math.isfinite(float(summary["best_metrics"][k])) for k in headline)
    params = load_decode_params(run)
    assert (run / "decode.json").is_file()
    assert all(0 < t <= 1 for lab in params.thresholds.values() for t in lab.values())

    ds = MabeDataset(odd_dataset)
    model, config, info = load_trained(run)
    # the shrink reached the network: fewer parameters than the recommended blocks at the same width
    full = config.model_copy(update={"model_options": read_config_file(packaged_config_path("actions"))["model_options"]})
    unshrunk = build_network(full, info["input_dim"], len(info["class_names"]))
    assert summary["parameters"] == sum(p.numel() for p in model.parameters()) < sum(p.numel() for p in unshrunk.parameters())
    for meta in ds.metas("test"):
        video = ds.load_video(meta)
        pred = predict_video(model, config, info, video)
        assert pred.probs.shape[:2] == (video.n_frames, meta.n_mice**2)
        assert np.isfinite(pred.probs).all()
        assert ((pred.probs >= 0) & (pred.probs <= 1)).all()

    submission = predict_split(run, odd_dataset, "test")
    check_submission(submission)
    metas = {m.video_id: m for m in ds.metas("test")}
    frames = {v: ds.load_pose(m).n_frames for v, m in metas.items()}
    for row in submission.itertuples():
        meta = metas[row.video_id]
        assert (row.agent_id, row.target_id, row.action) in set(meta.behaviors_labeled)
        assert 0 <= row.start_frame < row.stop_frame <= frames[row.video_id]
    # the long test videos get predictions, and they are clearly better than the prior's
    long_videos = {v for v, n in frames.items() if n > SHORT_FRAMES and metas[v].behaviors_labeled}
    assert long_videos and long_videos <= set(submission["video_id"])
    _assert_beats_the_prior(odd_dataset, submission)


def _assert_beats_the_prior(data: Path, submission: pd.DataFrame) -> None:
    """The submission's MABe score on the test split is ``MARGIN`` above the prior baseline's."""
    solution = MabeDataset(data).solution("test", progress=False)
    score = score_report(solution, submission).score
    prior = score_report(solution, prior_baseline(data, "test")).score
    assert math.isfinite(prior) and prior > 0, prior
    assert score >= prior + MARGIN, f"MABe score {score:.3f} vs prior baseline {prior:.3f}"


def test_default_ensemble_trains_and_predicts_on_odd_data(odd_dataset: Path, tmp_path: Path) -> None:
    """`mabe train` without --config (trees + network, cross-fitted) on the same awkward data."""
    run = tmp_path / "ensemble"
    quick = [*QUICK, "lgbm.n_estimators=10", "lgbm.num_leaves=7"]
    result = train_ensemble(odd_dataset, run, overrides=quick, folds=2)
    train_ids = sorted(m.video_id for m in MabeDataset(odd_dataset).metas("train") if m.behaviors_labeled)
    assert oof_videos(run, "network") == oof_videos(run, "lgbm") == train_ids
    assert math.isfinite(result["score_mean"]) and result["budget"]["budget_minutes"] is None

    submission = predict_split(run, odd_dataset, "test")
    check_submission(submission)
    ds = MabeDataset(odd_dataset)
    metas = {m.video_id: m for m in ds.metas("test")}
    for row in submission.itertuples():
        assert (row.agent_id, row.target_id, row.action) in set(metas[row.video_id].behaviors_labeled)
        assert 0 <= row.start_frame < row.stop_frame <= ds.load_pose(metas[row.video_id]).n_frames
    _assert_beats_the_prior(odd_dataset, submission)
