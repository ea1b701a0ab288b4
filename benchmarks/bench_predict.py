"""End-to-end inference throughput: a trained run + a test split -> a submission.

Synthesizes a dataset (default 8 videos x 5 min from ``CalMS21_task1``
(2 mice, 30 fps) and ``AdaptableSnail`` (3-4 mice, 25/30 fps), half of them
in the test split), trains a tiny run (the packaged ``demo`` config with
``epochs=1`` and 512 windows, through :func:`mabe.training.fit.fit`, then
:func:`mabe.workflows.tune.tune_run` as ``mabe train`` does, so that decoding
has intervals to produce), then reports

* :func:`mabe.workflows.predict.predict_split` on the test split: median wall
  time of ``--repeats`` runs, frames/s and seconds per video-minute, and where
  that time goes, from timing wrappers put around the library functions it
  calls (``MabeDataset.load_video``, ``mabe.features.build_pair_features``,
  ``mabe.training.inference.predict_video`` (features + model),
  ``decode_video``, ``check_submission``; ``model`` = ``predict_video`` minus
  the features computed inside it);
* per test video, each stage timed on its own (medians): pair features
  (:func:`mabe.features.build_pair_features`), the model's window pass
  (:func:`mabe.training.inference.window_probs` on precomputed features,
  what :func:`mabe.training.inference.predict_video` runs after the
  features) and :func:`mabe.decode.decode_video`;
* the model's window pass with one torch thread against the default number,
  interleaved on the largest test video (a ratio > 1 means the extra threads
  cost time, as happens when other processes keep the cores busy);
* the warm in-process path on one thread (model loaded, videos read: features
  + model + decoding), as frames per CPU second of this process = frames/s
  per core, which other jobs on a shared machine barely change;
* ``mabe predict --workers N`` (a fresh process, as users run it) for 1 and 2
  workers, interleaved: frames/s, frames/s per core (frames / wall / N), CPU
  seconds of the command and its workers, the speed-up and whether both
  submissions are byte-identical.

The run is trained with the config ``mabe train`` picks without ``--config``
(``--config recommended``, the default) or a packaged one (``--config demo``).

Absolute times depend on the machine and its load (torch uses
``torch.get_num_threads()`` threads, see ``--threads``): compare the shares
and ratios measured in one run. Run with ``python benchmarks/bench_predict.py
[--quick] [--videos 8] [--minutes 5] [--labs A,B] [--repeats 3] [--threads N]
[--config recommended] [--json]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

import mabe.data.submission
import mabe.features
import mabe.training.inference as inference
import mabe.workflows.predict as predict
from mabe import progress
from mabe.config import load_config
from mabe.data.io import MabeDataset
from mabe.data.synth import synthesize
from mabe.decode import decode_video
from mabe.training.fit import fit
from mabe.training.samples import all_pairs, video_inputs
from mabe.training.windows import window_starts
from mabe.workflows.train import resolve_train_config
from mabe.workflows.tune import tune_run

DEFAULT_LABS = ("CalMS21_task1", "AdaptableSnail")
FULL = {"videos": 8, "minutes": 5.0, "repeats": 3}
QUICK = {"videos": 8, "minutes": 3.0, "repeats": 2}
TRAIN_OVERRIDES = ["epochs=1", "max_windows_per_epoch=512", "save_freq=1"]


def median_time(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> tuple[float, Any]:
    """Median wall time of ``repeats`` calls of ``fn`` (after ``warmup`` untimed ones)
    and the last call's result."""
    for _ in range(warmup):
        fn()
    times, result = [], None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# ------------------------------------------------------- timing wrappers


@contextlib.contextmanager
def timed_calls() -> Iterator[dict[str, float]]:
    """Accumulate the wall time spent in the functions ``predict_split`` calls.

    The wrappers replace module attributes that are looked up at call time
    (``predict_split`` imports ``predict_video`` / ``load_trained`` inside
    ``iter_video_probs`` and ``video_inputs`` calls
    ``mabe.features.build_pair_features``), and are removed on exit.
    """
    totals: dict[str, float] = defaultdict(float)
    targets = [
        (MabeDataset, "load_video", "load_video"),
        (mabe.features, "build_pair_features", "features"),
        (inference, "predict_video", "predict_video"),
        (inference, "load_trained", "load_trained"),
        (predict, "decode_video", "decode"),
        (mabe.data.submission, "check_submission", "check_submission"),
    ]
    originals = [(owner, attr, getattr(owner, attr)) for owner, attr, _ in targets]

    def wrap(fn: Callable, name: str) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - start

        return timed

    for (owner, attr, name), (_, _, fn) in zip(targets, originals, strict=True):
        setattr(owner, attr, wrap(fn, name))
    try:
        yield totals
    finally:
        for owner, attr, fn in originals:
            setattr(owner, attr, fn)


