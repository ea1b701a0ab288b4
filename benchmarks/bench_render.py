"""`mabe render` speed, and the numbers behind the default jump threshold of ``mabe.data.quality``.

Render: a 60 s clip at 30 fps of the real ethome DeepLabCut recording (imported
as ``mabe import`` does in the README, test video 3: 2 mice x 7 parts, true
lanes from its BORIS labels and predicted lanes from a copy shifted by 15
frames), (a) on the blank arena and (b) on a synthetic 5,700-frame 1280 x 1184 mp4
standing in for the original recording (the real one is not in ``../shared``).
Reported: wall and CPU seconds of ``render_clip`` (median of ``--repeats``),
frames per second, and one pass split into drawing and encoding per frame.

Jump threshold: frame-to-frame speeds (body lengths per second, see
``mabe.data.quality.jump_speeds``) of every mouse of ethome and of the 1,400
CalMS21 windows (``../shared/data/calms21_to_kaggle.py``): percentiles, a
histogram, and how many steps and windows exceed thresholds.

Run with ``python benchmarks/bench_render.py [--repeats 3] [--json]``; needs ``../shared/data``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from mabe import progress
from mabe.data.io import MabeDataset
from mabe.data.quality import jump_speeds
from mabe.plots.video import BACKGROUND, Canvas, LanePanel, compose, draw_pose, skeleton_edges
from mabe.workflows.render import build_lanes, render_clip

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MABE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _mabe(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-m", "mabe", "--quiet", *args], check=True, env=env, capture_output=True)


def _ethome(work: Path) -> Path:
    data = work / "ethome"
    _mabe("import", *glob.glob(str(SHARED / "ethome_dlc" / "*_DLC.csv")), "--out", str(data), "--lab", "ethome",
          "--fps", "30", "--min-confidence", "0.5", "--annotations", *glob.glob(str(SHARED / "ethome_dlc" / "*_boris.csv")),
          "--annotation-format", "boris", "--target", "juvenile", "--split-minutes", "1", "--test-last", "1")
    return data


def _submission(data: Path, path: Path) -> Path:
    ann = pd.read_parquet(data / "test_annotation" / "ethome" / "3.parquet")
    pd.DataFrame({"row_id": range(len(ann)), "video_id": 3, "agent_id": "mouse" + ann["agent_id"].astype(str),
                  "target_id": "mouse" + ann["target_id"].astype(str), "action": ann["action"],
                  "start_frame": ann["start_frame"] + 15, "stop_frame": ann["stop_frame"] + 15}).to_csv(path, index=False)
    return path


def _recording(path: Path, n_frames: int, size: tuple[int, int] = (1280, 1184)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, size)
    base = np.linspace(40, 200, size[0], dtype=np.uint8)[None, :, None].repeat(size[1], 0).repeat(3, 2)
    for f in range(n_frames):
        writer.write(np.roll(base, 4 * f, axis=1))
    writer.release()
    return path


def _timed(**kwargs) -> tuple[float, float, dict]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = render_clip(**kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu, {"frames": result.n_frames, "size": f"{result.width}x{result.height}"}


def _split_pass(data: Path, sub: Path, out: Path) -> dict[str, float]:
    """One pass of 600 frames with each stage timed (ms per frame)."""
    ds = MabeDataset(data)
    meta = ds.meta("test", 3)
    coords = ds.load_pose(meta).coords
    lanes = build_lanes(("adult", "juvenile"), ds.load_annotations(meta), None)
    canvas = Canvas.of_tracking(coords)
    panel = LanePanel(lanes, max(canvas.width, 640), 0, 600, 30.0, "video 3")
    blank = np.full((canvas.height, canvas.width, 3), BACKGROUND, np.uint8)
    edges = skeleton_edges(meta.body_parts, coords)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (panel.width, panel.height + canvas.height))
    draw = encode = 0.0
    for f in range(600):
        t0 = time.perf_counter()
        image = compose(panel.draw(f), draw_pose(blank.copy(), coords[f], canvas, edges, ("adult", "juvenile")))
        t1 = time.perf_counter()
        writer.write(image)
        draw, encode = draw + t1 - t0, encode + time.perf_counter() - t1
    writer.release()
    return {"draw_ms_per_frame": 1000 * draw / 600, "encode_ms_per_frame": 1000 * encode / 600}


def _speeds(root: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    ds = MabeDataset(root)
    per_video = []
    for split in ds.splits():
        for meta in ds.metas(split):
            per_video.append(jump_speeds(ds.load_pose(meta).coords, meta.fps))
    steps = np.concatenate([s[np.isfinite(s)] for s in per_video])
    return steps, per_video


def _quality(work: Path, ethome: Path) -> dict:
    calms = work / "calms"
    subprocess.run([sys.executable, str(SHARED / "calms21_to_kaggle.py"), str(calms)], check=True, capture_output=True)
    out = {}
    for name, root in (("ethome", ethome), ("calms21", calms)):
        steps, per_video = _speeds(root)
        out[name] = {
            "videos": len(per_video),
            "steps": int(steps.size),
            "percentiles": {str(q): round(float(np.percentile(steps, q)), 2) for q in (50, 90, 99, 99.5, 99.9, 100)},
            "histogram": dict(zip(["0-5", "5-10", "10-20", "20-30", "30-40", "40-60", "60-100", "100+"],
                                  np.histogram(steps, [0, 5, 10, 20, 30, 40, 60, 100, np.inf])[0].tolist(), strict=True)),
            "steps_over": {str(t): int((steps > t).sum()) for t in (20, 30, 40, 60)},
            "videos_with_a_step_over": {str(t): int(sum(bool((s > t).any()) for s in per_video)) for t in (20, 30, 40, 60)},
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    progress.set_enabled(False)
    progress.set_status_handler(lambda message: None)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = _ethome(work)
        sub = _submission(data, work / "sub.csv")
        recording = _recording(work / "recording.mp4", 5700)  # video 3 is frames 3600-5699 of the recording
        results: dict = {"load_1min": os.getloadavg()[0], "cpus": os.cpu_count()}
        for label, extra in (("blank arena", {}), ("on a 1280x1184 recording", {"video": recording})):
            runs = []
            for r in range(args.repeats):
                runs.append(_timed(data=data, video_id=3, out=work / f"clip_{len(results)}_{r}.mp4", labels=True,
                                   submission=sub, seconds=60.0, **extra))
            wall = statistics.median(w for w, _, _ in runs)
            results[label] = {"wall_s": round(wall, 2), "cpu_s": round(statistics.median(c for _, c, _ in runs), 2),
                              "frames_per_s": round(runs[0][2]["frames"] / wall, 1), **runs[0][2]}
        results["stages (blank arena)"] = {k: round(v, 2) for k, v in _split_pass(data, sub, work / "split.mp4").items()}
        results["jump speeds (body lengths / s)"] = _quality(work, data)
        results["load_1min_after"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
