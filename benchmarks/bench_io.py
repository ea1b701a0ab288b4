"""Speed and memory of the data layer (:mod:`mabe.data.io`, :mod:`mabe.data.validate`).

Synthesizes a dataset of long videos (default 4 videos x 30 min, labs
``AdaptableSnail`` (3-4 mice, 25/30 fps, up to 18 body parts) and
``CalMS21_task1`` (2 mice, 30 fps, 7 body parts)) into a temporary directory
(or reads ``--data DIR``) and reports

* per video: :meth:`MabeDataset.load_pose` (parquet read + checks + dense
  conversion), median of ``--repeats`` runs, as seconds and frames/s, split
  into its three steps (:func:`mabe.data.checks.read_parquet_file`,
  :func:`mabe.data.checks.tracking_value_problems`,
  :func:`mabe.data.dense.tracking_to_dense`);
* :func:`mabe.data.validate.validate_dataset` on the whole dataset (median);
* resident memory (``VmRSS`` of ``/proc/self/status``) after each video of
  three passes of :meth:`MabeDataset.iter_videos` over every split. With one
  video in memory at a time each pass's maximum stays in the same band
  (``rss_max_per_pass_mb``): allocator caching moves single readings by tens
  to a few hundred MB, a leak would add the videos' size every pass. Also the
  peak (``VmHWM``, reset through ``/proc/self/clear_refs`` when the kernel
  allows it) above the starting RSS. Then one pass under :mod:`tracemalloc`
  (plus pyarrow's pool) gives the memory still held after each video is
  dropped (~0 whatever the allocators cache) and each load's transient peak
  as a multiple of the pose array it returns;
* :func:`mabe.data.dense.tracking_to_dense` against a naive
  ``DataFrame.pivot_table`` densification of the same rows (largest video,
  median of ``--repeats``; results checked equal), as a ratio.

Absolute times depend on the machine and its load: compare ratios measured in
one run. Run with ``python benchmarks/bench_io.py [--quick] [--videos 4]
[--minutes 30] [--labs A,B] [--repeats 3] [--data DIR] [--json]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mabe.data.checks import read_parquet_file, tracking_value_problems
from mabe.data.dense import body_part_order, tracking_to_dense
from mabe.data.io import MabeDataset, read_pose, read_tracking
from mabe.data.synth import synthesize
from mabe.data.validate import validate_dataset

DEFAULT_LABS = ("AdaptableSnail", "CalMS21_task1")
FULL = {"videos": 4, "minutes": 30.0, "repeats": 3}
QUICK = {"videos": 2, "minutes": 10.0, "repeats": 2}


# ----------------------------------------------------------------- measuring


def proc_status_mb(field: str) -> float | None:
    """A ``kB`` field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in MB; ``None`` off Linux."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


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


# --------------------------------------------------------- the naive reference


def naive_dense(
    df: pd.DataFrame, body_parts: Sequence[str] | None, n_mice: int | None
) -> np.ndarray:
    """What one would write first: ``pivot_table`` to wide, ``reindex``, reshape.

    Same output as ``tracking_to_dense(df, body_parts, n_mice).coords``.
    """
    names = body_part_order(body_parts, [str(n) for n in pd.unique(df["bodypart"])])
    n_frames = int(df["video_frame"].max()) + 1
    n_slots = max(int(n_mice or 1), int(df["mouse_id"].max()))
    wide = df.pivot_table(index="video_frame", columns=["mouse_id", "bodypart"], values=["x", "y"])
    columns = pd.MultiIndex.from_product([["x", "y"], range(1, n_slots + 1), names])
    wide = wide.reindex(index=range(n_frames), columns=columns)
    values = wide.to_numpy(dtype=np.float32).reshape(n_frames, 2, n_slots, len(names))
    return np.ascontiguousarray(values.transpose(0, 2, 3, 1))


# ------------------------------------------------------------------ the steps