# ---------------------------------------------------------------- the steps


def make_data(
    root: Path, videos: int, minutes: float, labs: list[str], seed: int
) -> dict[str, Any]:
    start = time.perf_counter()
    summary = synthesize(
        root, videos, seed, labs=labs, minutes=minutes, test_fraction=0.5, progress=False
    )
    return {
        "videos": dict(summary.videos),
        "frames": dict(summary.frames),
        "labs": list(summary.labs),
        "minutes_per_video": minutes,
        "synth_s": round(time.perf_counter() - start, 2),
    }


def train_tiny(data: Path, run: Path, config_name: str = "recommended") -> dict[str, Any]:
    """A config (default: what ``mabe train`` picks without ``--config``) for one epoch, then
    decoding tuned on the validation videos (as ``mabe train`` does: an untuned, barely
    trained model may decode to nothing)."""
    if config_name == "recommended":

        config = resolve_train_config(data, run, None, TRAIN_OVERRIDES)
    else:
        config = load_config(config_name, TRAIN_OVERRIDES, data_dir=data, out=run)
    start = time.perf_counter()
    summary = fit(config, run, progress_bar=False)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    tuned = tune_run(run, data)
    return {
        "config": config_name,
        "model_type_config": config.model_type,
        "sequence_length": config.sequence_length,
        "inference_stride": config.inference_stride,
        "overrides": TRAIN_OVERRIDES,
        "model_type": summary["model_type"],
        "parameters": summary["parameters"],
        "label_scheme": summary["label_scheme"],
        "fit_s": round(fit_s, 1),
        "tune_s": round(time.perf_counter() - start, 1),
        "tuned_on_videos": tuned.n_videos,
        "val_score_default_decoding": round(tuned.default_score, 4),
        "val_score_tuned_decoding": round(tuned.tuned_score, 4),
    }


