"""GPU readiness on a CPU: bf16 mixed precision really runs, and which process is rank 0."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from mabe.config import load_config
from mabe.errors import ConfigError
from mabe.training.distributed import global_rank
from mabe.training.fit import fit, resolve_precision
from mabe.training.inference import load_trained, predict_video


def test_explicit_cpu_bf16_is_kept_other_mixed_precisions_fall_back():
    assert resolve_precision("bf16-mixed", "cpu") == "bf16-mixed"
    assert resolve_precision("16-mixed", "cpu") == "32"
    if not torch.cuda.is_available():
        assert resolve_precision("bf16-mixed", "auto") == "32"  # a GPU config runs full speed on a laptop


@pytest.mark.slow
def test_bf16_mixed_trains_on_cpu(tiny_data: Path, tmp_path: Path, tiny: list[str]) -> None:
    losses = {}
    for precision in ("32", "bf16-mixed"):
        cfg = load_config("actions", [*tiny, "epochs=1", "accelerator=cpu", f"precision={precision}"], data_dir=tiny_data)
        summary = fit(cfg, tmp_path / precision, progress_bar=False)
        assert summary["precision"] == {"32": "32-true", "bf16-mixed": "bf16-mixed"}[precision]
        assert summary["device"] == "cpu"
        losses[precision] = summary["best_metrics"]["val_loss"]
        assert math.isfinite(losses[precision])
    # same seed, same data: only the arithmetic differs, a little
    assert losses["32"] != losses["bf16-mixed"] and abs(losses["32"] - losses["bf16-mixed"]) < 0.05
    model, config, info = load_trained(tmp_path / "bf16-mixed")
    assert all(p.dtype == torch.float32 for p in model.parameters())  # fp32 master weights
    from mabe.data.io import MabeDataset

    ds = MabeDataset(tiny_data)
    pred = predict_video(model, config, info, ds.load_video(ds.metas("test")[0]))
    assert pred.probs.dtype == np.float32 and np.all((pred.probs >= 0) & (pred.probs <= 1))


@pytest.mark.parametrize(
    ("env", "rank"),
    [
        ({}, 0),
        ({"LOCAL_RANK": "0", "NODE_RANK": "0"}, 0),
        ({"LOCAL_RANK": "1"}, 1),  # Lightning's copy of the command
        ({"LOCAL_RANK": "0", "NODE_RANK": "1"}, 1),  # first process of the second node
        ({"RANK": "5", "LOCAL_RANK": "1"}, 5),  # torchrun
        ({"RANK": "0", "LOCAL_RANK": "0", "GROUP_RANK": "0"}, 0),
        ({"SLURM_PROCID": "3"}, 1),  # srun task 3
        ({"SLURM_PROCID": "0", "LOCAL_RANK": "1"}, 1),  # Lightning's copy inside a one-task SLURM job
    ],
)
def test_global_rank_from_launcher_variables(env, rank):
    assert global_rank(env) == rank


def test_num_nodes_is_a_config_key():
    assert load_config("actions", ["num_nodes=2"]).num_nodes == 2
    with pytest.raises(ConfigError):
        load_config("actions", ["num_nodes=0"])
