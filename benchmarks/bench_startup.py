"""Start-up cost of each ``mabe`` command: wall time of a fresh process on a tiny input.

Writes a tiny synthetic dataset (2 videos x 0.2 min of ``CalMS21_task1``), a
perfect submission from its test labels and a fake run directory with two
checkpoints (``torch.save`` of a Lightning-like dict), then runs, in fresh
interpreters (``python -m mabe ...``), ``--help``, ``validate``, ``info``,
``score``, ``checkpoints``, ``synth``, ``import`` (a 30-frame DeepLabCut csv)
and ``export``, interleaved, ``--repeats`` times,
and reports each command's median wall time and CPU time (user + system of
the child: what the command costs on an idle core, robust to other jobs on a
shared machine), whether it imported torch or
Lightning (checked through ``sys.modules`` at exit, via a ``sitecustomize``-free
wrapper), and the bare ``import torch`` / ``import lightning`` times for
comparison, the 1-minute load average before each round, and per command
the import time (``python -X importtime``, self time summed per top-level
package) of the packages it spends most on. A command that answers a small
input in well under a second imports neither torch nor Lightning.

Run with ``python benchmarks/bench_startup.py [--repeats 5] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mabe import progress
from mabe.data.io import MabeDataset
from mabe.data.synth import synthesize

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("torch", "lightning")

WRAPPER = (
    "import atexit, json, sys\n"
    "def _report():\n"
    "    mods = [m for m in {heavy!r} if m in sys.modules]\n"
    "    sys.stderr.write('STARTUP_MODULES ' + json.dumps(mods) + '\\n')\n"
    "atexit.register(_report)\n"
    "from mabe.cli.app import main\n"
    "main(sys.argv[1:])\n"
)


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "OMP_WAIT_POLICY": "PASSIVE"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(argv: list[str], cwd: Path) -> tuple[float, float, int, list[str]]:
    """Wall time, CPU time (user + system), exit code and heavy modules of one fresh process."""
    code = WRAPPER.format(heavy=HEAVY)
    cpu0, start = _children_cpu(), time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=cwd, env=_env(), capture_output=True, text=True,
        check=False,
    )
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu0
    mods: list[str] = []
    for line in out.stderr.splitlines():
        if line.startswith("STARTUP_MODULES "):
            mods = json.loads(line.removeprefix("STARTUP_MODULES "))
    return wall, cpu, out.returncode, mods


def import_costs(argv: list[str], cwd: Path, top: int = 8) -> dict[str, float]:
    """Seconds of import (self time) per top-level package for one run of a command."""
    code = WRAPPER.format(heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *argv], cwd=cwd, env=_env(),
        capture_output=True, text=True, check=False,
    )
    totals: Counter[str] = Counter()
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, _, name = (part.strip() for part in line.replace("import time:", "|").split("|"))
        totals[name.split(".")[0]] += int(self_us) / 1e6
    return {name: round(s, 3) for name, s in totals.most_common(top)}


def _bare_import(module: str) -> float:
    """CPU seconds of a fresh interpreter importing ``module``."""
    cpu0 = _children_cpu()
    subprocess.run([sys.executable, "-c", f"import {module}"], env=_env(), check=True)
    return _children_cpu() - cpu0


def write_dlc(path: Path, n_frames: int = 30) -> None:
    """A small two-mouse DeepLabCut csv for ``mabe import``."""
    from movement.io import load_poses, save_poses

    rng = np.random.default_rng(0)
    ds = load_poses.from_numpy(
        rng.uniform(0, 500, (n_frames, 2, 2, 2)), np.ones((n_frames, 2, 2)),
        ["adult", "juvenile"], ["nose", "tail"],
    )
    save_poses.to_dlc_file(ds, path, split_individuals=False)


def make_inputs(root: Path) -> dict[str, Path]:
    import torch


    progress.set_enabled(False)
    data = root / "data"
    synthesize(data, 2, 0, labs=["CalMS21_task1"], minutes=0.2, test_fraction=0.5, progress=False)
    sol = MabeDataset(data).solution("test", progress=False)
    sub = sol.drop(columns=["lab_id", "behaviors_labeled"])
    sub.insert(0, "row_id", range(len(sub)))
    sub.to_csv(root / "submission.csv", index=False)
    write_dlc(root / "s_DLC.csv")
    run = root / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text("model: tcn_bigru\n")
    for epoch in (1, 2):
        state = {f"model.layer{i}.weight": torch.randn(64, 64) for i in range(8)}
        torch.save(
            {"epoch": epoch, "state_dict": state, "hyper_parameters": {"lr": 1e-3},
             "mabe": {"epoch": epoch, "metric": epoch / 10}},
            run / "checkpoints" / f"epoch={epoch:03d}.ckpt",
        )
    return {"data": data, "submission": root / "submission.csv", "run": run, "dlc": root / "s_DLC.csv"}


def commands(inputs: dict[str, Path], root: Path, i: int) -> dict[str, list[str]]:
    data, sub, run = str(inputs["data"]), str(inputs["submission"]), str(inputs["run"])
    return {
        "--help": ["--help"],
        "validate": ["validate", data],
        "info": ["info", data],
        "score": ["score", "--data", data, "--submission", sub, "--json"],
        "checkpoints": ["checkpoints", run],
        "synth": ["-q", "synth", "--out", str(root / f"synth{i}"), "--videos", "2", "--minutes", "0.05",
                  "--labs", "CalMS21_task1"],
        "import": ["-q", "import", str(inputs["dlc"]), "--out", str(root / f"imported{i}"),
                   "--lab", "mylab", "--fps", "30"],
        "export": ["-q", "export", "--submission", sub, "--data", data, "--out", str(root / f"export{i}")],
    }


def run(repeats: int) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench_startup_"))
    try:
        inputs = make_inputs(root)
        times: dict[str, list[float]] = {}
        cpus: dict[str, list[float]] = {}
        codes: dict[str, set[int]] = {}
        heavy: dict[str, set[str]] = {}
        loads: list[float] = []
        for i in range(max(1, repeats) + 1):  # round 0 warms the file cache, not timed
            loads.append(os.getloadavg()[0])
            for name, argv in commands(inputs, root, i).items():
                wall, cpu, code, mods = _run(argv, root)
                if i == 0:
                    continue
                times.setdefault(name, []).append(wall)
                cpus.setdefault(name, []).append(cpu)
                codes.setdefault(name, set()).add(code)
                heavy.setdefault(name, set()).update(mods)
        costs = {name: import_costs(argv, root) for name, argv in commands(inputs, root, 99).items()}
        bare = {f"import_{m}_cpu_s": round(statistics.median(_bare_import(m) for _ in range(2)), 2)
                for m in ("mabe.cli.app", "torch", "lightning")}
        per_command = {
            name: {
                "median_s": round(statistics.median(t), 3),
                "median_cpu_s": round(statistics.median(cpus[name]), 3),
                "all_s": [round(x, 3) for x in t],
                "exit_codes": sorted(codes[name]),
                "imports": sorted(heavy[name]),
                "top_import_s": costs[name],
            }
            for name, t in times.items()
        }
        return {"repeats": repeats, "load_1min_per_round": loads[1:], "commands": per_command, **bare}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def headline(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, c in result["commands"].items():
        out[f"{name.strip('-')}_wall_s"] = c["median_s"]
        out[f"{name.strip('-')}_cpu_s"] = c["median_cpu_s"]
        top = list(c["top_import_s"].items())[:4]
        out[f"{name.strip('-')}_top_imports_s"] = ", ".join(f"{k} {v}" for k, v in top)
    out["commands_importing_torch_or_lightning"] = [
        name for name, c in result["commands"].items() if c["imports"]
    ]
    out["load_1min_median"] = round(statistics.median(result["load_1min_per_round"]), 2)
    out["import_torch_cpu_s"] = result["import_torch_cpu_s"]
    out["import_lightning_cpu_s"] = result["import_lightning_cpu_s"]
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    result = run(args.repeats or (3 if args.quick else 5))
    result = {"headline": headline(result), **result}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for name, c in result["commands"].items():
            print(f"{name:12s} wall {c['median_s']:6.3f} s  cpu {c['median_cpu_s']:6.3f} s  "
                  f"exit {c['exit_codes']}  imports {c['imports']}")
            print(f"{'':12s} import s: " + ", ".join(f"{k} {v}" for k, v in c["top_import_s"].items()))
        print(f"load average (1 min) per round: {result['load_1min_per_round']}")
        for key in ("import_mabe.cli.app_cpu_s", "import_torch_cpu_s", "import_lightning_cpu_s"):
            print(f"{key:24s} {result[key]} s")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
