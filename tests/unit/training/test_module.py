"""Module pieces: model arguments, losses with masks, precision choice, metric flattening."""

from __future__ import annotations

import math

import pytest
import torch

from mabe.config import load_config
from mabe.errors import ConfigError
from mabe.models import count_parameters
from mabe.training.fit import resolve_precision
from mabe.training.module import BehaviourModule, build_network, flatten_metrics, model_kwargs


def test_model_kwargs_pass_sizes_the_model_accepts() -> None:
    v5 = load_config("v5")
    assert model_kwargs(v5) == {"conv_channels": [64, 128, 256], "lstm_hidden": 256, "lstm_layers": 2, "dropout": 0.3}
    assert count_parameters(build_network(v5, 144, 4)) == 2_783_556
    actions = load_config("actions")
    kwargs = model_kwargs(actions)
    assert kwargs["hidden"] == actions.lstm_hidden and kwargs["rnn_layers"] == actions.lstm_layers
    assert kwargs["dilations"] == [1, 2, 4, 8] and "conv_channels" not in kwargs
    assert "n_labs" not in kwargs  # lab_vocabulary is filled in when training starts
    with pytest.raises(ConfigError, match="model_type"):
        build_network(load_config(None, ["model_type=transformer"]), 8, 2)
    with pytest.raises(ConfigError, match="bogus"):
        build_network(load_config("actions", ["model_options={bogus: 1}"]), 8, 2)


def _module(overrides: list[str], classes: list[str], weights: list[float] | None = None) -> BehaviourModule:
    cfg = load_config(None, ["conv_channels=[4]", "lstm_hidden=4", "lstm_layers=1", *overrides])
    return BehaviourModule(cfg.to_dict(), 6, 6, classes, {}, weights)


def test_seed4_loss_ignores_padded_frames() -> None:
    module = _module(["num_classes=4"], ["a", "b", "c", "d"], [0.5, 10, 15, 15])
    logits = torch.randn(2, 5, 4)
    y = torch.randint(0, 4, (2, 5))
    padded = y.clone()
    padded[:, 3:] = -100
    mask = torch.ones(2, 5, dtype=torch.bool)
    full = module.loss(logits[:, :3], y[:, :3], mask[:, :3])
    assert torch.allclose(module.loss(logits, padded, mask), full)


def test_actions_loss_counts_only_masked_entries() -> None:
    module = _module(["model_type=conv_bilstm"], ["x", "y"])
    logits = torch.zeros(1, 3, 2)
    y = torch.tensor([[[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]])
    mask = torch.zeros(1, 3, 2, dtype=torch.bool)
    mask[0, 0, 0] = True
    assert module.loss(logits, y, mask).item() == pytest.approx(math.log(2))
    assert module.loss(logits, y, torch.zeros_like(mask)).item() == 0.0


def test_precision_falls_back_to_32_without_cuda() -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert resolve_precision("auto", "auto") == "32"
    assert resolve_precision("bf16-mixed", "auto") == "32"
    assert resolve_precision("32", "cpu") == "32"


def test_flatten_metrics() -> None:
    flat = flatten_metrics({"macro_f1": 0.5, "f1": {"a": 1.0}, "support": {"a": 3}, "n": 4})
    assert flat == {"macro_f1": 0.5, "f1/a": 1.0, "n": 4.0}
