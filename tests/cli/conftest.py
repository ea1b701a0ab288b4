"""Run the ``mabe`` command line in-process and capture what a user would see."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_helpers import Result, exit_code

from mabe.cli.app import main


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """One intra-op thread: on two shared, busy cores torch's thread pool makes small LSTMs ~100x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def run_cli(capsys):
    """``run_cli("validate", path)`` → Result(code, stdout, stderr)."""

    def _run(*args: object) -> Result:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exit_code(exc)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def dataset_copy(small_dataset, tmp_path) -> Path:
    """A private copy of the small dataset that a test may corrupt."""
    dst = tmp_path / "data"
    shutil.copytree(small_dataset, dst)
    return dst