def time_predict_split(run: Path, data: Path, repeats: int) -> dict[str, Any]:
    """Wall time of ``predict_split`` and of each instrumented part, from the median run.

    (With an even number of runs, the faster of the two middle ones.)
    """
    walls: list[float] = []
    parts: list[dict[str, float]] = []
    rows = 0
    for _ in range(repeats):
        with timed_calls() as totals:
            start = time.perf_counter()
            table = predict.predict_split(run, data, "test")
            wall = time.perf_counter() - start
        walls.append(wall)
        rows = len(table)
        model = totals["predict_video"] - totals["features"]
        split = {
            "load_trained": totals["load_trained"],
            "load_video": totals["load_video"],
            "features": totals["features"],
            "model": model,
            "decode": totals["decode"],
            "check_submission": totals["check_submission"],
        }
        split["other"] = wall - sum(split.values())
        parts.append(split)
    middle = sorted(range(len(walls)), key=walls.__getitem__)[(len(walls) - 1) // 2]
    wall, median_parts = walls[middle], parts[middle]
    return {
        "wall_s": round(wall, 3),
        "wall_s_all": [round(w, 3) for w in walls],
        "submission_rows": rows,
        "parts_s": {k: round(v, 3) for k, v in median_parts.items()},
        "parts_share": {k: round(v / wall, 3) for k, v in median_parts.items()},
    }


def time_stages(run: Path, data: Path, repeats: int) -> list[dict[str, Any]]:
    """Each stage on its own, per test video (medians; no warm-up: ``predict_split`` ran before)."""
    model, config, run_info = inference.load_trained(run, "best")
    params = predict.load_decode_params(run)
    ds = MabeDataset(data)
    input_dim = int(run_info["input_dim"])
    rows = []
    for meta in ds.metas("test"):
        if not meta.behaviors_labeled:
            continue
        video = ds.load_video(meta)
        pairs = all_pairs(video)
        t_feat, _ = median_time(
            lambda video=video, pairs=pairs: mabe.features.build_pair_features(
                video.pose, video.meta, pairs
            ),
            repeats,
            0,
        )
        feats, grid, pairs = video_inputs(video, config, input_dim)
        length = config.sequence_length
        starts = window_starts(len(grid), length, config.inference_stride)
        with torch.no_grad():
            t_model, _ = median_time(
                lambda feats=feats, starts=starts, length=length: inference.window_probs(
                    model, list(feats), starts, length, config.batch_size, config.is_seed4
                ),
                repeats,
                0,
            )
        prediction = inference.predict_video(model, config, run_info, video)
        vp = predict.to_video_probs(meta, prediction, getattr(config, "seed4_groups", None))
        t_decode, intervals = median_time(
            lambda vp=vp: decode_video(
                vp.probs, vp.pairs, vp.actions, vp.whitelist, params, vp.lab_id, vp.video_id
            ),
            repeats,
            0,
        )
        n_frames = video.n_frames
        video_minutes = n_frames / meta.fps / 60.0
        rows.append(
            {
                "video": f"{meta.lab_id}/{meta.video_id}",
                "fps": meta.fps,
                "frames": n_frames,
                "grid_points": int(len(grid)),
                "pairs": len(pairs),
                "actions": len(vp.actions),
                "windows": int(len(starts) * len(pairs)),
                "features_s": round(t_feat, 4),
                "model_s": round(t_model, 4),
                "decode_s": round(t_decode, 4),
                "intervals": len(intervals),
                "features_frames_per_s": round(n_frames / t_feat),
                "model_frames_per_s": round(n_frames / t_model),
                "decode_frames_per_s": round(n_frames / t_decode),
                "features_s_per_video_minute": round(t_feat / video_minutes, 4),
                "model_s_per_video_minute": round(t_model / video_minutes, 4),
                "decode_s_per_video_minute": round(t_decode / video_minutes, 4),
                "model_s_per_pair_minute": round(t_model / video_minutes / max(1, len(pairs)), 4),
            }
        )
    return rows


def time_threads(run: Path, data: Path, repeats: int) -> dict[str, Any]:
    """The model's window pass with 1 torch thread vs the default, interleaved (medians).

    On a machine whose cores are busy with other work, OpenMP worker threads
    that spin while waiting can make the multi-threaded pass many times slower.
    """
    model, config, run_info = inference.load_trained(run, "best")
    ds = MabeDataset(data)
    metas = [m for m in ds.metas("test") if m.behaviors_labeled]
    video = max((ds.load_video(m) for m in metas), key=lambda v: v.pose.n_mice * v.n_frames)
    feats, grid, _ = video_inputs(video, config, int(run_info["input_dim"]))
    length = config.sequence_length
    starts = window_starts(len(grid), length, config.inference_stride)
    default = torch.get_num_threads()
    times: dict[int, list[float]] = {1: [], default: []}
    try:
        for _ in range(max(3, repeats)):
            for threads in times:
                torch.set_num_threads(threads)
                start = time.perf_counter()
                inference.window_probs(
                    model, list(feats), starts, length, config.batch_size, config.is_seed4
                )
                times[threads].append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(default)
    one, many = statistics.median(times[1]), statistics.median(times[default])
    return {
        "video": f"{video.meta.lab_id}/{video.meta.video_id}",
        "default_threads": default,
        "one_thread_s": round(one, 4),
        "default_threads_s": round(many, 4),
        "default_over_one_thread_ratio": round(many / one, 2),
        "all_s": {str(k): [round(t, 3) for t in v] for k, v in times.items()},
    }


def _cpu_seconds() -> tuple[float, float]:
    """(this process, its waited-for children) user + system CPU seconds."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def time_warm(run: Path, data: Path, repeats: int) -> dict[str, Any]:
    """The warm in-process path on one thread: model loaded and videos read once, then per video
    features + model + decoding. frames/s per core = frames / CPU seconds of this process
    (robust to other jobs on the machine); wall-clock frames/s alongside."""
    model, config, run_info = inference.load_trained(run, "best")
    params = predict.load_decode_params(run)
    ds = MabeDataset(data)
    videos = [ds.load_video(m) for m in ds.metas("test") if m.behaviors_labeled]
    frames = sum(v.n_frames for v in videos)
    before = torch.get_num_threads()
    torch.set_num_threads(1)

    def once() -> None:
        for video in videos:
            prediction = inference.predict_video(model, config, run_info, video)
            vp = predict.to_video_probs(video.meta, prediction, getattr(config, "seed4_groups", None))
            decode_video(vp.probs, vp.pairs, vp.actions, vp.whitelist, params, vp.lab_id, vp.video_id)

    try:
        once()  # warm-up
        walls, cpus = [], []
        for _ in range(max(1, repeats)):
            cpu0, start = time.process_time(), time.perf_counter()
            once()
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu0)
    finally:
        torch.set_num_threads(before)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    pair_frames = sum(v.n_frames * len(all_pairs(v)) for v in videos)
    return {
        "videos": len(videos),
        "frames": frames,
        "pair_frames": pair_frames,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "frames_per_s_wall": round(frames / wall),
        "frames_per_s_per_core": round(frames / cpu),
        "pair_frames_per_s_per_core": round(pair_frames / cpu),
    }


def model_flops(run: Path) -> dict[str, Any]:
    """Multiply-adds of one window of the trained network (counted with torch's FLOP counter),
    per grid point, and how many grid points one video frame costs with overlapping windows."""
    from torch.utils.flop_counter import FlopCounterMode

    model, config, run_info = inference.load_trained(run, "best")
    x = torch.zeros(1, config.sequence_length, int(run_info["input_dim"]))
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(x)
    counted = counter.get_total_flops() / config.sequence_length
    lstm = 0  # torch's counter has no formula for LSTMs: 4 gates x (input + hidden) x hidden MACs
    for module in model.modules():
        if isinstance(module, torch.nn.LSTM):
            dirs = 2 if module.bidirectional else 1
            for layer in range(module.num_layers):
                width = module.input_size if layer == 0 else module.hidden_size * dirs
                lstm += 2 * 4 * module.hidden_size * (width + module.hidden_size) * dirs
    overlap = config.sequence_length / config.inference_stride
    return {
        "flops_per_pair_grid_point_counted": round(counted),
        "lstm_flops_per_pair_grid_point": lstm,
        "flops_per_pair_grid_point": round(counted + lstm),
        "overlap_factor": round(overlap, 2),
        "flops_per_pair_frame_with_overlap": round((counted + lstm) * overlap),
    }


def time_workers(run: Path, data: Path, repeats: int, worker_counts: Sequence[int]) -> dict[str, Any]:
    """``mabe predict --workers N`` in a fresh process for each N, interleaved (medians): wall
    time, CPU time of the command and its workers, frames/s, frames/s per core (frames / wall /
    N), the speed-up over the first N and whether the submissions are byte-identical. Each run
    is what a user gets: start-up, model loading, workers spawned."""

    ds = MabeDataset(data)
    frames = sum(ds.load_pose(m).n_frames for m in ds.metas("test") if m.behaviors_labeled)
    walls: dict[int, list[float]] = {n: [] for n in worker_counts}
    cpus: dict[int, list[float]] = {n: [] for n in worker_counts}
    outputs: dict[int, bytes] = {}
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory(prefix="bench_workers_") as tmp:
        for _ in range(max(1, repeats)):
            for n in worker_counts:
                out = Path(tmp) / f"sub{n}.csv"
                argv = [sys.executable, "-m", "mabe", "-q", "predict", "--run", str(run), "--data",
                        str(data), "--out", str(out), "--overwrite", "--workers", str(n)]
                kids0, start = _cpu_seconds()[1], time.perf_counter()
                subprocess.run(argv, env=env, check=True, capture_output=True)
                walls[n].append(time.perf_counter() - start)
                cpus[n].append(_cpu_seconds()[1] - kids0)
                outputs[n] = out.read_bytes()
    first = worker_counts[0]
    result: dict[str, Any] = {"frames": frames}
    for n in worker_counts:
        wall = statistics.median(walls[n])
        result[f"workers_{n}"] = {
            "wall_s": round(wall, 3),
            "wall_s_all": [round(w, 3) for w in walls[n]],
            "cpu_s": round(statistics.median(cpus[n]), 3),
            "frames_per_s": round(frames / wall),
            "frames_per_s_per_core": round(frames / wall / n),
            "frames_per_cpu_s": round(frames / statistics.median(cpus[n])),
            "speedup_over_first": round(statistics.median(walls[first]) / wall, 2),
            "same_submission_as_first": outputs[n] == outputs[first],
        }
    return result


def run(
    videos: int,
    minutes: float,
    labs: list[str],
    repeats: int,
    seed: int = 0,
    keep: Path | None = None,
    config_name: str = "recommended",
) -> dict[str, Any]:
    """Synthesize, train, measure; everything is deleted afterwards unless ``keep`` is given."""
    progress.set_enabled(False)
    tmp = Path(tempfile.mkdtemp(prefix="bench_predict_")) if keep is None else None
    root = keep if keep is not None else tmp
    data, run_dir = root / "data", root / "run"
    result: dict[str, Any] = {
        "torch_threads": torch.get_num_threads(),
        "repeats": repeats,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        result["dataset"] = make_data(data, videos, minutes, labs, seed)
        result["training"] = train_tiny(data, run_dir, config_name)
        split = time_predict_split(run_dir, data, repeats)
        stages = time_stages(run_dir, data, repeats)  # one row per predicted (labelled) test video
        frames = sum(r["frames"] for r in stages)
        test_minutes = sum(r["frames"] / r["fps"] for r in stages) / 60.0
        split["videos"] = len(stages)
        split["frames"] = frames
        split["video_minutes"] = round(test_minutes, 2)
        split["frames_per_s"] = round(frames / split["wall_s"])
        split["s_per_video_minute"] = round(split["wall_s"] / test_minutes, 4)
        result["predict_split"] = split
        result["per_video"] = stages
        total = {k: sum(r[k] for r in stages) for k in ("features_s", "model_s", "decode_s")}
        result["threads"] = time_threads(run_dir, data, repeats)
        result["warm"] = time_warm(run_dir, data, repeats)
        result["model_flops"] = model_flops(run_dir)
        result["workers"] = time_workers(run_dir, data, repeats, (1, 2))
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        result["stages"] = {
            k.removesuffix("_s"): {
                "frames_per_s": round(frames / t),
                "s_per_video_minute": round(t / test_minutes, 4),
                "share_of_three": round(t / sum(total.values()), 3),
            }
            for k, t in total.items()
        }
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def headline(result: dict[str, Any]) -> dict[str, Any]:
    split = result["predict_split"]
    share = split["parts_share"]
    workers = result["workers"]
    return {
        "warm_frames_per_s_per_core": result["warm"]["frames_per_s_per_core"],
        "warm_pair_frames_per_s_per_core": result["warm"]["pair_frames_per_s_per_core"],
        "warm_frames_per_s_wall": result["warm"]["frames_per_s_wall"],
        "model_gflop_per_s_per_core": round(
            result["warm"]["pair_frames_per_s_per_core"]
            * result["model_flops"]["flops_per_pair_frame_with_overlap"] / 1e9, 1
        ),
        "workers_1_frames_per_s_per_core": workers["workers_1"]["frames_per_s_per_core"],
        "workers_2_frames_per_s_per_core": workers["workers_2"]["frames_per_s_per_core"],
        "workers_2_speedup": workers["workers_2"]["speedup_over_first"],
        "workers_same_submission": workers["workers_2"]["same_submission_as_first"],
        "predict_split_frames_per_s": split["frames_per_s"],
        "predict_split_s_per_video_minute": split["s_per_video_minute"],
        "share_features": share["features"],
        "share_model": share["model"],
        "share_decode": share["decode"],
        "share_load_video": share["load_video"],
        "model_default_over_one_thread": result["threads"]["default_over_one_thread_ratio"],
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 videos x 3 min, 2 repeats")
    parser.add_argument("--videos", type=int, default=None)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--labs", default=",".join(DEFAULT_LABS), help="comma-separated lab ids")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch)")
    parser.add_argument("--keep", type=Path, default=None, help="write data and run here; keep")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--config", default="recommended", help="'recommended' (mabe train's default) or a packaged name"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the result, and return it."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = QUICK if args.quick else FULL
    result = run(
        videos=args.videos or sizes["videos"],
        minutes=args.minutes or sizes["minutes"],
        labs=[name.strip() for name in args.labs.split(",") if name.strip()],
        repeats=args.repeats or sizes["repeats"],
        seed=args.seed,
        keep=args.keep,
        config_name=args.config,
    )
    result = {"headline": headline(result), **result}
    if args.json:
        print(json.dumps(result, indent=2))
        return result

    print(pd.DataFrame(result["per_video"]).set_index("video").T.to_string())
    for key, value in result.items():
        if key not in ("per_video", "headline"):
            print(f"{key:16s} {value}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
