"""``predict_length``: longer inference windows, and old runs predict exactly as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from mabe.config import Config, config_to_yaml, load_config
from mabe.data.types import Pose, Video, VideoMeta
from mabe.training.inference import inference_window, predict_video, window_probs
from mabe.training.network import build_network
from mabe.training.samples import bind_context, resolve_input_dim, video_inputs
from mabe.training.windows import grid_positions, window_starts

_NET = [
    "model_type=tcn_bigru",
    "lstm_hidden=8",
    "model_options={dilations: [1, 2], scales: [1, 2]}",
    "sequence_length=32",
    "batch_size=8",
    "lab_vocabulary=[LabA]",
    "predict_length=null",  # each test sets it explicitly
]


def _video(n: int) -> Video:
    """A 3-mouse clip of ``n`` frames at 30 fps (6 ordered pairs + 3 self pairs)."""
    parts = ("nose", "neck", "tail_base")
    meta = VideoMeta("train", "LabA", 7, 30.0, 3, parts, (("mouse1", "mouse2", "sniff"),), duration_sec=n / 30)
    rng = np.random.default_rng(n)
    coords = (np.cumsum(rng.normal(size=(n, 3, 3, 2)), axis=0) + 50).astype(np.float32)
    return Video(meta, Pose(coords, parts))


def _config(*overrides: str) -> Config:
    return load_config("actions", [*_NET, *overrides])


@pytest.fixture(scope="module")
def net() -> tuple[torch.nn.Module, dict]:
    config = _config()
    torch.manual_seed(0)
    input_dim = resolve_input_dim(config)
    model = build_network(config, input_dim, 3).eval()
    return model, {"class_names": ["attack", "mount", "sniff"], "input_dim": input_dim}


def _today(model: torch.nn.Module, config: Config, info: dict, video: Video) -> np.ndarray:
    """What predict_video computed before predict_length existed (frozen here)."""
    feats, grid, _ = video_inputs(video, config, int(info["input_dim"]))
    length = config.sequence_length
    starts = window_starts(len(grid), length, max(1, length // 2))
    probs = window_probs(bind_context(model, video, config), feats, starts, length, config.batch_size, False)
    return probs[:, grid_positions(video.n_frames, grid)].transpose(1, 0, 2)


def test_new_runs_predict_with_longer_windows_than_they_train_on() -> None:
    config = load_config("actions")
    assert (config.sequence_length, config.inference_length, config.inference_stride) == (128, 512, 384)


def test_unset_key_keeps_the_training_window_and_half_stride() -> None:
    config = Config(sequence_length=128)
    assert config.predict_length is None
    assert (config.inference_length, config.inference_stride) == (128, 64)
    assert Config(sequence_length=127).inference_stride == 63
    assert Config(sequence_length=128, predict_stride=100).inference_stride == 100


@pytest.mark.parametrize(
    ("length", "stride"), [(128, 64), (127, 63), (64, 32), (256, 128), (512, 384), (1024, 896)]
)
def test_default_stride_keeps_a_training_window_of_overlap(length: int, stride: int) -> None:
    config = Config(sequence_length=128, predict_length=length)
    assert (config.inference_length, config.inference_stride) == (length, stride)
    assert length - stride >= min(128, length // 2)  # interior edges see the model's context from a neighbour
    assert Config(sequence_length=128, predict_length=length, predict_stride=7).inference_stride == 7


@pytest.mark.parametrize("n", [1, 31, 32, 100, 1023, 1024, 1025, 3000, 5417])
@pytest.mark.parametrize("predict_length", [None, 32, 64, 256, 1024])
def test_windows_cover_every_point(n: int, predict_length: int | None) -> None:
    config = Config(sequence_length=32, predict_length=predict_length)
    length = inference_window(config, n)
    starts = window_starts(n, length, config.inference_stride)
    count = np.zeros(max(n, length), int)
    for s in starts:
        count[s : s + length] += 1
    assert (count[:n] >= 1).all()
    assert starts[0] == 0 and starts[-1] + length >= n
    assert length <= max(n, 32)  # never padded beyond the training window
    if n > length:  # several windows: the last one ends exactly at the end, interior overlaps keep the context
        assert starts[-1] + length == n
        assert (np.diff(starts) <= length - min(32, length // 2)).all()
    if predict_length is None:
        assert length == 32 and starts.tolist() == window_starts(n, 32, 16).tolist()


@pytest.mark.parametrize("n", [20, 200])
def test_old_config_without_the_key_predicts_exactly_as_before(tmp_path: Path, net, n: int) -> None:
    model, info = net
    path = tmp_path / "config.yaml"
    raw = yaml.safe_load(config_to_yaml(_config()))
    del raw["predict_length"]  # a run written before the key existed
    path.write_text(yaml.safe_dump(raw))
    old = load_config(path)
    assert old.predict_length is None
    video = _video(n)
    before = _today(model, old, info, video)
    unset = predict_video(model, old, info, video).probs
    same = predict_video(model, old.model_copy(update={"predict_length": 32}), info, video).probs
    assert unset.shape == (n, 9, 3)
    np.testing.assert_array_equal(unset, before)
    np.testing.assert_array_equal(same, unset)


def test_longer_windows_fewer_passes_close_probabilities(net) -> None:
    model, info = net
    video = _video(400)
    config = _config()
    short = predict_video(model, config, info, video).probs
    long = predict_video(model, config.model_copy(update={"predict_length": 128}), info, video).probs
    assert long.shape == short.shape
    assert not np.array_equal(long, short)  # the setting is used
    assert np.abs(long - short).max() < 0.5
    assert np.isfinite(long).all() and ((long >= 0) & (long <= 1)).all()


@pytest.mark.parametrize("n", [5, 20, 60, 127])
def test_video_shorter_than_predict_length(net, n: int) -> None:
    model, info = net
    video = _video(n)
    config = _config("predict_length=128")
    probs = predict_video(model, config, info, video).probs
    assert probs.shape == (n, 9, 3)
    # one window of the video's own length (padded only up to the training window): no padding to 128
    own = max(n, config.sequence_length)
    expected = predict_video(model, config.model_copy(update={"predict_length": own}), info, video).probs
    np.testing.assert_array_equal(probs, expected)
    if n <= config.sequence_length:  # as short as a training window: exactly today's padded window
        np.testing.assert_array_equal(probs, _today(model, config, info, video))
