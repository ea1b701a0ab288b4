"""Training and inference throughput per device (every CUDA GPU, and the CPU), in 32-bit and bf16.

For each device: windows/s of full optimisation steps of the default actions model
(``tcn_bilstm`` of ``actions.yaml`` on 73 pair features and 8 actions, masked BCE,
AdamW), and frames/s of its forward pass, with and without bf16 autocast. On a
machine without CUDA only the CPU is measured and the command to run on a GPU
machine is printed.

Run with ``python benchmarks/bench_gpu.py [--batch-size B] [--repeats R] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from mabe.config import load_config
from mabe.models import count_parameters
from mabe.training.module import build_network

COMMAND = "python benchmarks/bench_gpu.py --json"
INPUT_DIM, N_ACTIONS = 73, 8


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(device: torch.device, precision: str, batch_size: int, repeats: int) -> dict:
    """Median windows/s (training step) and frames/s (forward) on ``device`` at ``precision``."""
    config = load_config("actions")
    torch.manual_seed(0)
    model = build_network(config, INPUT_DIM, N_ACTIONS).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    length = config.sequence_length
    x = torch.randn(batch_size, length, INPUT_DIM, device=device)
    y = (torch.rand(batch_size, length, N_ACTIONS, device=device) < 0.1).float()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16-mixed")
    steps, forwards = [], []
    for i in range(repeats + 2):  # two warm-up rounds
        _sync(device)
        start = time.perf_counter()
        with autocast:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        _sync(device)
        mid = time.perf_counter()
        with torch.no_grad(), autocast:
            model(x)
        _sync(device)
        if i >= 2:
            steps.append(mid - start)
            forwards.append(time.perf_counter() - mid)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    return {
        "device": str(device),
        "name": name,
        "precision": precision,
        "train_windows_per_sec": round(batch_size / statistics.median(steps), 1),
        "forward_frames_per_sec": round(batch_size * length / statistics.median(forwards), 1),
        "parameters": count_parameters(model),
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    devices = [torch.device("cuda", i) for i in range(torch.cuda.device_count())] + [torch.device("cpu")]
    rows = [measure(d, p, args.batch_size, args.repeats) for d in devices for p in ("32", "bf16-mixed")]
    result = {
        "cuda_devices": torch.cuda.device_count(),
        "rows": rows,
        "headline": {f"{r['device']} {r['precision']} windows/s": r["train_windows_per_sec"] for r in rows},
    }
    if not torch.cuda.is_available():
        result["on_a_gpu_machine_run"] = COMMAND
        result["headline"]["on a GPU machine run"] = COMMAND
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for r in rows:
            print(f"{r['device']:8s} {r['precision']:11s} train {r['train_windows_per_sec']:>9} windows/s  "
                  f"forward {r['forward_frames_per_sec']:>11} frames/s  {r['name']}")
        if not torch.cuda.is_available():
            print(f"no CUDA GPU on this machine; on a GPU machine run: {COMMAND}")
    return result


if __name__ == "__main__":
    main()
