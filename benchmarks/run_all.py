"""Run every benchmark of this directory, print a summary table and save the results.

Each benchmark script is imported and its ``main()`` called in this process,
one after the other, with its command line set for a full run or, with
``--quick``, for a small one (seconds to a few minutes in all). What a
benchmark prints is captured; its result is the dict ``main()`` returns or the
JSON object it prints (``bench_metric`` prints text, which is parsed).

The results go to ``benchmarks/results/<date>-<label>.json`` (and a ``.md``
with the summary table next to it): the machine (CPU count, CPU model, torch
threads, load average, library versions; never the host name), the git
commit, and each benchmark's full result. An existing file is never replaced:
``-2``, ``-3``, ... are appended to the label.

The machine may be shared: compare ratios and shares measured within one
run, not absolute times across runs.

Run with ``python benchmarks/run_all.py [--quick] [--only io,predict]
[--label NAME] [--threads N] [--no-save]`` (``make bench`` runs it in full).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import io
import json
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PACKAGES = ("mabe", "numpy", "pandas", "pyarrow", "scipy", "torch", "lightning", "pydantic")
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")


@dataclass(frozen=True)
class Benchmark:
    """How to run one benchmark script and which of its numbers to summarise."""

    module: str
    full: list[str] = field(default_factory=list)
    quick: list[str] = field(default_factory=list)
    headline: Callable[[dict[str, Any]], dict[str, Any]] = lambda r: dict(r.get("headline", {}))


def _metric_headline(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "mabe_score_median_ms": r.get("median_ms"),
        "reference_over_vectorised_ratio": r.get("reference_over_vectorised_ratio"),
        "abs_diff_vs_reference": r.get("abs_diff"),
    }


def _synth_headline(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "seconds_per_video_minute": r.get("seconds_per_video_minute"),
        "frames_per_second": r.get("frames_per_second"),
        "rss_last_minus_first_video_mb": round(
            r["rss_after_last_video_mb"] - r["rss_after_first_video_mb"], 1
        )
        if "rss_after_last_video_mb" in r
        else None,
    }


def _training_headline(r: dict[str, Any]) -> dict[str, Any]:
    keys = ("train_windows_per_sec", "inference_frames_per_sec", "forward_frames_per_sec")
    return {k: r.get(k) for k in keys}


BENCHMARKS: dict[str, Benchmark] = {
    "metric": Benchmark("bench_metric", headline=_metric_headline),
    "synth": Benchmark(
        "bench_synth", ["--json"], ["--json", "--videos", "4", "--minutes", "2"], _synth_headline
    ),
    "training": Benchmark(
        "bench_training",
        ["--json"],
        ["--json", "--repeats", "2", "--minutes", "2"],
        _training_headline,
    ),
    "io": Benchmark("bench_io", ["--json"], ["--json", "--quick"]),
    "startup": Benchmark("bench_startup", ["--json"], ["--json", "--quick"]),
    "predict": Benchmark("bench_predict", ["--json"], ["--json", "--quick"]),
    "gpu": Benchmark("bench_gpu", ["--json"], ["--json", "--repeats", "2", "--batch-size", "16"]),
    "quality": Benchmark("bench_quality", ["--json"], ["--json", "--quick", "--folds", "3"]),
}


# ------------------------------------------------------------------ machine


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _cpu_model() -> str | None:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or None


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _version(name: str) -> str | None:

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=HERE.parent, capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def machine_info() -> dict[str, Any]:
    """What the numbers depend on; deliberately without the host name."""
    import torch

    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = None
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "memory_total_gb": _mem_total_gb(),
        "system": platform.system(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "env": {k: os.environ.get(k) for k in THREAD_ENV},
        "versions": {
            name: _version(name)
            for name in PACKAGES
        },
        "git_commit": _git("rev-parse", "HEAD"),
        "git_tracked_changes": bool(status) if status is not None else None,
    }


def _mem_total_gb() -> float | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024**2, 1)
    return None


# ------------------------------------------------------------------ running


def parse_metric_text(text: str) -> dict[str, Any]:
    """The numbers ``bench_metric`` prints as text."""
    out: dict[str, Any] = {}
    if m := re.search(r"mabe_score = ([0-9.]+); median of (\d+): (\d+) ms", text):
        out |= {"score": float(m[1]), "runs": int(m[2]), "median_ms": int(m[3])}
    pattern = r"vectorised [0-9.]+ in (\d+) ms, per-frame reference [0-9.]+ in ([0-9.]+) s"
    if m := re.search(pattern, text):
        fast_ms, slow_s = int(m[1]), float(m[2])
        out |= {"subsample_vectorised_ms": fast_ms, "subsample_reference_s": slow_s}
        out["reference_over_vectorised_ratio"] = round(slow_s * 1000 / max(fast_ms, 1), 1)
    if m := re.search(r"\|diff\| = ([0-9.e+-]+)", text):
        out["abs_diff"] = float(m[1])
    return out


def parse_output(text: str) -> dict[str, Any] | None:
    """The (last) JSON object printed, skipping other lines (e.g. Lightning's)."""
    with contextlib.suppress(ValueError):
        value = json.loads(text)
        return value if isinstance(value, dict) else None
    starts = [m.start() for m in re.finditer(r"^\{", text, flags=re.M)]
    for start in reversed(starts):
        with contextlib.suppress(ValueError):
            value, _ = json.JSONDecoder().raw_decode(text[start:])
            if isinstance(value, dict):
                return value
    return None


class _Tee(io.TextIOBase):
    """Capture writes and, if asked, pass them on to the real stream."""

    def __init__(self, echo: io.TextIOBase | None) -> None:
        self.buffer_ = io.StringIO()
        self.echo = echo

    def write(self, text: str) -> int:
        self.buffer_.write(text)
        if self.echo is not None:
            self.echo.write(text)
        return len(text)

    def flush(self) -> None:
        if self.echo is not None:
            self.echo.flush()


def run_one(name: str, bench: Benchmark, quick: bool, echo: bool) -> dict[str, Any]:
    """Import a benchmark, call its ``main()`` with its command line set, collect the result."""
    args = bench.quick if quick else bench.full
    record: dict[str, Any] = {"module": bench.module, "argv": args}
    tee = _Tee(sys.stderr if echo else None)
    saved_argv = sys.argv
    start = time.perf_counter()
    record["load_average_before"] = _load_average()
    try:
        module = importlib.import_module(bench.module)
        sys.argv = [f"{bench.module}.py", *args]
        with contextlib.redirect_stdout(tee):
            returned = module.main()
        text = tee.buffer_.getvalue()
        if isinstance(returned, dict):
            result = returned
        elif bench.module == "bench_metric":
            result = parse_metric_text(text) | {"output": text.strip().splitlines()}
        else:
            result = parse_output(text)
            if result is None:
                raise RuntimeError(f"{bench.module} printed no JSON object:\n{text[-2000:]}")
        record["status"] = "ok"
        record["result"] = result
        record["headline"] = bench.headline(result)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - one failure must not stop the others
        record["status"] = "failed"
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc()
        record["output_tail"] = tee.buffer_.getvalue()[-4000:]
    finally:
        sys.argv = saved_argv
    record["wall_s"] = round(time.perf_counter() - start, 1)
    record["load_average_after"] = _load_average()
    return record


# ------------------------------------------------------------------ reporting


def summary_rows(records: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    """``(benchmark, status, wall s, figure, value)`` rows, one per headline figure."""
    rows = []
    for name, rec in records.items():
        wall = f"{rec['wall_s']:.1f}"
        if rec["status"] != "ok":
            rows.append((name, rec["status"], wall, "error", rec["error"].splitlines()[0][:80]))
            continue
        figures = rec.get("headline") or {"-": "-"}
        for i, (key, value) in enumerate(figures.items()):
            is_int = isinstance(value, int) and not isinstance(value, bool)
            shown = f"{value:,}" if is_int else str(value)
            first = (name, "ok", wall) if i == 0 else ("", "", "")
            rows.append((*first, key, shown))
    return rows


def format_table(rows: list[tuple[str, ...]], markdown: bool = False) -> str:
    header = ("benchmark", "status", "wall s", "figure", "value")
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in rows]
    return "\n".join(lines)


def results_path(out_dir: Path, label: str, date: str) -> Path:
    """``<date>-<label>.json`` in ``out_dir``, with ``-2``, ``-3``, ... if taken."""
    stem = f"{date}-{label}"
    path = out_dir / f"{stem}.json"
    n = 1
    while path.exists() or path.with_suffix(".md").exists():
        n += 1
        path = out_dir / f"{stem}-{n}.json"
    return path


def markdown_report(report: dict[str, Any], rows: list[tuple[str, ...]]) -> str:
    m = report["machine"]
    lines = [
        f"# Benchmarks {report['started_utc']}: {report.get('label', report['mode'])}",
        "",
        f"- mode: {report['mode']}"
        + (f", `--threads {report['threads_override']}`" if report.get("threads_override") else ""),
        f"- machine: {m['cpu_count']} CPUs ({m['cpu_model']}), {m['memory_total_gb']} GB, "
        f"torch threads {m['torch_threads']}, {m['system']} {m['machine']}",
        f"- versions: python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v),
        f"- git commit {m['git_commit']} (tracked changes: {m['git_tracked_changes']})",
        f"- load average (1, 5, 15 min) at start {report['load_average_start']}, "
        f"at end {report['load_average_end']}; total {report['wall_s']:.0f} s",
        "",
        format_table(rows, markdown=True),
        "",
        "1-minute load average before -> after each benchmark: "
        + ", ".join(
            f"{name} {_first_load(rec, 'before')} -> {_first_load(rec, 'after')}"
            for name, rec in report["benchmarks"].items()
        ),
        "",
    ]
    return "\n".join(lines)


def _first_load(record: dict[str, Any], when: str) -> str:
    load = record.get(f"load_average_{when}")
    return f"{load[0]:.2f}" if load else "?"


def _label(text: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")
    if not clean:
        raise SystemExit(f"--label {text!r} has no usable character")
    return clean


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a few minutes in all)")
    parser.add_argument(
        "--only", default=None, help=f"comma-separated subset of {','.join(BENCHMARKS)}"
    )
    parser.add_argument("--label", default=None, help="file label (default: 'quick' or 'full')")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads for all")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    parser.add_argument("--no-save", action="store_true", help="print only, write no file")
    parser.add_argument(
        "--echo", action="store_true", help="also show what each benchmark prints (on stderr)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    names = list(BENCHMARKS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            raise SystemExit(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    mode = "quick" if args.quick else "full"
    started = dt.datetime.now(dt.UTC)
    label = _label(args.label or mode)
    report: dict[str, Any] = {
        "started_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": mode,
        "label": label,
        "threads_override": args.threads,
        "machine": machine_info(),
        "load_average_start": _load_average(),
        "benchmarks": {},
    }
    t0 = time.perf_counter()
    for name in names:
        print(f"[run_all] {name} ({mode}) ...", file=sys.stderr, flush=True)
        record = run_one(name, BENCHMARKS[name], args.quick, args.echo)
        report["benchmarks"][name] = record
        figures = json.dumps(record.get("headline", record.get("error")))
        print(f"[run_all] {name}: {record['status']} in {record['wall_s']:.1f} s {figures}",
              file=sys.stderr, flush=True)
    report["wall_s"] = round(time.perf_counter() - t0, 1)
    report["load_average_end"] = _load_average()

    rows = summary_rows(report["benchmarks"])
    print(format_table(rows))
    if not args.no_save:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        path = results_path(args.out_dir, label, started.strftime("%Y-%m-%d"))
        path.write_text(json.dumps(report, indent=2, default=str) + "\n")
        path.with_suffix(".md").write_text(markdown_report(report, rows))
        print(f"wrote {path} and {path.with_suffix('.md').name}")
    failed = [n for n, r in report["benchmarks"].items() if r["status"] != "ok"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