def interleaved(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median wall time of each function, run in turn ``repeats`` times (after one warm-up round).

    Interleaving spreads a change in the machine's load over every function
    alike, so the ratios between them stay meaningful on a shared machine.
    """
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, repeats)):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def pandas_load(path: Path, body_parts: Sequence[str], n_mice: int) -> Any:
    """The checked pandas path (what ``load_pose`` did before streaming; still its fallback)."""
    return tracking_to_dense(read_tracking(path), body_parts=body_parts, n_mice=n_mice)


def time_videos(ds: MabeDataset, repeats: int) -> list[dict[str, Any]]:
    """Per video: raw ``pyarrow.parquet.read_table`` vs ``load_pose`` vs the pandas path
    (interleaved medians), and the careful path's steps (read, value checks, dense)."""
    rows = []
    for split in ds.splits():
        for meta in ds.metas(split):
            path = ds.tracking_path(meta)
            t = interleaved(
                {
                    "raw_read": lambda path=path: pq.read_table(path),
                    "load_pose": lambda meta=meta: ds.load_pose(meta),
                    "pandas_path": lambda path=path, meta=meta: pandas_load(
                        path, meta.body_parts, meta.n_mice
                    ),
                },
                repeats,
            )
            pose = ds.load_pose(meta)
            t_read, checked = median_time(lambda path=path: read_parquet_file(path), repeats)
            frame = checked.frame
            t_check, problems = median_time(
                lambda frame=frame: tracking_value_problems(frame), repeats
            )
            assert not problems, problems
            n_frames = pose.n_frames
            rows.append(
                {
                    "video": f"{split}/{meta.lab_id}/{meta.video_id}",
                    "fps": meta.fps,
                    "mice": int(pose.coords.shape[1]),
                    "body_parts": len(pose.body_parts),
                    "frames": n_frames,
                    "rows": len(frame),
                    "file_mb": round(path.stat().st_size / 1e6, 2),
                    "pose_mb": round(pose.coords.nbytes / 1e6, 1),
                    "raw_read_s": round(t["raw_read"], 4),
                    "load_pose_s": round(t["load_pose"], 4),
                    "pandas_path_s": round(t["pandas_path"], 4),
                    "load_pose_over_raw_read": round(t["load_pose"] / t["raw_read"], 2),
                    "pandas_path_over_raw_read": round(t["pandas_path"] / t["raw_read"], 2),
                    "load_pose_frames_per_s": round(n_frames / t["load_pose"]),
                    "load_pose_rows_per_s": round(len(frame) / t["load_pose"]),
                    "careful_read_parquet_s": round(t_read, 4),
                    "careful_check_values_s": round(t_check, 4),
                }
            )
            del pose, checked, frame
            gc.collect()
    return rows


# ------------------------------------------------- peak memory, fresh process


def _child_measure(method: str, path: str, body_parts: list[str], n_mice: int) -> dict[str, Any]:
    """In a fresh interpreter: peak RSS growth of one load and what stays after it."""


    load = {
        "raw_read": lambda: pq.read_table(path),
        "load_pose": lambda: read_pose(path, body_parts=body_parts, n_mice=n_mice).coords,
        "pandas_pivot": lambda: naive_dense(pd.read_parquet(path), body_parts, n_mice),
    }[method]
    gc.collect()
    start = proc_status_mb("VmRSS") or 0.0
    reset_peak_rss()
    first = load()  # warm-up: one-time costs (code pages, allocator arenas) are not the load's memory
    peak_first = (proc_status_mb("VmHWM") or 0.0) - start
    del first
    gc.collect()
    base = proc_status_mb("VmRSS") or 0.0
    reset = reset_peak_rss()
    table = load()
    result_mb = table.nbytes / 2**20
    peak = (proc_status_mb("VmHWM") or 0.0) - base
    del table
    gc.collect()
    held = (proc_status_mb("VmRSS") or 0.0) - base
    return {
        "peak_growth_mb": round(peak, 1),
        "held_after_mb": round(held, 1),
        "held_after_first_load_mb": round(base - start, 1),
        "peak_growth_first_load_mb": round(peak_first, 1),
        "result_mb": round(result_mb, 1),
        "peak_reset": reset,
        "arrow_bytes_after": pa.total_allocated_bytes(),
    }


def peak_memory(path: Path, body_parts: Sequence[str], n_mice: int, repeats: int) -> dict[str, Any]:
    """Peak RSS growth of raw read / ``load_pose`` / pandas + pivot, each load in its own
    fresh process (so no allocator cache from earlier work hides or inflates it), interleaved."""

    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in ("raw_read", "load_pose", "pandas_pivot")}
    for _ in range(max(1, repeats)):
        for method in runs:
            args = [sys.executable, str(Path(__file__).resolve()), "--child", method, str(path),
                    json.dumps(list(body_parts)), str(n_mice)]
            out = subprocess.run(args, capture_output=True, text=True, check=True)
            runs[method].append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        method: {
            "peak_growth_mb": statistics.median(r["peak_growth_mb"] for r in rs),
            "held_after_mb": statistics.median(r["held_after_mb"] for r in rs),
            "held_after_first_load_mb": statistics.median(r["held_after_first_load_mb"] for r in rs),
            "peak_growth_first_load_mb": statistics.median(r["peak_growth_first_load_mb"] for r in rs),
            "peak_reset": all(r["peak_reset"] for r in rs),
        }
        for method, rs in runs.items()
    }


