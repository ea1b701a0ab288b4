"""The multi-scale TCN + BiGRU (``tcn_bigru``): shapes, lab conditioning, padding, size, learning."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mabe.models import MultiScaleTCNBiGRU, WithContext, build_model, count_parameters, log_fps
from mabe.models.multiscale import UNKNOWN_LAB, PrefixBiGRU


def _trained_like(model: MultiScaleTCNBiGRU) -> MultiScaleTCNBiGRU:
    """Randomise the FiLM layer (zero at init, so labs would not matter yet) and switch to eval."""
    torch.manual_seed(1)
    assert model.film is not None
    nn.init.normal_(model.film.weight, std=0.5)
    return model.eval()


def test_default_size_is_stable_and_factory_builds_it() -> None:
    # hidden 96, 4 blocks x 3 scales, 1-layer BiGRU, 8-dim lab embedding over 6 labs + unknown
    model = build_model("tcn_bigru", 73, 4, n_labs=6)
    assert isinstance(model, MultiScaleTCNBiGRU)
    assert count_parameters(model) == 271_118
    assert model.receptive_field == 121  # 4 s at 30 fps
    assert count_parameters(build_model("tcn_bigru", 73, 4, n_labs=7)) == 271_118 + 8  # one embedding row


@pytest.mark.parametrize("seq_len", [1, 13, 40])
def test_shapes_with_and_without_context(seq_len: int) -> None:
    model = MultiScaleTCNBiGRU(20, 5, hidden=12, n_labs=3).eval()
    x = torch.randn(3, seq_len, 20)
    with torch.no_grad():
        full = model(
            x, lab=torch.tensor([0, 1, 3]), log_fps=torch.zeros(3), valid=torch.ones(3, seq_len, dtype=torch.bool)
        )
        bare = model(x)
    assert full.shape == bare.shape == (3, seq_len, 5)
    assert torch.isfinite(full).all()
    no_rnn = MultiScaleTCNBiGRU(20, 5, hidden=12, rnn_layers=0, lab_embedding_dim=0).eval()
    assert no_rnn(x).shape == (3, seq_len, 5) and no_rnn.film is None


def test_lab_and_fps_change_the_output_and_unknown_labs_share_a_slot() -> None:
    model = _trained_like(MultiScaleTCNBiGRU(10, 3, hidden=16, n_labs=2))
    x = torch.randn(1, 9, 10)
    with torch.no_grad():
        out = {lab: model(x, lab=torch.tensor([lab])) for lab in (0, 1, 2)}
        assert not torch.allclose(out[1], out[2])
        assert not torch.allclose(out[0], out[1])
        # out of range (a lab unseen in training, or -1) is the unknown slot, and so is None
        assert torch.equal(model(x, lab=torch.tensor([7])), out[UNKNOWN_LAB])
        assert torch.equal(model(x, lab=torch.tensor([-1])), out[UNKNOWN_LAB])
        assert torch.equal(model(x), out[UNKNOWN_LAB])
        faster = model(x, lab=torch.tensor([1]), log_fps=torch.tensor([log_fps(120.0)]))
    assert not torch.allclose(faster, out[1])


def test_lab_dropout_trains_the_unknown_slot() -> None:
    model = MultiScaleTCNBiGRU(6, 2, hidden=8, n_labs=2, lab_dropout=0.5)
    assert model.lab_embedding is not None
    rows = {tuple(model.lab_embedding.weight[k].tolist()): k for k in range(3)}
    lab = torch.full((64,), 1)
    torch.manual_seed(0)

    def slots() -> list[int]:
        ctx = model._context(lab, None, 64, torch.device("cpu"))[:, :-1]
        return [rows[tuple(r)] for r in ctx.tolist()]

    model.train()
    used = slots()
    assert set(used) == {UNKNOWN_LAB, 1} and 16 < used.count(UNKNOWN_LAB) < 48
    model.eval()
    assert set(slots()) == {1}


def test_padding_after_a_short_clip_changes_nothing() -> None:
    """A 13-frame clip alone, padded to 128 frames (valid mask given or inferred): same outputs."""
    model = _trained_like(MultiScaleTCNBiGRU(7, 2, hidden=12, dilations=(1, 2, 4), n_labs=1))
    clip = torch.randn(2, 13, 7)
    padded = torch.cat([clip, torch.zeros(2, 115, 7)], dim=1)
    valid = torch.arange(128).expand(2, 128) < 13
    lab = torch.tensor([1, 0])
    with torch.no_grad():
        alone = model(clip, lab=lab)
        assert torch.allclose(model(padded, lab=lab, valid=valid)[:, :13], alone, atol=1e-6)
        assert torch.allclose(model(padded, lab=lab)[:, :13], alone, atol=1e-6)
    # and the batch statistics of the input normalisation ignore the padding
    model.train()
    model.input_norm.running_mean.zero_()
    model.input_norm.momentum = 1.0
    model(padded + 0.0, lab=lab, valid=valid)
    assert torch.allclose(model.input_norm.running_mean, clip.reshape(-1, 7).mean(0), atol=1e-5)


def test_prefix_bigru_equals_a_packed_bidirectional_gru() -> None:
    torch.manual_seed(0)
    mine = PrefixBiGRU(5, 4)
    ref = nn.GRU(5, 4, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(ref, name).copy_(getattr(mine.forward_rnns[0], name))
            getattr(ref, name + "_reverse").copy_(getattr(mine.backward_rnns[0], name))
    x = torch.randn(3, 10, 5)
    lengths = torch.tensor([10, 4, 1])
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, _ = ref(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=10)
    real = torch.arange(10)[None] < lengths[:, None]
    with torch.no_grad():
        assert torch.allclose(mine(x, lengths)[real], out[real], atol=1e-6)


def test_with_context_binds_lab_and_keeps_the_mode() -> None:
    net = _trained_like(MultiScaleTCNBiGRU(6, 2, hidden=8, n_labs=2))
    bound = WithContext(net, lab=2, log_fps=0.5)
    assert not bound.training
    x = torch.randn(3, 7, 6)
    with torch.no_grad():
        expected = net(x, lab=torch.full((3,), 2), log_fps=torch.full((3,), 0.5))
        assert torch.equal(bound(x), expected)
    assert next(bound.parameters()) is next(net.parameters())


def test_invalid_sizes_raise() -> None:
    with pytest.raises(ValueError, match="kernel_size"):
        MultiScaleTCNBiGRU(10, 2, kernel_size=2)
    with pytest.raises(ValueError, match="scales"):
        MultiScaleTCNBiGRU(10, 2, scales=[])
    with pytest.raises(ValueError, match="dilations"):
        MultiScaleTCNBiGRU(10, 2, dilations=[0])
    with pytest.raises(ValueError, match=r"\(batch, seq_len, 10\)"):
        MultiScaleTCNBiGRU(10, 2)(torch.zeros(1, 4, 11))


@pytest.mark.slow  # trains a model: make test only
def test_can_overfit_a_tiny_batch_with_labs() -> None:
    """Two labs, same inputs, opposite labels: only the lab embedding can tell them apart."""
    torch.manual_seed(0)
    x = torch.randn(2, 16, 6).repeat(2, 1, 1)
    y = torch.randint(0, 2, (2, 16, 1)).float()
    y = torch.cat([y, 1 - y])
    lab = torch.tensor([1, 1, 2, 2])
    model = MultiScaleTCNBiGRU(6, 1, hidden=8, dilations=(1, 2), dropout=0.0, n_labs=2, lab_dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(x, lab=lab), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 5


def test_trains_under_bf16_autocast() -> None:
    model = MultiScaleTCNBiGRU(12, 3, hidden=16, n_labs=2)
    valid = torch.arange(9).expand(2, 9) < torch.tensor([[9], [4]])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(torch.randn(2, 9, 12), lab=torch.tensor([1, 2]), log_fps=torch.zeros(2), valid=valid)
    out.float().sum().backward()
    assert out.shape == (2, 9, 3) and torch.isfinite(out.float()).all()
    assert model.proj.weight.grad is not None and torch.isfinite(model.proj.weight.grad).all()
