"""Module pieces: model arguments, losses with masks, precision choice, metric flattening."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mabe.config import load_config
from mabe.errors import ConfigError
from mabe.metrics.frame import frame_metrics, multilabel_frame_metrics
from mabe.models import count_parameters
from mabe.training.fit import resolve_precision
from mabe.training.module import MONITOR, RANKING, BehaviourModule, build_network, flatten_metrics, model_kwargs


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


@pytest.mark.parametrize("seed4", [True, False])
def test_validation_counts_on_the_device_match_the_array_metrics(seed4: bool) -> None:
    """validation_step feeds the torchmetrics accumulator; its numbers are those of the numpy functions."""
    classes = ["a", "b", "c", "d"] if seed4 else ["a", "b", "c"]
    c = len(classes)
    overrides = ["num_classes=4"] if seed4 else ["model_type=conv_bilstm"]
    module = _module(overrides, classes).eval()
    assert module.is_seed4 == seed4
    gen = torch.Generator().manual_seed(3)
    ys, preds, probs, masks = [], [], [], []
    module.on_validation_epoch_start()
    for _ in range(3):
        x = torch.randn(2, 7, 6, generator=gen)
        mask = torch.rand((2, 7) if seed4 else (2, 7, c), generator=gen) > 0.3
        y = torch.randint(0, c, (2, 7), generator=gen) if seed4 else (torch.rand(2, 7, c, generator=gen) < 0.3).float()
        batch = {"x": x, "y": y, "mask": mask, "valid": torch.ones(2, 7, dtype=torch.bool)}
        with torch.no_grad():
            module.validation_step(batch, 0)
            logits = module(x)
        if seed4:
            ys.append(y[mask].numpy())
            preds.append(logits.argmax(-1)[mask].numpy())
        else:
            ys.append(y.reshape(-1, c).numpy())
            probs.append(torch.sigmoid(logits).reshape(-1, c).numpy())
            masks.append(mask.reshape(-1, c).numpy())
    got = flatten_metrics(module.val_frame_metrics.compute())
    if seed4:
        want = flatten_metrics(frame_metrics(np.concatenate(ys), np.concatenate(preds), c, classes))
    else:
        want = flatten_metrics(
            multilabel_frame_metrics(np.concatenate(ys), np.concatenate(probs), np.concatenate(masks), 0.5, classes)
        )
    assert got.keys() == want.keys() and got["n"] > 0
    np.testing.assert_array_equal(np.array(list(got.values())), np.array(list(want.values())))


@pytest.mark.parametrize("seed4", [True, False])
def test_monitor_is_threshold_free_and_skips_absent_actions(seed4: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Probabilities all below 0.5 but ranked right: val_ap is 1 where val_score (the monitor) is 0.

    The last class has no positive frame in validation and does not count (it would be 0 or NaN).
    """
    classes = ["a", "b", "c", "d"] if seed4 else ["a", "b", "c"]
    module = _module(["num_classes=4"] if seed4 else ["model_type=conv_bilstm"], classes).eval()
    assert module.is_seed4 == seed4
    if seed4:  # frames of class 0 (other) and 1; class 0 always wins the argmax, class 1 is ranked right
        y = torch.tensor([[0, 1, 0, 1, -100]])
        logits = torch.tensor([[[2.0, 0, 0, 0], [2.0, 1, 0, 0], [2.0, 0, 0, 0], [2.0, 1, 0, 0], [0.0, 9, 0, 0]]])
        mask = y >= 0
    else:  # sigmoid < 0.5 everywhere; a and b perfectly ranked; c never true
        y = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])
        logits = torch.tensor([[[-1.0, -3.0, -2.0], [-3.0, -1.0, -2.0], [-1.0, -1.0, -2.0], [-3.0, -3.0, -2.0], [5.0, 5.0, 5.0]]])
        mask = torch.ones(1, 5, 3, dtype=torch.bool)
        mask[0, 4] = False  # confidently wrong, but unlabelled
    monkeypatch.setattr(module, "forward", lambda x, *rest: logits)
    logged: dict[str, float] = {}
    monkeypatch.setattr(module, "log_dict", lambda values, **_: logged.update(values))
    monkeypatch.setattr(module, "log", lambda name, value, **_: logged.update({name: value}))
    monkeypatch.setattr(type(module), "trainer", SimpleNamespace(sanity_checking=False), raising=False)
    batch = {"x": torch.zeros(1, 5, 6), "y": y, "mask": mask, "valid": torch.ones(1, 5, dtype=torch.bool)}
    module.on_validation_epoch_start()
    with torch.no_grad():
        module.validation_step(batch, 0)
    module.on_validation_epoch_end()
    # seed4: argmax says "a" everywhere (F1 2/3 for a, 0 for b); actions: nothing reaches 0.5
    assert MONITOR == "val_score" and RANKING == "val_ap"
    assert logged[MONITOR] == pytest.approx(1 / 3 if seed4 else 0.0) and logged[RANKING] == 1.0
    assert math.isnan(module.val_metrics["ap/c"]) and module.val_metrics["ap/b"] == 1.0
    if seed4:
        assert module.val_metrics["ap/a"] == 1.0  # softmax of class 0 is lower on the class-1 frames
        assert logged["val_accuracy"] == 0.5  # the padded frame (confidently class b) is not counted


def test_one_action_validation_logs_a_per_class_ap(monkeypatch: pytest.MonkeyPatch) -> None:
    """A vocabulary of one action (the common real case): torchmetrics squeezes its AP to a scalar; still one entry."""
    module = _module(["model_type=conv_bilstm"], ["interact"]).eval()
    y = torch.tensor([[[1.0], [0.0], [1.0], [0.0]]])
    logits = torch.tensor([[[2.0], [-2.0], [1.0], [-1.0]]])
    monkeypatch.setattr(module, "forward", lambda x, *rest: logits)
    logged: dict[str, float] = {}
    monkeypatch.setattr(module, "log_dict", lambda values, **_: logged.update(values))
    monkeypatch.setattr(module, "log", lambda name, value, **_: logged.update({name: value}))
    monkeypatch.setattr(type(module), "trainer", SimpleNamespace(sanity_checking=False), raising=False)
    batch = {"x": torch.zeros(1, 4, 6), "y": y, "mask": torch.ones(1, 4, 1, dtype=torch.bool), "valid": torch.ones(1, 4, dtype=torch.bool)}
    module.on_validation_epoch_start()
    with torch.no_grad():
        module.validation_step(batch, 0)
    module.on_validation_epoch_end()
    assert module.val_metrics["ap/interact"] == 1.0 and logged[RANKING] == 1.0
    assert logged[MONITOR] == 1.0
