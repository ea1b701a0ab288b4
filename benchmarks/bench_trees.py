"""Speed of the gradient-boosted tree model: feature building, fitting, cache reuse and prediction.

Synthesizes long videos (default 2 x 5 min: ``LyricalHare`` 120 fps with 2 mice
and ``AdaptableSnail`` 25-30 fps with 3-4 mice and up to 18 body parts) into a
temporary directory (or reads ``--data DIR``) and reports, per video, the CPU
seconds (``time.process_time``, less sensitive to a shared machine than wall
time) per 1,000 frames of

* :func:`mabe.features.pairwise.build_pair_features` (all pairs), and
* :func:`mabe.features.tree_features.build_tree_features` (the same plus the
  multi-scale context), also per 1,000 (pair, frame) rows;

then :func:`mabe.training.trees.fit_trees` on every video twice with the same
cache directory (the second run must build no features: ``cache_builds`` 0)
and :meth:`TreePredictor.predict_video` frames/s. Optionally ``--calms DIR``
(a dataset written by ``../shared/data/calms21_to_kaggle.py``) adds the
feature CPU time on its 13-frame windows, where per-video overhead dominates.

Run with ``python benchmarks/bench_trees.py [--quick] [--minutes 5] [--data DIR]
[--calms DIR] [--json]``. Nothing here is a test; compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from mabe.data.io import MabeDataset
from mabe.data.synth import synthesize
from mabe.features.pairwise import build_pair_features
from mabe.features.tree_features import build_tree_features
from mabe.training.labels import action_vocabulary
from mabe.training.samples import all_pairs
from mabe.training.trees import TreeSettings, fit_trees, load_trees

DEFAULT_LABS = ("LyricalHare", "AdaptableSnail")


def _feature_cpu(videos: list, settings: TreeSettings) -> dict[str, float]:
    frames = sum(v.n_frames for v in videos)
    rows = sum(v.n_frames * len(all_pairs(v)) for v in videos)
    start = time.process_time()
    for v in videos:
        build_pair_features(v.pose, v.meta, all_pairs(v))
    pair = time.process_time() - start
    start = time.process_time()
    for v in videos:
        build_tree_features(v.pose, v.meta, all_pairs(v), *settings.feature_args())
    tree = time.process_time() - start
    return {
        "frames": frames,
        "pair_rows": rows,
        "pair_features_cpu_s_per_1k_frames": round(1000 * pair / max(frames, 1), 4),
        "tree_features_cpu_s_per_1k_frames": round(1000 * tree / max(frames, 1), 4),
        "tree_features_cpu_s_per_1k_pair_rows": round(1000 * tree / max(rows, 1), 4),
    }


def run(minutes: float, data: Path | None, calms: Path | None, threads: int) -> dict[str, Any]:
    settings = TreeSettings(num_threads=threads, n_estimators=100)
    out: dict[str, Any] = {"n_features": len(settings.feature_names()) + 1}
    with tempfile.TemporaryDirectory() as tmp:
        root = data
        if root is None:
            root = Path(tmp) / "data"
            synthesize(root, n_videos=2, seed=3, labs=list(DEFAULT_LABS), minutes=minutes,
                       test_fraction=0.0, progress=False)
        ds = MabeDataset(root)
        metas = ds.metas("train")
        for meta in metas:
            video = ds.load_video(meta)
            label = f"{meta.lab_id} ({meta.fps:g} fps, {video.pose.n_mice} mice, {len(meta.body_parts)} parts)"
            out[label] = _feature_cpu([video], settings)
        actions = action_vocabulary(metas)
        cache = Path(tmp) / "cache"
        for attempt in ("first", "second"):
            start = time.perf_counter()
            summary = fit_trees(ds, metas, [], actions, settings, Path(tmp) / attempt, False, cache_dir=cache)
            out[f"fit_{attempt}_wall_s"] = round(time.perf_counter() - start, 2)
            out[f"fit_{attempt}_cache_builds"] = summary["cache"]["builds"]
            out[f"fit_{attempt}_lgbm_s"] = summary["fit_seconds"]
        out["train_rows"] = summary["train_rows"]
        predictor = load_trees(Path(tmp) / "first")
        video = ds.load_video(metas[0])
        start = time.perf_counter()
        predictor.predict_video(video)
        out["predict_frames_per_s"] = round(video.n_frames / (time.perf_counter() - start), 1)
    if calms is not None:
        ds = MabeDataset(calms)
        videos = [ds.load_video(m) for m in ds.metas("train")[:300]]
        out["calms21 13-frame windows"] = _feature_cpu(videos, settings)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="1-minute videos")
    parser.add_argument("--data", type=Path, default=None, help="use this dataset's train split")
    parser.add_argument("--calms", type=Path, default=None, help="a CalMS21 windows dataset")
    parser.add_argument("--threads", type=int, default=1, help="LightGBM threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = run(1.0 if args.quick else args.minutes, args.data, args.calms, args.threads)
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
