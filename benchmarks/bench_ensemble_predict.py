"""Warm prediction of an ensemble run (trees + network), profiled: where the time goes.

Given a trained ensemble run (``mabe train`` without ``--config``) and a
dataset, loads the run's predictor once (:func:`mabe.workflows.predict.load_video_predictor`)
and the videos of ``--split``, predicts and decodes every video once untimed
(warm-up), then ``--repeats`` times timed, and reports

* frames per CPU second of this process (= frames/s per core, which other
  jobs on a shared machine barely change), frames/s wall, and the 1-minute
  load average before and after;
* one profiled pass (``cProfile``) split into stages by the cumulative time of
  the library functions that do them: tree features
  (:func:`mabe.features.tree_features.iter_tree_features`), LightGBM
  (:meth:`mabe.models.trees.TreeModel.predict_proba`), network features
  (:func:`mabe.training.samples.video_inputs`), the network's window pass
  (:func:`mabe.training.inference.window_probs`), fold averaging and blending
  (:mod:`mabe.workflows.blend`), decoding (:func:`mabe.decode.decode_video`);
  ``other`` is the rest of the pass.

``--compare-sharing`` also times, interleaved with the above, the same
ensemble without sharing the pair features between its fold models
(:class:`mabe.workflows.ensemble.EnsemblePredictor` called directly, as
``load_video_predictor`` did before
:func:`mabe.features.shared_pairs.shared_pair_features`), and reports both.

``--blend-both`` predicts with a copy of the run whose blend weights are
0.5 / 0.5 for every action, so both members run even when the cross-fitting
kept only one (a tiny training run usually keeps the trees alone): this
measures the cost of the default ensemble as designed, not its quality.
``--folds K`` (with ``--blend-both``) lists each member's fold models
cyclically up to K in the copy (a 2-fold run then costs what a K-fold run
costs: the default ``mabe train`` keeps 5 folds).

Run with ``python benchmarks/bench_ensemble_predict.py --run RUN --data DATA
[--split test] [--repeats 3] [--blend-both] [--json]``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from mabe import progress
from mabe.data.io import MabeDataset
from mabe.workflows.ensemble import EnsemblePredictor
from mabe.workflows.predict import decode_one, load_decode_params, load_video_predictor

STAGES = {
    "tree_features": ("tree_features.py", "iter_tree_features"),
    "lightgbm": ("models/trees.py", "predict_proba"),
    "network_features": ("samples.py", "video_inputs"),
    "network_windows": ("inference.py", "window_probs"),
    "average_blend": ("blend.py", None),
    "decode": ("intervals.py", "decode_video"),
    "load_video": ("io.py", "load_video"),
}
"""Stage -> (file name suffix, function name; ``None``: every function of the file)."""


def blend_both_copy(run: Path, into: Path, folds: int | None = None) -> Path:
    """Copy ``run`` (without its caches) with blend weights 0.5 / 0.5 for every action."""
    copy = into / "run"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("feature_cache", "oof"))
    path = copy / "ensemble.json"
    record = json.loads(path.read_text())
    names = [m["name"] for m in record["members"]]
    record["weights"] = {a: {n: 1.0 / len(names) for n in names} for a in record["weights"]}
    for member in record["members"]:
        if folds:
            member["folds"] = [member["folds"][k % len(member["folds"])] for k in range(folds)]
    path.write_text(json.dumps(record))
    return copy


def stage_seconds(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of each stage's functions (outermost calls only)."""
    out = dict.fromkeys(STAGES, 0.0)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]  # pstats keeps it untyped
    for (filename, _, function), (_, _, _, cumulative, callers) in raw.items():
        for stage, (suffix, name) in STAGES.items():
            if not filename.endswith(suffix) or name not in (None, function):
                continue
            # a recursive or nested call of the same stage is inside its caller's time
            inner = any(
                f.endswith(suffix) and (name is None or fn == name) for f, _, fn in callers
            )
            if not inner:
                out[stage] += cumulative
    return out


