"""The lab index and frame rate on the sample path: samples, windows, batches, module, fit, predict."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from mabe.config import load_config
from mabe.data.types import Pose, Video, VideoMeta
from mabe.training.datamodule import (
    MabeDataModule,
    SampleStore,
    WindowDataset,
    padding_invariant,
    trim_padding,
    window_index,
)
from mabe.training.module import BehaviourModule, model_kwargs
from mabe.training.samples import VideoSample, bind_context, build_sample, lab_index, lab_update

_SMALL_NET = ["model_type=tcn_bigru", "lstm_hidden=8", "model_options={dilations: [1, 2], scales: [1, 2]}"]


def _clip(lab: str = "LabB", n: int = 13, fps: float = 60.0) -> Video:
    """A 2-mouse clip with one sniff bout, mouse1 -> mouse2."""
    meta = VideoMeta(
        "train", lab, 1, fps, 2, ("nose", "tail_base"), (("mouse1", "mouse2", "sniff"),), duration_sec=n / fps
    )
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(n, 2, 2, 2)).astype(np.float32) * 5 + 20
    ann = pd.DataFrame({"agent_id": [1], "target_id": [2], "action": ["sniff"], "start_frame": [2], "stop_frame": [9]})
    return Video(meta, Pose(coords, ("nose", "tail_base")), ann)


def test_lab_index_and_vocabulary() -> None:
    cfg = load_config(None, [*_SMALL_NET, "lab_vocabulary=[LabA, LabB]"])
    assert [lab_index(cfg, lab) for lab in ("LabA", "LabB", "Elsewhere")] == [1, 2, 0]
    metas = [_clip("LabB").meta, _clip("LabA").meta, _clip("LabB").meta]
    assert lab_update(load_config(None, _SMALL_NET), metas) == {"lab_vocabulary": ["LabA", "LabB"]}
    assert lab_update(cfg, metas) == {}  # a given vocabulary is kept (resume, cv folds)
    assert lab_update(load_config("v5"), metas) == {}  # models without labs: config unchanged
    assert model_kwargs(cfg)["n_labs"] == 2 and "n_labs" not in model_kwargs(load_config("actions"))


def test_sample_and_window_carry_the_lab_and_fps() -> None:
    cfg = load_config(None, [*_SMALL_NET, "lab_vocabulary=[LabA, LabB]", "sequence_length=128", "fps=30"])
    sample = build_sample(_clip(), cfg, 73, ["sniff"], "float32")
    assert sample.lab == 2 and sample.log_fps == pytest.approx(math.log(2.0))
    assert sample.n == 7  # 13 frames at 60 fps on the 30 fps grid
    unknown = build_sample(_clip("Elsewhere", fps=30.0), cfg, 73, ["sniff"], "float32")
    assert unknown.lab == 0 and unknown.log_fps == 0.0

    store = SampleStore(lambda i: build_sample(_clip(), cfg, 73, ["sniff"], "float32"), 1)
    index = window_index(store, 128, 64, seed4=False)
    assert index.tolist() == [[0, 0, 0]]  # one window per supervised pair (mouse1 -> mouse2 only)
    # temporal jitter cannot push a clip shorter than the window out of it
    items = [WindowDataset(store, index, 128, n_actions=1, jitter=8)[0] for _ in range(10)]
    for item in items:
        assert item["lab"] == 2 and item["log_fps"] == pytest.approx(math.log(2.0))
        assert item["valid"].tolist() == [True] * 7 + [False] * 121
        assert item["mask"][:, 0].tolist() == [True] * 7 + [False] * 121  # padding neither scored nor negative
        assert item["y"][:, 0].tolist()[:7] == [0, 1, 1, 1, 1, 0, 0]
        np.testing.assert_array_equal(item["x"][:7], items[0]["x"][:7])


def test_batches_of_short_clips_are_trimmed_for_padding_invariant_models() -> None:
    items = []
    for n in (3, 5):
        valid = np.arange(8) < n
        items.append(
            {
                "x": np.ones((8, 2), np.float32) * valid[:, None],
                "valid": valid,
                "y": np.zeros((8, 1), np.float32),
                "mask": valid[:, None],
                "lab": np.int64(1),
                "log_fps": np.float32(0.5),
            }
        )
    batch = trim_padding(items)
    assert batch["x"].shape == (2, 5, 2) and batch["y"].shape == (2, 5, 1) and batch["mask"].shape == (2, 5, 1)
    assert batch["valid"].sum(1).tolist() == [3, 5] and batch["lab"].tolist() == [1, 1]
    assert (
        padding_invariant("tcn_bigru") and not padding_invariant("tcn_bilstm") and not padding_invariant("conv_bilstm")
    )


def test_module_passes_lab_only_to_models_that_take_it() -> None:
    cfg = load_config(None, [*_SMALL_NET, "lab_vocabulary=[LabA, LabB]", "num_classes=1"])
    module = BehaviourModule(cfg.to_dict(), 6, 6, ["sniff"], {})
    torch.nn.init.normal_(module.model.film.weight, std=0.5)  # zero at init: labs would not matter yet
    module.eval()
    x = torch.randn(2, 9, 6)
    batch = {"x": x, "valid": torch.ones(2, 9, dtype=torch.bool), "log_fps": torch.zeros(2)}
    a = module._logits({**batch, "lab": torch.tensor([1, 1])}, x)
    b = module._logits({**batch, "lab": torch.tensor([2, 2])}, x)
    assert a.shape == (2, 9, 1) and not torch.allclose(a, b)
    old = BehaviourModule(
        load_config(None, ["conv_channels=[4]", "lstm_hidden=4", "lstm_layers=1"]).to_dict(), 6, 6, ["sniff"], {}
    )
    old.eval()
    assert torch.equal(old._logits({**batch, "lab": torch.tensor([1, 2])}, x), old.model(x))
    model = old.model
    assert bind_context(model, _clip(), cfg) is model  # nothing bound for models without labs


@pytest.mark.slow
def test_fit_records_the_labs_and_predicts_known_and_unknown_labs(
    tiny_data: Path, tmp_path: Path, tiny: list[str]
) -> None:
    from mabe.data.io import MabeDataset
    from mabe.training.fit import fit
    from mabe.training.inference import load_trained, predict_video

    run = tmp_path / "run"
    cfg = load_config("actions", [*tiny, *_SMALL_NET, "epochs=2", "val_fraction=0"], data_dir=tiny_data)
    summary = fit(cfg, run, progress_bar=False)
    ds = MabeDataset(tiny_data)
    labs = sorted({m.lab_id for m in ds.metas("train") if m.behaviors_labeled})
    assert load_config(run / "config.yaml").lab_vocabulary == labs
    assert summary["model_type"] == "tcn_bigru"
    model, config, info = load_trained(run, "last")
    assert model.n_labs == len(labs)
    video = ds.load_video(ds.metas("test")[0])
    known = predict_video(model, config, info, video)
    stranger = Video(dataclasses.replace(video.meta, lab_id="NeverSeen"), video.pose)
    unknown = predict_video(model, config, info, stranger)
    assert known.probs.shape == unknown.probs.shape == (video.n_frames, len(known.pairs), 3)
    assert not np.allclose(known.probs, unknown.probs)  # the lab embedding is used
    assert not model.training
    # a clip shorter than a window: the same probabilities as the start of the full video's first window
    short = Video(video.meta, Pose(video.pose.coords[:13], video.pose.body_parts))
    assert predict_video(model, config, info, short).probs.shape == (13, len(known.pairs), 3)


def test_datamodule_uses_trimming_only_for_padding_invariant_models() -> None:
    sample = VideoSample(
        "L/1",
        np.arange(5),
        5,
        np.ones((1, 5, 3), np.float32),
        [(1, 2)],
        None,
        [np.zeros((0, 3), np.int64)],
        np.array([[True]]),
        lab=1,
        log_fps=0.0,
    )
    store = SampleStore(lambda i: sample, 1)
    for model_type, steps in (("tcn_bigru", 5), ("tcn_bilstm", 16)):
        cfg = load_config("actions", [f"model_type={model_type}", "sequence_length=16", "model_options={}"])
        batch = next(iter(MabeDataModule(cfg, store, store, ["sniff"]).train_dataloader()))
        assert batch["x"].shape == (1, steps, 3) and batch["lab"].tolist() == [1]