INGEST_MINUTES = 30.0
"""Length of the video the ingest table is measured on (as in issue 12)."""


def ingest(ds: MabeDataset, repeats: int, minutes: float = INGEST_MINUTES) -> dict[str, Any]:
    """The issue-12 table: time and peak-RSS ratios in one run, on the largest video if it is at
    least ``minutes`` long, else on one such ``AdaptableSnail`` video synthesized for it."""
    metas = [m for split in ds.splits() for m in ds.metas(split)]
    meta = max(metas, key=lambda m: ds.tracking_path(m).stat().st_size)
    if ds.load_pose(meta).n_frames < minutes * 60 * meta.fps * 0.99:
        tmp = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
        try:
            synthesize(tmp / "data", 1, 1, labs=["AdaptableSnail"], minutes=minutes,
                       test_fraction=0.0, progress=False)
            return ingest(MabeDataset(tmp / "data"), repeats, minutes)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    path = ds.tracking_path(meta)
    dense_mb = ds.load_pose(meta).coords.nbytes / 2**20
    times = interleaved(
        {
            "raw_read": lambda: pq.read_table(path),
            "load_pose": lambda: ds.load_pose(meta),
            "pandas_pivot": lambda: naive_dense(pd.read_parquet(path), meta.body_parts, meta.n_mice),
        },
        repeats,
    )
    memory = peak_memory(path, meta.body_parts, meta.n_mice, repeats)
    raw = times["raw_read"]
    return {
        "video": f"{meta.split}/{meta.lab_id}/{meta.video_id}",
        "minutes": round(ds.load_pose(meta).n_frames / meta.fps / 60, 1),
        "shape": list(ds.load_pose(meta).coords.shape),
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "dense_mib": round(dense_mb, 1),
        "rows": pq.ParquetFile(path).metadata.num_rows,
        "table": {
            name: {
                "time_s": round(t, 4),
                "time_over_raw_read": round(t / raw, 2),
                "peak_rss_growth_over_dense": round(memory[name]["peak_growth_mb"] / dense_mb, 2),
                "rss_held_after_mib": memory[name]["held_after_mb"],
                "rss_held_after_first_load_mib": memory[name]["held_after_first_load_mb"],
                "first_load_peak_rss_growth_over_dense": round(
                    memory[name]["peak_growth_first_load_mb"] / dense_mb, 2
                ),
            }
            for name, t in times.items()
        },
        "peak_rss_measured": all(m["peak_reset"] for m in memory.values()),
    }


def rss_passes(ds: MabeDataset, passes: int = 3) -> dict[str, Any]:
    """VmRSS after each video of ``passes`` iterations over every split.

    The allocators (glibc malloc with its adaptive mmap threshold, pyarrow's
    mimalloc pool) keep freed memory for reuse and return it to the system at
    their own pace, so RSS after a video moves within a band rather than
    along a line; a leak would lift every pass's maximum by the videos' size.
    """
    gc.collect()
    before = proc_status_mb("VmRSS")
    peak_reset = reset_peak_rss()
    per_pass: list[list[float]] = []
    for _ in range(max(2, passes)):
        after = []
        for split in ds.splits():
            for video in ds.iter_videos(split, progress=False):
                after.append(round(proc_status_mb("VmRSS") or float("nan"), 1))
                del video
        per_pass.append(after)
    peak = proc_status_mb("VmHWM")
    out: dict[str, Any] = {
        "rss_before_mb": round(before or float("nan"), 1),
        "rss_after_each_video_mb": per_pass,
        "rss_max_per_pass_mb": [max(p) for p in per_pass],
        "rss_min_per_pass_mb": [min(p) for p in per_pass],
    }
    if peak_reset and peak is not None and before is not None:
        out["peak_rss_above_start_mb"] = round(peak - before, 1)
    out |= traced_pass(ds)
    return out


