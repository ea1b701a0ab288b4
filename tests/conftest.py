"""Fixtures shared by the whole suite: small synthetic datasets written once per session."""

from __future__ import annotations

import os
from pathlib import Path

# Same thread policy as the CLI (set before torch is imported): keeps the suite
# fast when the machine is shared.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

from mabe import progress


@pytest.fixture(autouse=True, scope="session")
def _quiet_progress():
    progress.set_enabled(False)
    yield


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    """6 one-minute videos of two labs (train 4 / test 2), with test labels. Treat as read-only."""
    from mabe.data.synth import synthesize

    root = tmp_path_factory.mktemp("small") / "data"
    synthesize(root, n_videos=6, seed=0, labs=["CalMS21_task2", "JovialSwallow"], minutes=1.0, progress=False)
    return root
