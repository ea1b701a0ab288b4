"""The batched window pass gives exactly what the per-window implementation gave.

``reference_window_probs`` is a frozen copy of ``window_probs`` before it was
rewritten (windows stacked one by one in Python, then averaged per sequence).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mabe.config import load_config
from mabe.training.inference import window_probs
from mabe.training.network import build_network
from mabe.training.windows import overlap_average, window_starts


@torch.no_grad()
def reference_window_probs(model, sequences, starts, length, batch_size, seed4):
    n = len(sequences[0])
    size = max(n, int(starts[-1]) + length)
    padded = np.zeros((len(sequences), size, sequences[0].shape[1]), dtype=np.float32)
    for k, seq in enumerate(sequences):
        padded[k, :n] = seq
    jobs = [(k, int(s)) for k in range(len(sequences)) for s in starts]
    outs = []
    for b in range(0, len(jobs), batch_size):
        batch = np.stack([padded[k, s : s + length] for k, s in jobs[b : b + batch_size]])
        logits = model(torch.from_numpy(batch)).float()
        probs = torch.softmax(logits, dim=-1) if seed4 else torch.sigmoid(logits)
        outs.append(probs.cpu().numpy())
    per_window = np.concatenate(outs).reshape(len(sequences), len(starts), length, -1)
    return [overlap_average(n, starts, w) for w in per_window]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    config = load_config("actions", ["sequence_length=32"])
    net = build_network(config, 12, 5)
    return net.eval()


# 7/32/33 frames cover the window edges in the fast lane; the long videos run in make test
@pytest.mark.parametrize("n", [7, 32, 33, pytest.param(100, marks=pytest.mark.slow), pytest.param(257, marks=pytest.mark.slow)])
@pytest.mark.parametrize(("stride", "batch_size", "pairs"), [(16, 4, 3), (32, 64, 1), (5, 7, 4)])
@pytest.mark.parametrize("seed4", [False, True])
def test_same_probabilities_as_the_per_window_implementation(model, n, stride, batch_size, pairs, seed4):
    rng = np.random.default_rng(n + stride + pairs)
    sequences = [rng.normal(size=(n, 12)).astype(np.float32) for _ in range(pairs)]
    starts = window_starts(n, 32, stride)
    fast = window_probs(model, np.stack(sequences), starts, 32, batch_size, seed4)
    slow = reference_window_probs(model, sequences, starts, 32, batch_size, seed4)
    assert fast.shape == (pairs, n, 5) and fast.dtype == np.float32
    for k in range(pairs):
        np.testing.assert_allclose(fast[k], slow[k], rtol=0, atol=0)


def test_list_input_and_float16_features_are_accepted(model):
    rng = np.random.default_rng(1)
    seqs = [rng.normal(size=(50, 12)).astype(np.float16) for _ in range(2)]
    starts = window_starts(50, 32, 16)
    fast = window_probs(model, seqs, starts, 32, 8, False)
    slow = reference_window_probs(model, [s.astype(np.float32) for s in seqs], starts, 32, 8, False)
    np.testing.assert_allclose(fast, np.stack(slow), rtol=0, atol=0)