def traced_pass(ds: MabeDataset) -> dict[str, Any]:
    """One more pass under :mod:`tracemalloc` (numpy and pandas buffers are traced)
    plus pyarrow's pool: memory still held after each video is dropped (a leak
    indicator that allocator caching cannot blur) and each load's transient peak."""

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0] + pa.total_allocated_bytes()
        held, peaks, ratios = [], [], []
        for split in ds.splits():
            for meta in ds.metas(split):
                tracemalloc.reset_peak()
                video = ds.load_video(meta)
                peak = tracemalloc.get_traced_memory()[1] - base
                pose_bytes = video.pose.coords.nbytes
                del video
                gc.collect()
                now = tracemalloc.get_traced_memory()[0] + pa.total_allocated_bytes()
                held.append(round((now - base) / 1e6, 2))
                peaks.append(round(peak / 1e6, 1))
                ratios.append(round(peak / pose_bytes, 1))
    finally:
        tracemalloc.stop()
    return {
        "traced_held_after_each_video_mb": held,
        "traced_peak_per_load_mb": peaks,
        "traced_peak_over_pose_size": ratios,
    }


def dense_vs_pivot(ds: MabeDataset, repeats: int) -> dict[str, Any]:
    """``tracking_to_dense`` vs ``naive_dense`` on the video with the most rows."""
    metas = [m for split in ds.splits() for m in ds.metas(split)]
    sizes = [ds.tracking_path(m).stat().st_size for m in metas]
    meta = metas[int(np.argmax(sizes))]
    frame = read_parquet_file(ds.tracking_path(meta)).frame
    t_dense, pose = median_time(
        lambda: tracking_to_dense(frame, body_parts=meta.body_parts, n_mice=meta.n_mice), repeats
    )
    t_naive, naive = median_time(lambda: naive_dense(frame, meta.body_parts, meta.n_mice), repeats)
    same = naive.shape == pose.coords.shape and bool(
        np.array_equal(naive, pose.coords, equal_nan=True)
    )
    return {
        "video": f"{meta.split}/{meta.lab_id}/{meta.video_id}",
        "rows": len(frame),
        "tracking_to_dense_s": round(t_dense, 4),
        "pivot_table_s": round(t_naive, 4),
        "pivot_over_dense_ratio": round(t_naive / t_dense, 1),
        "identical_output": same,
    }


