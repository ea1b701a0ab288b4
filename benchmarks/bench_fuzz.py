"""Fuzz and fault benchmark: broken inputs never crash ``mabe`` and kills never lose files.

Two parts, both on a small synthetic dataset in a temporary folder:

1. **Fuzz**: each example copies the dataset (and a valid submission), breaks
   one file at random (``tests/fuzz/corruptions.py``: truncated or garbled
   parquet, wrong dtypes, NaN/inf, negative or huge frames, duplicate rows,
   unknown mice, bad JSON in ``behaviors_labeled``, unicode names, dropped
   columns, empty files) and runs ``validate``, ``info``, ``score`` and
   ``predict`` (every ``--train-every``-th example also a tiny ``train``)
   in-process. Each must work (``validate`` may exit 1 listing problems) or
   print one line naming the broken file with exit 2; never a traceback; and
   no input file may change (sha256 before and after).
2. **Faults**: ``train`` and ``predict`` are started as child processes and
   killed with SIGKILL at a random moment. Afterwards nothing partial may be
   left (no temporary file; every file present parses), no file that existed
   before may be lost or changed, and the next command (``--resume`` for a
   run that has a complete epoch) must succeed.

It prints the counts (inputs tried, failures, kills survived, files lost) and
``--json`` prints them as one object. Not a test: nothing here is collected by
pytest; ``tests/fuzz`` runs a few examples of each part in ``make test``.

    python benchmarks/bench_fuzz.py                  # 200 fuzz examples, 12 kills
    python benchmarks/bench_fuzz.py --examples 40 --kills 4 --seed 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from mabe import progress
from mabe.data.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import corruptions as cz  # noqa: E402 - found through the sys.path line above
from faults import fault_one  # noqa: E402 - found through the sys.path line above

TINY_TRAIN = ["--config", "demo", "--set", "epochs=1", "--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=32", "--no-tune"]


def make_fixture(work: Path) -> tuple[Path, Path, Path]:
    """Dataset, a trained tiny run and a valid submission of its test split."""

    progress.set_enabled(False)
    data = work / "data"
    synthesize(data, n_videos=6, seed=0, labs=["CalMS21_task2", "JovialSwallow"], minutes=1.0, progress=False)
    run = work / "run"
    res = cz.invoke("train", "--data", data, "--out", run, *TINY_TRAIN[:-1])
    assert res.code == 0, res.err
    sub = work / "submission.csv"
    res = cz.invoke("predict", "--run", run, "--data", data, "--out", sub)
    assert res.code == 0, res.err
    return data, run, sub


def fuzz_one(data: Path, run: Path, sub: Path, c: cz.Corruption, scratch: Path, train: bool) -> list[str]:
    """Break one file of a copy and run every command; the rule violations found."""
    case = scratch / "case"
    shutil.rmtree(case, ignore_errors=True)
    shutil.copytree(data, case)
    shutil.copy(sub, case / "submission.csv")
    broken = cz.apply(case, c)
    before, run_before = cz.tree_hashes(case), cz.tree_hashes(run)
    problems = []
    commands = {
        "validate": (("validate", case), (0, 1)),
        "info": (("info", case), (0,)),
        "score": (("score", "--data", case, "--submission", case / "submission.csv"), (0,)),
        "predict": (("predict", "--run", run, "--data", case, "--out", scratch / "out.csv", "--overwrite"), (0,)),
    }
    if train:
        commands["train"] = (("train", "--data", case, "--out", scratch / "train_run", *TINY_TRAIN), (0,))
    for name, (args, allowed) in commands.items():
        if c.kind == "submission" and name not in ("score", "validate"):
            continue
        shutil.rmtree(scratch / "train_run", ignore_errors=True)
        outcome = cz.invoke(*args)
        why = cz.judge(outcome, broken, allowed)
        if why:
            problems.append(f"{name} {c}: {why}")
        if cz.tree_hashes(case) != before:
            problems.append(f"{name} {c}: changed its inputs")
        if cz.tree_hashes(run) != run_before:
            problems.append(f"{name} {c}: changed the run it read")
    return problems


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="fuzz examples")
    parser.add_argument("--kills", type=int, default=12, help="SIGKILLs (half train, half predict)")
    parser.add_argument("--train-every", type=int, default=10, help="also run a tiny train every N examples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="40 examples, 4 kills")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.examples, args.kills = 40, 4
    rng = random.Random(args.seed)
    import torch

    torch.set_num_threads(1)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mabe_fuzz_") as tmp:
        work = Path(tmp)
        data, run, sub = make_fixture(work)
        kinds = cz.all_corruptions()
        problems: list[str] = []
        tried: Counter = Counter()
        for i in range(args.examples):
            kind, op = kinds[rng.randrange(len(kinds))]
            c = cz.Corruption(kind, op, rng.randrange(1000), rng.random())
            tried[kind] += 1
            found = fuzz_one(data, run, sub, c, work / "scratch", train=args.train_every > 0 and i % args.train_every == 0)
            problems += found
            if found and not args.json:
                print("\n".join(found), file=sys.stderr)
        fuzz_sec = time.perf_counter() - started
        kills = survived = lost = 0
        fault_problems: list[str] = []
        for k in range(args.kills):
            what = "train" if k % 2 == 0 else "predict"
            delay = rng.uniform(1.0, 12.0) if what == "train" else rng.uniform(0.5, 6.0)
            killed, found, n_lost = fault_one(data, run, work / "fault", what, delay)
            (work / "fault").mkdir(exist_ok=True)
            kills += killed
            survived += killed and not found and n_lost == 0
            lost += n_lost
            fault_problems += found
            if found and not args.json:
                print("\n".join(found), file=sys.stderr)
    result = {
        "inputs_tried": args.examples,
        "inputs_by_kind": dict(tried),
        "fuzz_failures": len(problems),
        "fuzz_sec": round(fuzz_sec, 1),
        "kills": kills,
        "kills_survived": int(survived),
        "fault_problems": len(fault_problems),
        "files_lost": lost,
        "seed": args.seed,
        "wall_sec": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")
    return result


if __name__ == "__main__":
    main()
