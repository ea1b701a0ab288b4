from __future__ import annotations

import pytest
import torch

from mabe.models import (
    MODELS,
    ConvBiLSTM,
    TCNBiLSTM,
    build_model,
    count_parameters,
    model_parameters,
)


@pytest.mark.parametrize(("input_dim", "expected"), [(144, 2_783_556), (288, 2_811_204)])
def test_conv_bilstm_reference_parameter_counts(input_dim: int, expected: int) -> None:
    assert count_parameters(ConvBiLSTM(input_dim, 4)) == expected
    assert count_parameters(build_model("conv_bilstm", input_dim, 4)) == expected


def test_conv_bilstm_layer_layout() -> None:
    model = ConvBiLSTM(144, 4)
    convs = [m for m in model.conv if isinstance(m, torch.nn.Conv1d)]
    assert [c.out_channels for c in convs] == [64, 128, 256]
    assert all(c.kernel_size == (3,) and c.padding == (1,) for c in convs)
    assert model.lstm.bidirectional and model.lstm.num_layers == 2 and model.lstm.dropout == 0.3
    assert ConvBiLSTM(10, 3, lstm_layers=1).lstm.dropout == 0.0
    assert model.head.in_features == 512


@pytest.mark.parametrize("model_type", sorted(MODELS))
@pytest.mark.parametrize("seq_len", [1, 7, 32])
def test_output_shapes(model_type: str, seq_len: int) -> None:
    small = {
        "conv_bilstm": {"conv_channels": [8, 16], "lstm_hidden": 8},
        "tcn_bilstm": {"hidden": 16},
        "tcn_bigru": {"hidden": 12, "n_labs": 2},
    }
    model = build_model(model_type, 20, 5, **small[model_type]).eval()
    with torch.no_grad():
        out = model(torch.randn(3, seq_len, 20))
    assert out.shape == (3, seq_len, 5)
    assert torch.isfinite(out).all()


def test_wrong_input_width_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"\(batch, seq_len, 20\)"):
        ConvBiLSTM(20, 4)(torch.zeros(1, 5, 21))


def test_factory_unknown_model_and_kwarg() -> None:
    with pytest.raises(ValueError, match="known: conv_bilstm, tcn_bigru, tcn_bilstm"):
        build_model("transformer", 10, 2)
    with pytest.raises(ValueError, match="does not accept lstm_hidden"):
        build_model("tcn_bilstm", 10, 2, lstm_hidden=32)
    assert isinstance(build_model("tcn_bilstm", 10, 2, hidden=16), TCNBiLSTM)
    assert "conv_channels" in model_parameters("conv_bilstm")
    assert "hidden" in model_parameters("tcn_bilstm")


def test_invalid_sizes_raise() -> None:
    with pytest.raises(ValueError, match="kernel_size"):
        ConvBiLSTM(10, 2, kernel_size=4)
    with pytest.raises(ValueError, match="conv_channels"):
        ConvBiLSTM(10, 2, conv_channels=[])
    with pytest.raises(ValueError, match="dropout"):
        TCNBiLSTM(10, 2, dropout=1.0)


def test_tcn_bilstm_under_bf16_autocast() -> None:
    model = TCNBiLSTM(12, 3, hidden=16).eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(torch.randn(2, 9, 12))
    assert out.shape == (2, 9, 3) and torch.isfinite(out.float()).all()


@pytest.mark.slow  # trains a model: make test only
@pytest.mark.parametrize(
    ("model_type", "kwargs"),
    [
        ("conv_bilstm", {"conv_channels": [16, 32], "lstm_hidden": 16, "lstm_layers": 1, "dropout": 0.0}),
        ("tcn_bilstm", {"hidden": 16, "dilations": [1, 2], "dropout": 0.0}),
    ],
)
def test_can_overfit_a_tiny_batch(model_type: str, kwargs: dict) -> None:
    torch.manual_seed(0)
    x = torch.randn(4, 16, 6)
    y = torch.randint(0, 3, (4, 16))
    model = build_model(model_type, 6, 3, **kwargs)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, 3), y.reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 5
