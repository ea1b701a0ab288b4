"""Which validation score should pick ``best.ckpt``? The same runs, two monitors, scored on the test split.

A network run keeps ``best.ckpt``: the epoch with the best monitored
validation score, which also drives early stopping and the plateau scheduler.
That score is ``val_score`` (macro-F1 at the fixed 0.5 threshold, NaN read
as 0). The candidate was ``val_ap`` (macro average precision over the classes
with a positive validation frame, logged in every run's ``metrics.csv``), which
does not depend on a threshold, like the decoding that tunes one per action
afterwards. Measured on 2026-11-30 (``results/2026-11-30-monitor.md``) it was
not better, so the monitor stayed ``val_score``; the sources that monitor
``val_ap`` are commit 5f258c5 of branch ``monitor``
(``git worktree add /tmp/ap 5f258c5``, then ``--after-src /tmp/ap/src``).

For every (variant, seed) this script runs, in a child process with the
variant's sources first on ``PYTHONPATH``::

    mabe train --data D --out RUN --config recommended --set epochs=E --set seed=S
    mabe predict --run RUN --data D --split test --out RUN/test_submission.csv
    mabe score --data D --submission RUN/test_submission.csv --split test --json

(each run with its own tuned decoding) and records the epoch ``best.ckpt``
came from, its validation macro-F1 / macro AP (from ``metrics.csv``; the
``before`` runs do not log AP), and the test-split MABe score. Variants are
``before`` (``--before-src``, e.g. main's ``src``) and ``after`` (``--after-src``,
the sources with the candidate monitor). A run directory that already holds ``summary.json`` is
reused, not retrained.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_monitor.py --data D --work W
--before-src /path/to/main/src [--seeds 0,1] [--epochs 15] [--json OUT.json] [--md OUT.md]``.
Make the data set once with e.g. ``mabe synth --out D --videos 16 --minutes 3
--labs CalMS21_task1,AdaptableSnail,JovialSwallow --seed 2 --test-fraction 0.25``
or ``python ../shared/data/calms21_to_kaggle.py D``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]


def _mabe(src: Path, *args: str) -> str:
    """Run the ``mabe`` CLI from the sources in ``src``; return its stdout (raise on failure)."""
    env = dict(os.environ, PYTHONPATH=str(src), OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    done = subprocess.run(
        [sys.executable, "-m", "mabe", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"mabe {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def measure(src: Path, data: Path, run: Path, seed: int, epochs: int, extra: list[str]) -> dict[str, Any]:
    """Train (unless ``run`` holds a summary), predict and score the test split; return the row."""
    start = time.perf_counter()
    if not (run / "summary.json").is_file():
        sets = [f"epochs={epochs}", f"seed={seed}", *extra]
        _mabe(src, "train", "--data", str(data), "--out", str(run), "--config", "recommended",
              *[a for s in sets for a in ("--set", s)])
    train_sec = time.perf_counter() - start
    submission = run / "test_submission.csv"
    _mabe(src, "predict", "--run", str(run), "--data", str(data), "--split", "test", "--out", str(submission),
          "--overwrite", "--allow-empty")
    score = json.loads(_mabe(src, "score", "--data", str(data), "--submission", str(submission), "--split", "test",
                             "--json"))
    summary = json.loads((run / "summary.json").read_text())
    with (run / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    best_epoch = int(summary["best_epoch"])
    best = next((r for r in rows if int(r["epoch"]) == best_epoch), {})
    return {
        "seed": seed,
        "epochs_run": len(rows),
        "best_epoch": best_epoch,
        "val_macro_f1": _float(best.get("val_macro_f1")),
        "val_ap": _float(best.get("val_ap")),
        "val_loss": _float(best.get("val_loss")),
        "max_val_macro_f1": max((_float(r.get("val_macro_f1")) for r in rows), default=math.nan),
        "test_score": _float(score.get("score")),
        "train_sec": round(train_sec, 1),
    }


def markdown(results: dict[str, Any]) -> str:
    """The results as a markdown table."""
    lines = [
        f"data: `{results['data']}`, epochs {results['epochs']}, config recommended",
        "",
        "| data | variant | seed | best epoch / run | val macro-F1 @0.5 (best) | val AP (best) | test MABe score |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results["rows"]:
        lines.append(
            f"| {r['set']} | {r['variant']} | {r['seed']} | {r['best_epoch']} / {r['epochs_run']} | "
            f"{r['val_macro_f1']:.4f} | {r['val_ap']:.4f} | {r['test_score']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure both monitors on one data set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="folder for the run directories")
    parser.add_argument("--name", default="synth", help="data set label in the table")
    parser.add_argument("--before-src", type=Path, required=True, help="sources with the old monitor (main's src)")
    parser.add_argument("--after-src", type=Path, default=HERE / "src", help="sources with the candidate monitor")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--set", action="append", default=[], help="extra config override (repeatable)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--md", type=Path)
    args = parser.parse_args()
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        for variant, src in (("before", args.before_src), ("after", args.after_src)):
            run = args.work / f"{args.name}_{variant}_s{seed}"
            row = {"set": args.name, "variant": variant, **measure(src, args.data, run, seed, args.epochs, args.set)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    results = {"data": str(args.data), "epochs": args.epochs, "rows": rows}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    if args.md:
        args.md.write_text(markdown(results))


if __name__ == "__main__":
    main()
