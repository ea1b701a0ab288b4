"""``mabe predict --workers N``: speed-up over one process, in wall time and per CPU second.

Runs ``mabe predict --run RUN --data DATA --split SPLIT --workers N`` in a
fresh process for each N (default 1 and 2), interleaved, ``--repeats`` times,
and reports per N the median wall time, the CPU seconds of the command and its
workers (user + system of the children), frames/s, frames per CPU second, the
wall speed-up over the first N, the CPU-normalised ratio (frames per CPU
second of N workers over that of the first N: 1.0 means the workers add no
work; start-up of each worker's interpreter and model is the usual loss), the
1-minute load average before each run, and whether every submission is
byte-identical to the first.

On a machine whose cores are busy with other jobs, the wall speed-up says
little (the workers wait for cores, not for each other); the CPU-normalised
ratio still says whether parallel prediction wastes work. A wall-time speed-up
must be measured on idle cores.

``--blend-both`` / ``--folds K`` predict with a copy of the run whose members
all have weight 0.5 and K fold models each (see ``bench_ensemble_predict.py``),
so that a tiny training run costs what the default ensemble costs.

Run with ``python benchmarks/bench_workers.py --run RUN --data DATA [--split test]
[--workers 1,2] [--repeats 3] [--blend-both] [--folds 5] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench_ensemble_predict import blend_both_copy
from mabe.data.io import MabeDataset
from mabe.data.summary import count_frames

SRC = Path(__file__).resolve().parents[1] / "src"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_workers(
    run: Path, data: Path, split: str, repeats: int, worker_counts: Sequence[int]
) -> dict[str, Any]:
    """Interleaved fresh ``mabe predict`` processes for each worker count (see module doc)."""
    ds = MabeDataset(data)
    metas = ds.metas(split)
    frames = sum(count_frames(ds.tracking_path(m)) for m in metas)
    walls: dict[int, list[float]] = {n: [] for n in worker_counts}
    cpus: dict[int, list[float]] = {n: [] for n in worker_counts}
    loads: dict[int, list[float]] = {n: [] for n in worker_counts}
    same: dict[int, bool] = dict.fromkeys(worker_counts, True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
           "OMP_WAIT_POLICY": "PASSIVE"}
    first = worker_counts[0]
    reference: bytes | None = None
    with tempfile.TemporaryDirectory(prefix="bench_workers_") as tmp:
        for _ in range(max(1, repeats)):
            for n in worker_counts:
                out = Path(tmp) / f"sub{n}.csv"
                argv = [sys.executable, "-m", "mabe", "-q", "predict", "--run", str(run), "--data",
                        str(data), "--split", split, "--out", str(out), "--overwrite",
                        "--allow-empty", "--workers", str(n)]
                loads[n].append(os.getloadavg()[0])
                cpu0, start = _children_cpu(), time.perf_counter()
                subprocess.run(argv, env=env, check=True, capture_output=True)
                walls[n].append(time.perf_counter() - start)
                cpus[n].append(_children_cpu() - cpu0)
                text = out.read_bytes()
                if reference is None:
                    reference = text
                same[n] = same[n] and text == reference
    result: dict[str, Any] = {"split": split, "videos": len(metas), "frames": frames,
                              "cores": len(os.sched_getaffinity(0))}
    for n in worker_counts:
        wall, cpu = statistics.median(walls[n]), statistics.median(cpus[n])
        result[f"workers_{n}"] = {
            "wall_s": round(wall, 2),
            "wall_s_all": [round(w, 2) for w in walls[n]],
            "cpu_s": round(cpu, 2),
            "cpu_s_all": [round(c, 2) for c in cpus[n]],
            "load_1min": [round(x, 2) for x in loads[n]],
            "frames_per_s": round(frames / wall),
            "frames_per_cpu_s": round(frames / cpu),
            "wall_speedup_over_first": round(statistics.median(walls[first]) / wall, 2),
            "cpu_normalised_ratio_over_first": round(statistics.median(cpus[first]) / cpu, 2),
            "same_submission_as_first": same[n],
        }
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", default="test")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--blend-both", action="store_true")
    parser.add_argument("--folds", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench_workers_run_") as tmp:
        run = blend_both_copy(args.run, Path(tmp), args.folds) if args.blend_both else args.run
        result = time_workers(run, args.data, args.split, args.repeats, counts)
    result["blend_both"], result["folds"] = args.blend_both, args.folds
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['frames']:,} frames in {result['videos']} videos, {result['cores']} cores")
        for n in counts:
            r = result[f"workers_{n}"]
            print(f"workers {n}: wall {r['wall_s']} s ({r['frames_per_s']:,} frames/s), cpu {r['cpu_s']} s "
                  f"({r['frames_per_cpu_s']:,} frames/cpu s), wall speed-up {r['wall_speedup_over_first']}, "
                  f"cpu-normalised {r['cpu_normalised_ratio_over_first']}, load {r['load_1min']}, "
                  f"same submission {r['same_submission_as_first']}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
