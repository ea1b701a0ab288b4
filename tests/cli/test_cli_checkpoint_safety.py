"""A run from elsewhere is data, not code (issue 16, item 10).

A shared run, a published bundle or a colleague's encoder arrives as checkpoint
files. Each command that reads checkpoints must load them as weights only: a
checkpoint whose unpickling would call something (here ``Path.touch`` on a
marker file, standing for any code) is refused in one line naming the file,
exit 2, and the marker is never written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from cli_helpers import Result, invoke

pytestmark = pytest.mark.slow

TINY = ("--config", "demo", "--set", "epochs=2", "--set", "save_freq=1", "--set", "lstm_hidden=8",
        "--set", "max_windows_per_epoch=32", "--no-tune")


class _Touch:
    """Unpickling this calls ``Path.touch(marker)``: what a crafted checkpoint could do with ``os.system``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


@pytest.fixture(scope="module")
def trained(small_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny run with best, last and per-epoch checkpoints. Treat as read-only."""
    run = tmp_path_factory.mktemp("shared") / "run"
    result = invoke("train", "--data", small_dataset, "--out", run, *TINY, quiet=True)
    assert result.code == 0, result.err
    return run


def _crafted_copy(trained: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Copy the run; put a code-running object into every checkpoint (tensors and all else kept)."""
    run, marker = tmp_path / "shared_run", tmp_path / "code_ran"
    shutil.copytree(trained, run)
    ckpts = sorted((run / "checkpoints").glob("*.ckpt"))
    assert len(ckpts) == 4
    for path in ckpts:
        state = torch.load(path, map_location="cpu", weights_only=True)  # mabe's own checkpoint: weights only
        state["mabe"] = {**state["mabe"], "note": _Touch(marker)}
        torch.save(state, path)
    return run, marker


def _refused(result: Result, name: str) -> None:
    assert result.code == 2, result
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert f"{name}: refused: loading it needs arbitrary unpickling" in lines[0], lines[0]


def test_mabe_checkpoints_load_as_weights_only_and_the_crafted_copy_would_run_code(trained, tmp_path):
    from mabe.training.inference import read_checkpoint

    for path in (trained / "checkpoints").glob("*.ckpt"):  # random states of resume included
        assert "mabe_random_states" in read_checkpoint(path)
    # the test's premise: unpickling the crafted file for real writes the marker
    run, marker = _crafted_copy(trained, tmp_path)
    torch.load(run / "checkpoints" / "best.ckpt", map_location="cpu", weights_only=False)
    assert marker.is_file()


@pytest.mark.parametrize("command", ["predict", "evaluate", "checkpoints", "bundle", "resume"])
def test_a_checkpoint_that_needs_arbitrary_unpickling_is_refused(command, trained, small_dataset, tmp_path, monkeypatch):
    # torch's own default (weights only since 2.6) is switched off: mabe must ask for it itself
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    run, marker = _crafted_copy(trained, tmp_path)
    out = tmp_path / "out"
    args = {
        "predict": ("predict", "--run", run, "--data", small_dataset, "--out", out),
        "evaluate": ("evaluate", "--run", run, "--data", small_dataset),
        "checkpoints": ("checkpoints", run),
        "bundle": ("bundle", "--run", run, "--out", out, "--no-measure"),
        "resume": ("train", "--data", small_dataset, "--out", run, *TINY, "--resume"),
    }[command]
    if command == "resume":
        (run / "summary.json").unlink()  # an unfinished run, as a kill leaves it
    result = invoke(*args, quiet=True)
    _refused(result, "last.ckpt" if command == "resume" else "best.ckpt")
    assert not marker.exists(), f"mabe {command} ran code from a checkpoint"
    assert not out.exists()


def test_lightning_resumes_as_weights_only_too(trained, small_dataset, tmp_path, monkeypatch):
    """Lightning's own load of ``last.ckpt`` (``trainer.fit(ckpt_path=...)``), past mabe's first read."""
    import mabe.training.fit

    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")  # Lightning passes None to torch.load by default
    monkeypatch.setattr(mabe.training.fit, "_resume_rows", lambda run, last: [])
    run, marker = _crafted_copy(trained, tmp_path)
    (run / "summary.json").unlink()
    result = invoke("train", "--data", small_dataset, "--out", run, *TINY, "--resume", quiet=True)
    assert result.code != 0, result
    assert "Weights only load failed" in result.err
    assert not marker.exists(), "Lightning ran code from a checkpoint"
