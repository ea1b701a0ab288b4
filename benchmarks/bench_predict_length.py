"""Inference window length (``predict_length``): speed and quality on the same trained network.

For one trained single-network run (``mabe train --config recommended``) and
one split of a dataset, every setting of ``--lengths`` (grid points per
inference window; the stride is the config's default for that length,
:attr:`mabe.config.Config.inference_stride`) is measured on the SAME network:

* ``network``: CPU seconds (``time.process_time``, this process, one torch
  thread, warm: model loaded, videos read, pair features computed once) of
  the network's window pass over every video of the split
  (:func:`mabe.training.inference.window_probs` with the windows
  :func:`mabe.training.inference.predict_video` uses), median of
  ``--repeats``, as frames per CPU second;
* ``predict``: the same for the whole :func:`~mabe.training.inference.predict_video`
  (pair features + network);
* quality: the split decoded with the run's tuned decoding parameters (the
  same for every setting) and scored with the MABe F-score
  (:func:`mabe.metrics.score_report`, what ``mabe score`` prints), per lab
  too, and the largest absolute difference of any probability from the
  run's own setting (``today``: the config as trained, no ``predict_length``).

``today`` is measured first; ``--lengths`` equal to ``sequence_length`` must
give identical probabilities (``max_abs_diff`` 0). Writes
``OUT.json`` and ``OUT.md``. Run with ``python benchmarks/bench_predict_length.py
--run RUN --data DATA [--lengths 128,256,512,1024] [--split test] [--repeats 3]
[--out benchmarks/results/2026-11-30-predict-length]`` (a length may be ``L/S`` to set the stride too; ``--repeats 0`` scores only); several ``--run``
(e.g. two seeds) are measured one after the other into one table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mabe.config import Config
from mabe.data.io import MabeDataset
from mabe.data.submission import assemble_submission
from mabe.data.types import Video
from mabe.metrics import score_report
from mabe.training.inference import inference_window, load_trained, predict_video, window_probs
from mabe.training.samples import bind_context, video_inputs
from mabe.training.windows import window_starts
from mabe.workflows.predict import decode_one, load_decode_params, to_video_probs


def cpu_median(fn: Callable[[], Any], repeats: int, warmup: bool = True) -> float:
    """Median CPU seconds (this process) of ``fn()`` after one warm-up call (``nan`` for 0 repeats)."""
    if repeats <= 0:
        return float("nan")
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def setting(config: Config, spec: str | None) -> Config:
    """``config`` with ``predict_length`` (and ``predict_stride``) of ``"L"`` or ``"L/S"`` (``None``: as trained)."""
    if spec is None:
        return config
    length, _, stride = spec.partition("/")
    return config.model_copy(update={"predict_length": int(length), "predict_stride": int(stride) if stride else None})


def measure_run(run: Path, data: Path, lengths: Sequence[str], split: str, repeats: int) -> dict[str, Any]:
    """Measure every length on one run; see the module docstring."""
    model, config, info = load_trained(run)
    params = load_decode_params(run)
    dataset = MabeDataset(data)
    videos: list[Video] = [dataset.load_video(meta) for meta in dataset.metas(split)]
    solution = dataset.solution(split)
    n_frames = sum(v.n_frames for v in videos)
    inputs = [video_inputs(v, config, int(info["input_dim"])) for v in videos]
    bound = [bind_context(model, v, config) for v in videos]
    rows: list[dict[str, Any]] = []
    reference: list[np.ndarray] | None = None
    for length in [None, *lengths]:
        cfg = setting(config, length)

        def network(cfg: Config = cfg) -> None:
            for (feats, grid, _pairs), net in zip(inputs, bound, strict=True):
                size = inference_window(cfg, len(grid))
                starts = window_starts(len(grid), size, cfg.inference_stride)
                window_probs(net, feats, starts, size, cfg.batch_size, False)

        predictions = [predict_video(model, cfg, info, v) for v in videos]
        probs = [p.probs for p in predictions]
        if reference is None:
            reference = probs
        diff = max(float(np.abs(a - b).max()) if a.size else 0.0 for a, b in zip(probs, reference, strict=True))
        parts = [decode_one(to_video_probs(v.meta, p), params)[0] for v, p in zip(videos, predictions, strict=True)]
        report = score_report(solution, assemble_submission(parts), allow_empty=True)
        net_s = cpu_median(network, repeats)

        def whole(cfg: Config = cfg) -> None:
            for v in videos:
                predict_video(model, cfg, info, v)

        pred_s = cpu_median(whole, repeats, warmup=False)  # the quality pass above warmed it up
        n_windows = sum(
            len(window_starts(len(g), inference_window(cfg, len(g)), cfg.inference_stride)) * len(f) for f, g, _ in inputs
        )
        rows.append(
            {
                "setting": "today" if length is None else length,
                "predict_length": cfg.inference_length,
                "stride": cfg.inference_stride,
                "windows": n_windows,
                "network_cpu_s": round(net_s, 3) if repeats > 0 else None,
                "network_frames_per_cpu_s": round(n_frames / net_s, 1) if repeats > 0 else None,
                "predict_cpu_s": round(pred_s, 3) if repeats > 0 else None,
                "predict_frames_per_cpu_s": round(n_frames / pred_s, 1) if repeats > 0 else None,
                "score": round(float(report.score), 4),
                "per_lab": {str(k): round(float(v), 4) for k, v in report.per_lab.items()},
                "max_abs_diff": diff,
            }
        )
    base = rows[0]
    for row in rows:
        if repeats > 0:
            row["network_speedup"] = round(base["network_cpu_s"] / row["network_cpu_s"], 2)
            row["predict_speedup"] = round(base["predict_cpu_s"] / row["predict_cpu_s"], 2)
        row["score_delta"] = round(row["score"] - base["score"], 4)
    return {
        "run": str(run),
        "data": str(data),
        "split": split,
        "videos": len(videos),
        "frames": n_frames,
        "sequence_length": config.sequence_length,
        "model_type": config.model_type,
        "rows": rows,
    }


def to_markdown(result: dict[str, Any]) -> str:
    """One table per run."""
    lines = ["# predict_length: network inference speed and quality", ""]
    timing = (
        f"torch threads {result['threads']}, CPU seconds of this process (time.process_time), "
        f"median of {result['repeats']}, warm."
        if result["repeats"] > 0
        else "Quality only (no timing)."
    )
    lines.append(f"{timing} Same trained network per table; decoding parameters of the run.")
    for run in result["runs"]:
        lines += ["", f"## {run['run']} ({run['split']}: {run['videos']} videos, {run['frames']} frames, "
                  f"sequence_length {run['sequence_length']}, {run['model_type']})", ""]
        columns = [c for c in run["rows"][0] if c != "per_lab"]
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "---|" * len(columns))
        lines += ["| " + " | ".join(f"{row[c]:.3g}" if c == "max_abs_diff" else str(row[c]) for c in columns) + " |"
                  for row in run["rows"]]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Parse the arguments, measure, write ``OUT.json`` and ``OUT.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, action="append", required=True, help="trained run (repeatable)")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--lengths", default="128,256,512,1024", help="L or L/S (stride) per setting")
    parser.add_argument("--split", default="test")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats; 0: quality only")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/2026-11-30-predict-length"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    lengths = [x.strip() for x in args.lengths.split(",") if x.strip()]
    result = {
        "threads": args.threads,
        "repeats": args.repeats,
        "runs": [measure_run(run, args.data, lengths, args.split, args.repeats) for run in args.run],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(to_markdown(result))
    print(to_markdown(result))
    return result


if __name__ == "__main__":
    main()
