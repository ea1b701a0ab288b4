"""The weight EMA callback: the average, the swap for validation and back, its checkpoint state."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from mabe.training.ema import WeightEMA, ema_decay_at


def _module() -> SimpleNamespace:
    torch.manual_seed(0)
    return SimpleNamespace(model=torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)))


def _weight(module: SimpleNamespace) -> torch.Tensor:
    return module.model[0].weight.detach().clone()


def _step(module: SimpleNamespace, delta: float) -> None:
    with torch.no_grad():
        module.model[0].weight.add_(delta)


def test_average_follows_the_weights_and_validation_sees_it() -> None:
    module, ema = _module(), WeightEMA(0.5)
    start = _weight(module)
    ema.on_fit_start(None, module)  # type: ignore[arg-type]
    for _ in range(30):  # decays warm up, then stay at 0.5
        ema.on_train_batch_start(None, module)  # type: ignore[arg-type]
        _step(module, 1.0)
        ema.on_train_batch_end(None, module)  # type: ignore[arg-type]
    raw = _weight(module)
    torch.testing.assert_close(raw, start + 30.0)
    # the last decays are 0.5: the average lags the weights by about one step (1 = 0.5 / (1 - 0.5))
    assert ema.average is not None
    torch.testing.assert_close(ema.average["0.weight"], start + 29.0, atol=1e-3, rtol=0)

    ema.on_validation_start(None, module)  # type: ignore[arg-type]
    torch.testing.assert_close(_weight(module), ema.average["0.weight"])  # validation and checkpoints: the average
    ema.on_validation_start(None, module)  # twice (sanity check, then validation) keeps the raw weights
    state = ema.state_dict()
    ema.on_train_batch_start(None, module)  # type: ignore[arg-type]
    torch.testing.assert_close(_weight(module), raw)  # training continues on the raw weights

    resumed = WeightEMA(0.5)  # --resume: the checkpoint's model holds the average, the callback the raw weights
    resumed.load_state_dict(state)
    resumed.on_fit_start(None, module)  # type: ignore[arg-type]
    with torch.no_grad():
        module.model[0].weight.copy_(state["average"]["0.weight"])
    resumed.on_train_batch_start(None, module)  # type: ignore[arg-type]
    torch.testing.assert_close(_weight(module), raw)
    assert resumed.updates == 30


def test_decay_warms_up_and_is_checked() -> None:
    assert ema_decay_at(0.999, 0) == pytest.approx(0.1)
    assert ema_decay_at(0.5, 100) == 0.5
    with pytest.raises(ValueError, match="decay"):
        WeightEMA(1.0)


@pytest.mark.slow
def test_fit_with_ema_resumes_exactly_and_checkpoints_hold_the_average(tiny_data, tiny, tmp_path) -> None:
    from lightning.pytorch.callbacks import Callback

    from mabe.config import load_config
    from mabe.training.fit import fit

    class Crash(Callback):
        def on_train_epoch_start(self, trainer, pl_module) -> None:  # noqa: ANN001
            if trainer.current_epoch == 2:
                raise RuntimeError("simulated kill")

    overrides = [*tiny, "epochs=3", "save_freq=1", "ema_decay=0.9", "lstm_hidden=16", "model_options={dilations: [1]}"]
    config = load_config("actions", overrides, data_dir=tiny_data)
    fit(config, tmp_path / "whole", progress_bar=False)
    with pytest.raises(RuntimeError, match="simulated kill"):
        fit(config, tmp_path / "killed", progress_bar=False, callbacks=[Crash()])
    fit(config, tmp_path / "killed", resume=True, progress_bar=False)

    def last(run: str) -> dict:
        return torch.load(tmp_path / run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)

    whole, killed = last("whole"), last("killed")
    for key, value in whole["state_dict"].items():
        torch.testing.assert_close(killed["state_dict"][key], value)
    ema_state = next(v for k, v in whole["callbacks"].items() if "WeightEMA" in k)
    for key, value in ema_state["average"].items():  # the saved model weights are the average
        torch.testing.assert_close(whole["state_dict"][f"model.{key}"], value)
    assert any(not torch.equal(ema_state["raw"][k], v) for k, v in ema_state["average"].items())