def run(
    run_dir: Path, data: Path, split: str, repeats: int, blend_both: bool, compare: bool = False,
    folds: int | None = None,
) -> dict[str, Any]:
    torch.set_num_threads(1)
    progress.set_enabled(False)
    with tempfile.TemporaryDirectory(prefix="bench_ens_") as tmp:
        if blend_both:
            run_dir = blend_both_copy(run_dir, Path(tmp), folds)
        predict = load_video_predictor(run_dir)
        params = load_decode_params(run_dir)
        ds = MabeDataset(data)
        videos = [ds.load_video(m) for m in ds.metas(split)]
        frames = sum(v.n_frames for v in videos)

        unshared = EnsemblePredictor(run_dir).predict if compare else None

        def once(fn: Any = predict) -> None:
            for video in videos:
                decode_one(fn(video), params)

        once()  # warm-up
        if unshared is not None:
            once(unshared)
        load_before = os.getloadavg()[0]
        cpu, wall, cpu_unshared = [], [], []
        for _ in range(max(1, repeats)):
            c0, w0 = time.process_time(), time.perf_counter()
            once()
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
            if unshared is not None:
                c0 = time.process_time()
                once(unshared)
                cpu_unshared.append(time.process_time() - c0)
        load_after = os.getloadavg()[0]
        profiler = cProfile.Profile(time.process_time)  # CPU, as the shares are of CPU time
        profiler.enable()
        p0 = time.process_time()
        once()
        total = time.process_time() - p0
        profiler.disable()
        seconds = stage_seconds(pstats.Stats(profiler))
    seconds["other"] = max(0.0, total - sum(seconds.values()))
    return {
        "split": split,
        "videos": len(videos),
        "frames": frames,
        "mice": sorted({v.meta.n_mice for v in videos}),
        "blend_both": blend_both,
        "folds": folds,
        "repeats": repeats,
        "cpu_s": [round(x, 3) for x in cpu],
        "wall_s": [round(x, 3) for x in wall],
        "frames_per_cpu_s": round(frames / statistics.median(cpu)),
        "frames_per_s_wall": round(frames / statistics.median(wall)),
        "load_1min_before_after": [load_before, load_after],
        "unshared_cpu_s": [round(x, 3) for x in cpu_unshared],
        "unshared_frames_per_cpu_s": round(frames / statistics.median(cpu_unshared)) if cpu_unshared else None,
        "profiled_cpu_s": round(total, 3),
        "stage_share": {k: round(v / total, 3) for k, v in seconds.items()},
        "stage_s": {k: round(v, 3) for k, v in seconds.items()},
    }


def headline(result: dict[str, Any]) -> dict[str, Any]:
    out = {"warm_frames_per_s_per_core": result["frames_per_cpu_s"],
           "warm_frames_per_s_wall": result["frames_per_s_wall"]}
    if result["unshared_frames_per_cpu_s"]:
        out["warm_frames_per_s_per_core_unshared"] = result["unshared_frames_per_cpu_s"]
    out.update({f"share_{k}": v for k, v in result["stage_share"].items()})
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", default="test")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--blend-both", action="store_true")
    parser.add_argument("--compare-sharing", action="store_true")
    parser.add_argument("--folds", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    result = run(args.run, args.data, args.split, args.repeats, args.blend_both, args.compare_sharing, args.folds)
    result = {"headline": headline(result), **result}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['frames']} frames in {result['videos']} videos (mice {result['mice']}), "
              f"blend both members: {result['blend_both']}")
        print(f"warm: {result['frames_per_cpu_s']:,} frames per CPU s (per core), "
              f"{result['frames_per_s_wall']:,} frames/s wall; load {result['load_1min_before_after']}")
        if result["unshared_frames_per_cpu_s"]:
            print(f"without shared pair features: {result['unshared_frames_per_cpu_s']:,} frames per CPU s")
        for stage, share in result["stage_share"].items():
            print(f"  {stage:18s} {result['stage_s'][stage]:7.3f} s  {share:6.1%}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
