"""Training and inference speed of the V5 model (Conv1D + BiLSTM, 2.78 M parameters) on this machine.

* training: windows/s of full optimisation steps (forward, class-weighted
  cross-entropy, backward, gradient clipping, AdamW) on batches of the V5
  shape ``(64, 100, 144)``, through :class:`mabe.training.module.BehaviourModule`;
* inference: frames/s of :func:`mabe.training.inference.predict_video`'s
  window pass (overlapping windows, softmax, overlap averaging) on a 10-minute
  30 fps video's features, and of raw forward passes.

Each figure is the median of several timed repetitions after a warm-up.
Run with ``python benchmarks/bench_training.py [--threads N] [--repeats R] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch

from mabe.config import load_config
from mabe.models import count_parameters
from mabe.training.inference import window_probs
from mabe.training.module import BehaviourModule
from mabe.training.windows import window_starts


def v5_module() -> BehaviourModule:
    """The V5 model wrapped in the training module (config exactly as shipped)."""
    config = load_config("v5")
    return BehaviourModule(
        config.to_dict(), 144, 144, config.seed4_class_names, {}, list(config.class_weights or [])
    )


def _batch(batch_size: int, length: int, dim: int, classes: int, gen: torch.Generator) -> dict:
    return {
        "x": torch.randn(batch_size, length, dim, generator=gen),
        "y": torch.randint(0, classes, (batch_size, length), generator=gen),
        "mask": torch.ones(batch_size, length, dtype=torch.bool),
        "valid": torch.ones(batch_size, length, dtype=torch.bool),
    }


def time_training(module: BehaviourModule, repeats: int, batch_size: int) -> list[float]:
    """Seconds per optimisation step, one per repeat."""
    cfg = module.config
    opt = torch.optim.AdamW(module.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    gen = torch.Generator().manual_seed(0)
    batch = _batch(batch_size, cfg.sequence_length, 144, module.num_classes, gen)
    module.train()
    times = []
    for i in range(repeats + 2):  # two warm-up steps
        start = time.perf_counter()
        x = module._augment(batch["x"], batch["valid"])
        loss = module.loss(module(x), batch["y"], batch["mask"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), cfg.grad_clip or 1.0)
        opt.step()
        if i >= 2:
            times.append(time.perf_counter() - start)
    return times


def time_inference(module: BehaviourModule, repeats: int, n_frames: int) -> tuple[list[float], list[float]]:
    """Seconds per full-video window pass and per raw forward batch."""
    cfg = module.config
    model = module.model.eval()
    feats = np.random.default_rng(0).standard_normal((n_frames, 144)).astype(np.float32)
    starts = window_starts(n_frames, cfg.sequence_length, cfg.inference_stride)
    video, forward = [], []
    x = torch.randn(cfg.batch_size, cfg.sequence_length, 144)
    with torch.no_grad():
        model(x)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            window_probs(model, [feats], starts, cfg.sequence_length, cfg.batch_size, True)
            video.append(time.perf_counter() - start)
            start = time.perf_counter()
            model(x)
            forward.append(time.perf_counter() - start)
    return video, forward


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the inference video at 30 fps")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    module = v5_module()
    cfg = module.config
    train = statistics.median(time_training(module, args.repeats, cfg.batch_size))
    n_frames = int(args.minutes * 60 * 30)
    video, forward = time_inference(module, max(3, args.repeats // 2), n_frames)
    result = {
        "model": "v5 conv_bilstm",
        "parameters": count_parameters(module.model),
        "threads": args.threads,
        "batch_size": cfg.batch_size,
        "sequence_length": cfg.sequence_length,
        "train_step_sec": round(train, 4),
        "train_windows_per_sec": round(cfg.batch_size / train, 1),
        "train_frames_per_sec": round(cfg.batch_size * cfg.sequence_length / train, 1),
        "inference_video_frames": n_frames,
        "inference_frames_per_sec": round(n_frames / statistics.median(video), 1),
        "forward_frames_per_sec": round(cfg.batch_size * cfg.sequence_length / statistics.median(forward), 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        print(f"{key:28s} {value}")


if __name__ == "__main__":
    main()
