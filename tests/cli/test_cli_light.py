"""Commands that neither train nor run a network never import torch or Lightning.

Each check runs in a fresh interpreter (``sys.modules`` of the test process
already holds torch) and reports which heavy modules the command pulled in.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import torch

import mabe.cli
from mabe.data.io import MabeDataset
from mabe.training.runfiles import read_checkpoint_info

SRC = Path(mabe.__file__).resolve().parents[1]
HEAVY = ("torch", "lightning", "pytorch_lightning", "torchmetrics", "lightgbm", "matplotlib")

PROBE = textwrap.dedent(
    """
    import json, sys
    from mabe.cli.app import main
    heavy = {heavy!r}
    report = []
    for argv in json.loads(sys.argv[1]):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        report.append({{"argv": argv, "code": code,
                        "heavy": sorted(m for m in heavy if m in sys.modules)}})
    print("PROBE " + json.dumps(report))
    """
)


def _probe(commands: list[list[str]], cwd: Path) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    code = PROBE.format(heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(commands)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, out.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("PROBE "))


def _submission(data: Path, path: Path) -> Path:
    """The test labels as a (perfect) submission."""
    sol = MabeDataset(data).solution("test", progress=False)
    sub = sol.drop(columns=["lab_id", "behaviors_labeled"])
    sub.insert(0, "row_id", range(len(sub)))
    sub.to_csv(path, index=False)
    return path


def _fake_run(root: Path) -> Path:
    """A run whose checkpoints are not in an ``index.json``: listing must read their records torch-free."""
    (root / "checkpoints").mkdir(parents=True)
    (root / "config.yaml").write_text("checkpoint_dir: checkpoints\n")
    for epoch in (1, 2):
        torch.save(
            {
                "epoch": epoch,
                "state_dict": {"model.w": torch.randn(3, 4), "model.b": torch.zeros(4)},
                # torch objects besides tensors: read as placeholders (weights-only loading accepts them)
                "hyper_parameters": {"lr": 0.1, "shape": torch.Size([3, 4]), "dtype": torch.float16},
                "mabe": {"epoch": epoch, "metric": epoch / 10},
            },
            root / "checkpoints" / f"epoch={epoch:03d}.ckpt",
        )
    return root


@pytest.mark.slow
def test_light_commands_never_import_torch_or_lightning(small_dataset, tmp_path):
    run = _fake_run(tmp_path / "run")
    sub = _submission(small_dataset, tmp_path / "submission.csv")
    commands = [
        ["--help"],
        ["--version"],
        ["validate", str(small_dataset)],
        ["info", str(small_dataset)],
        ["score", "--data", str(small_dataset), "--submission", str(sub), "--json"],
        ["checkpoints", str(run)],
        ["synth", "--out", str(tmp_path / "synth"), "--videos", "2", "--minutes", "0.05",
         "--labs", "CalMS21_task1"],
    ]
    report = _probe(commands, tmp_path)
    assert [r["code"] for r in report] == [0] * len(commands), report
    assert (tmp_path / "synth" / "train.csv").is_file()
    assert [r["heavy"] for r in report] == [[]] * len(commands), report


def test_every_command_module_is_light_to_import(tmp_path):
    """New command modules are covered too: found by listing mabe.cli."""
    modules = [m.name for m in pkgutil.iter_modules(mabe.cli.__path__) if m.name.endswith("_cmd")]
    assert {"validate_cmd", "predict_cmd", "checkpoints_cmd"} <= set(modules)
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module('mabe.cli.' + name)\n"
        "import mabe.cli.app\n"
        f"print('PROBE ' + json.dumps(sorted(m for m in {HEAVY + ('pandas', 'pyarrow', 'scipy')!r}"
        " if m in sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, out.stderr[-3000:]
    assert json.loads(lines[-1].removeprefix("PROBE ")) == []


def test_checkpoint_record_is_read_without_torch_as_torch_reads_it(tmp_path):
    run = _fake_run(tmp_path / "run")
    for path in sorted((run / "checkpoints").glob("*.ckpt")):
        expected = torch.load(path, weights_only=True)["mabe"]
        assert read_checkpoint_info(path) == expected


@pytest.mark.parametrize("content", [b"", b"junk, not a checkpoint", b"PK\x03\x04 broken zip"])
def test_unreadable_checkpoint_is_one_line(tmp_path, content):
    from mabe.errors import MabeError

    path = tmp_path / "bad.ckpt"
    path.write_bytes(content)
    with pytest.raises(MabeError, match="bad.ckpt: not a readable checkpoint"):
        read_checkpoint_info(path)


def test_solution_helper_is_not_empty(small_dataset, tmp_path):
    assert len(pd.read_csv(_submission(small_dataset, tmp_path / "s.csv"))) > 0