def run(
    videos: int,
    minutes: float,
    labs: list[str],
    repeats: int,
    seed: int = 0,
    data: Path | None = None,
) -> dict[str, Any]:
    """Synthesize (unless ``data`` is given), measure, delete what was synthesized."""
    tmp = None
    result: dict[str, Any] = {}
    try:
        if data is None:
            tmp = Path(tempfile.mkdtemp(prefix="bench_io_"))
            data = tmp / "data"
            start = time.perf_counter()
            synthesize(data, videos, seed, labs=labs, minutes=minutes, progress=False)
            result["synth_s"] = round(time.perf_counter() - start, 2)
        ds = MabeDataset(data)
        n_videos = sum(len(ds.metas(s)) for s in ds.splits())
        files = [p for p in data.rglob("*") if p.is_file()]
        result["dataset"] = {
            "videos": n_videos,
            "minutes_per_video": minutes if tmp is not None else None,
            "labs": sorted({m.lab_id for s in ds.splits() for m in ds.metas(s)}),
            "size_mb": round(sum(p.stat().st_size for p in files) / 1e6, 1),
        }
        result["repeats"] = repeats
        result["memory"] = rss_passes(ds)  # first, before timing loops grow the allocator
        per_video = time_videos(ds, repeats)
        result["per_video"] = per_video
        frames = sum(v["frames"] for v in per_video)
        load_times = [v["load_pose_s"] for v in per_video]
        result["load_pose_median_s"] = round(statistics.median(load_times), 4)
        result["load_pose_median_frames_per_s"] = round(
            statistics.median(v["load_pose_frames_per_s"] for v in per_video)
        )
        result["load_pose_total_frames_per_s"] = round(frames / sum(load_times))
        result["load_pose_over_raw_read_median"] = round(
            statistics.median(v["load_pose_over_raw_read"] for v in per_video), 2
        )
        result["ingest"] = ingest(ds, repeats)
        t_validate, problems = median_time(lambda: validate_dataset(data, progress=False), repeats)
        result["validate_dataset_s"] = round(t_validate, 3)
        result["validate_frames_per_s"] = round(frames / t_validate)
        result["validate_problems"] = len(problems)
        result["validate_over_load_pose_ratio"] = round(
            t_validate / sum(v["load_pose_s"] for v in per_video), 2
        )
        result["dense_vs_pivot"] = dense_vs_pivot(ds, repeats)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The few numbers worth a summary line."""
    mem = result["memory"]
    dvp = result["dense_vs_pivot"]
    table = result["ingest"]["table"]
    return {
        "ingest_load_pose_over_raw_read": table["load_pose"]["time_over_raw_read"],
        "ingest_pivot_over_raw_read": table["pandas_pivot"]["time_over_raw_read"],
        "ingest_peak_rss_over_dense_raw_read": table["raw_read"]["peak_rss_growth_over_dense"],
        "ingest_peak_rss_over_dense_load_pose": table["load_pose"]["peak_rss_growth_over_dense"],
        "ingest_peak_rss_over_dense_pivot": table["pandas_pivot"]["peak_rss_growth_over_dense"],
        "ingest_rss_held_after_load_pose_mib": table["load_pose"]["rss_held_after_mib"],
        "ingest_first_load_peak_over_dense_raw_read": table["raw_read"]["first_load_peak_rss_growth_over_dense"],
        "ingest_first_load_peak_over_dense_load_pose": table["load_pose"]["first_load_peak_rss_growth_over_dense"],
        "ingest_first_load_peak_over_dense_pivot": table["pandas_pivot"]["first_load_peak_rss_growth_over_dense"],
        "load_pose_median_s": result["load_pose_median_s"],
        "load_pose_median_frames_per_s": result["load_pose_median_frames_per_s"],
        "validate_frames_per_s": result["validate_frames_per_s"],
        "rss_max_per_pass_mb": mem["rss_max_per_pass_mb"],
        "peak_rss_above_start_mb": mem.get("peak_rss_above_start_mb"),
        "traced_held_after_last_video_mb": mem["traced_held_after_each_video_mb"][-1],
        "load_peak_over_pose_size_max": max(mem["traced_peak_over_pose_size"]),
        "pivot_over_dense_ratio": dvp["pivot_over_dense_ratio"],
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 videos x 3 min, 2 repeats")
    parser.add_argument("--videos", type=int, default=None)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--labs", default=",".join(DEFAULT_LABS), help="comma-separated lab ids")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=None, help="measure this dataset instead")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--child", nargs=4, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the result, and return it."""
    args = parse_args(argv)
    if args.child:
        method, path, parts, n_mice = args.child
        print(json.dumps(_child_measure(method, path, json.loads(parts), int(n_mice))))
        return {}
    sizes = QUICK if args.quick else FULL
    result = run(
        videos=args.videos or sizes["videos"],
        minutes=args.minutes or sizes["minutes"],
        labs=[name.strip() for name in args.labs.split(",") if name.strip()],
        repeats=args.repeats or sizes["repeats"],
        seed=args.seed,
        data=args.data,
    )
    result = {"headline": headline(result), **result}
    if args.json:
        print(json.dumps(result, indent=2))
        return result
    table = pd.DataFrame(result["per_video"]).set_index("video")
    print(table.to_string())
    for key, value in result.items():
        if key not in ("per_video", "headline"):
            print(f"{key:32s} {value}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
