"""A tiny synthetic dataset shared by the training tests (2 labs, 6 one-minute videos)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mabe import progress

LABS = ["CalMS21_task2", "ReflectiveManatee"]  # 30 and 25 fps, two mice, attack/mount/sniff


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train split: 4 videos; test split (with labels): 2 videos."""
    from mabe.data.synth import synthesize

    progress.set_enabled(False)
    root = tmp_path_factory.mktemp("mabe_training") / "data"
    synthesize(root, n_videos=6, seed=0, labs=LABS, minutes=1.0, progress=False)
    return root


_TINY = [
    "conv_channels=[16]",
    "lstm_hidden=16",
    "lstm_layers=1",
    "sequence_length=64",
    "batch_size=16",
    "max_windows_per_epoch=48",
    "num_workers=0",
]
"""Overrides that make any config train in well under a second per epoch on a CPU."""


@pytest.fixture
def tiny() -> list[str]:
    """A fresh copy of the tiny-model overrides."""
    return list(_TINY)
