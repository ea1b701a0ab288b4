"""Speed and memory of the simulator (:func:`mabe.data.synth.synthesize`).

Synthesizes ``--videos`` videos of ``--minutes`` each (labs round-robin, all
19 by default) into a temporary directory and reports

* seconds per video-minute and frames per second of wall time;
* peak RSS of the process (``resource.getrusage``), and the resident memory
  after the first and after the last video (flat when videos are generated
  and written one at a time);
* the size written.

Run with ``python benchmarks/bench_synth.py [--videos 20] [--minutes 10]
[--labs A,B] [--seed 0] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import mabe.data.synth.dataset as dataset
from mabe.data.synth import synthesize


def current_rss_mb() -> float:
    """Resident memory now, in MB (Linux ``/proc``; peak RSS elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def run(videos: int, minutes: float, labs: list[str] | None, seed: int) -> dict[str, float]:
    """Synthesize once and measure; the dataset is deleted afterwards."""
    rss_after_video: list[float] = []
    real = dataset.make_video

    def measured(*args, **kwargs):
        result = real(*args, **kwargs)
        rss_after_video.append(current_rss_mb())
        return result

    dataset.make_video = measured
    tmp = Path(tempfile.mkdtemp(prefix="bench_synth_"))
    try:
        baseline = current_rss_mb()
        start = time.perf_counter()
        summary = synthesize(tmp / "data", videos, seed, labs=labs, minutes=minutes, progress=False)
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in (tmp / "data").rglob("*") if p.is_file())
    finally:
        dataset.make_video = real
        shutil.rmtree(tmp, ignore_errors=True)
    frames = sum(summary.frames.values())
    video_minutes = videos * minutes
    return {
        "videos": videos,
        "minutes_per_video": minutes,
        "labs": len(summary.labs),
        "frames": frames,
        "labelled_bouts": sum(summary.bouts.values()),
        "seconds": round(seconds, 2),
        "seconds_per_video_minute": round(seconds / video_minutes, 4),
        "frames_per_second": round(frames / seconds),
        "rss_before_mb": round(baseline, 1),
        "rss_after_first_video_mb": round(rss_after_video[0], 1),
        "rss_after_last_video_mb": round(rss_after_video[-1], 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "written_mb": round(size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--labs", default=None, help="comma-separated lab ids (default: all 19)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    labs = [name.strip() for name in args.labs.split(",")] if args.labs else None
    result = run(args.videos, args.minutes, labs, args.seed)
    if args.json:
        print(json.dumps(result))
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
