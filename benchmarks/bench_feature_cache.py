"""Cost of preparing the network's training videos twice (two folds, a resumed run, two members).

One scenario per process: ``prepare`` the training data twice over the same
run directory (so the second preparation can use its feature cache), each
followed by one pass over the training windows in a random order (what an epoch reads), and
report per preparation: samples built while preparing, samples built during
the pass (an evicted video recomputed), wall seconds; and the process's peak
RSS. Works on any mabe source tree that has ``mabe.training.prepare.prepare``
(run it with ``PYTHONPATH=<tree>/src`` to compare versions).

Run with ``python benchmarks/bench_feature_cache.py --data DIR [--set key=value ...] [--windows N] [--json]``
(``mabe synth --out DIR --videos 12 --minutes 2`` makes a dataset).
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from mabe.progress import set_enabled
from mabe.training.datamodule import WindowDataset, window_index
from mabe.training.prepare import prepare
from mabe.workflows.recommend import recommended_config


def _count_builds() -> dict[str, int]:
    """Count calls of ``build_sample`` wherever the loader of this source tree calls it."""
    counter = {"n": 0}
    for name in ("mabe.training.sample_store", "mabe.training.prepare"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        original = getattr(module, "build_sample", None)
        if original is None:
            continue

        def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            counter["n"] += 1
            return _original(*args, **kwargs)

        module.build_sample = counted  # type: ignore[attr-defined]  # benchmark instrumentation
    return counter


def one_pass(store: Any, config: Any, n_actions: int, limit: int | None) -> int:
    """Read the training windows once in a seeded random order, as an epoch does (at most ``limit``).

    Returns the number of windows read.
    """
    index = window_index(store, config.sequence_length, config.train_stride, config.is_seed4)
    dataset = WindowDataset(store, index, config.sequence_length, n_actions)
    order = np.random.default_rng(0).permutation(len(dataset))[:limit]
    for k in order:
        dataset[int(k)]
    return len(order)


def main() -> None:
    """Run the scenario and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--windows", type=int, default=None, help="At most this many windows per pass.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    set_enabled(False)
    counter = _count_builds()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        config = recommended_config(args.data, ["val_fraction=0"] + args.overrides)
        config = config.model_copy(update={"run_dir": str(Path(tmp) / "run")})
        for _ in range(2):
            start, before = time.perf_counter(), counter["n"]
            prepared = prepare(config)
            built = counter["n"] - before
            windows = one_pass(prepared.train_store, prepared.config, len(prepared.actions), args.windows)
            runs.append({
                "built_preparing": built,
                "built_in_pass": counter["n"] - before - built,
                "windows": windows,
                "seconds": round(time.perf_counter() - start, 3),
            })
    result = {
        "videos": len(prepared.train_metas),
        "runs": runs,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.exit(main())
