"""Time ``mabe_score`` on a synthetic solution the size of the real annotated set.

The real train annotations hold 847 videos in about 19 labs, 83,620 bouts and
about 21.6 M labelled frames. This script builds a random solution of that
size (per-lab mouse counts, action sets and whitelists; bouts laid out per
pair without overlap; log-normal bout lengths) and a perturbed submission
(shifted boundaries, dropped and invented bouts, rows outside the whitelist
and for unknown videos, overlaps within a pair clipped away), then

* times :func:`mabe.metrics.mabe_score` (median of 5 runs), and
* on a 5 % subsample of the videos compares it with the per-frame Python-set
  reference of ``tests/unit/metrics/test_mabe_score.py``.

Run with ``python benchmarks/bench_metric.py``.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mabe.data.schema import PAIR_ACTIONS, SELF_ACTIONS
from mabe.metrics import mabe_score

N_VIDEOS = 847
N_LABS = 19
N_BOUTS = 83_620
N_FRAMES = 21_600_000
REFERENCE = Path(__file__).parents[1] / "tests" / "unit" / "metrics" / "test_mabe_score.py"


def lab_designs(rng: np.random.Generator) -> list[dict]:
    """Mice and labelled actions of each synthetic lab."""
    designs = []
    for lab in range(N_LABS):
        n_mice = int(rng.choice([2, 3, 4], p=[0.4, 0.2, 0.4]))
        pair = list(rng.choice(PAIR_ACTIONS, size=int(rng.integers(2, 9)), replace=False))
        own = list(rng.choice(SELF_ACTIONS, size=int(rng.integers(0, 4)), replace=False))
        designs.append({"lab": f"Lab{lab:02d}", "mice": n_mice, "pair": pair, "self": own})
    return designs


def video_triples(design: dict) -> list[tuple[str, str, str]]:
    mice = [f"mouse{m}" for m in range(1, design["mice"] + 1)]
    triples = [(a, t, x) for a in mice for t in mice if a != t for x in design["pair"]]
    return triples + [(a, "self", x) for a in mice for x in design["self"]]


def group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each change of ``groups`` (which must be sorted)."""
    total = np.cumsum(values)
    heads = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    before = np.repeat(total[heads] - values[heads], np.diff(np.r_[heads, values.size]))
    return total - before


def build_solution(rng: np.random.Generator) -> pd.DataFrame:
    designs = lab_designs(rng)
    lab_of_video = rng.choice(N_LABS, size=N_VIDEOS, p=rng.dirichlet(np.full(N_LABS, 2.0)))
    bouts_per_video = rng.multinomial(N_BOUTS, rng.dirichlet(np.full(N_VIDEOS, 3.0)))
    rows = []
    for video, (lab, n) in enumerate(zip(lab_of_video, bouts_per_video, strict=True)):
        design = designs[lab]
        triples = video_triples(design)
        chosen = [triples[i] for i in rng.integers(len(triples), size=n)]
        listed = json.dumps([",".join(t) for t in triples])
        rows += [(10_000 + video, *t, design["lab"], listed) for t in chosen]
    sol = pd.DataFrame(
        rows, columns=["video_id", "agent_id", "target_id", "action", "lab_id", "behaviors_labeled"]
    )
    lengths = np.maximum(1, rng.lognormal(np.log(N_FRAMES / N_BOUTS) - 0.5, 1.0, len(sol)))
    lengths = np.maximum(1, np.round(lengths * N_FRAMES / lengths.sum())).astype(np.int64)
    gaps = rng.geometric(1 / 400, len(sol)).astype(np.int64)
    sol = sol.sort_values(["video_id", "agent_id", "target_id"], kind="stable").reset_index(drop=True)
    pair = sol.groupby(["video_id", "agent_id", "target_id"], sort=False).ngroup().to_numpy()
    stops = group_cumsum(gaps + lengths, pair)
    sol["start_frame"] = stops - lengths
    sol["stop_frame"] = stops
    return sol[["video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame",
                "lab_id", "behaviors_labeled"]]


def clip_overlaps(sub: pd.DataFrame) -> pd.DataFrame:
    """Make rows of one (video, agent, target) disjoint by clipping starts."""
    sub = sub.sort_values(["video_id", "agent_id", "target_id", "start_frame"]).reset_index(drop=True)
    pair = sub.groupby(["video_id", "agent_id", "target_id"], sort=False).ngroup().to_numpy()
    span = int(sub["stop_frame"].max()) + 1
    reach = np.maximum.accumulate(pair * span + sub["stop_frame"].to_numpy()) - pair * span
    previous = np.r_[0, reach[:-1]]
    previous[np.r_[True, pair[1:] != pair[:-1]]] = 0
    sub["start_frame"] = np.maximum(sub["start_frame"].to_numpy(), previous)
    return sub[sub["start_frame"] < sub["stop_frame"]]


def build_submission(rng: np.random.Generator, sol: pd.DataFrame) -> pd.DataFrame:
    cols = ["video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"]
    kept = sol.loc[rng.random(len(sol)) > 0.15, cols].copy()
    for col in ("start_frame", "stop_frame"):
        kept[col] = np.maximum(0, kept[col] + np.round(rng.normal(0, 20, len(kept)))).astype(np.int64)
    invented = sol.loc[rng.integers(len(sol), size=len(sol) // 6), cols].copy()
    invented["start_frame"] = rng.integers(0, int(sol["stop_frame"].max()), len(invented))
    invented["stop_frame"] = invented["start_frame"] + rng.integers(5, 500, len(invented))
    swapped = invented.sample(frac=0.3, random_state=1).assign(action="freeze")  # mostly unlisted
    strangers = invented.head(500).assign(video_id=99_999)  # unknown video
    sub = pd.concat([kept, invented, swapped, strangers], ignore_index=True)
    sub = sub[sub["start_frame"] < sub["stop_frame"]]
    sub = clip_overlaps(sub)
    return sub.reset_index(drop=True).rename_axis("row_id").reset_index()


def load_reference():
    spec = importlib.util.spec_from_file_location("metric_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_score


def main() -> None:
    rng = np.random.default_rng(2025)
    t0 = time.perf_counter()
    sol = build_solution(rng)
    sub = build_submission(rng, sol)
    frames = int((sol["stop_frame"] - sol["start_frame"]).sum())
    print(f"built in {time.perf_counter() - t0:.1f} s: {sol['video_id'].nunique()} videos, "
          f"{sol['lab_id'].nunique()} labs, {len(sol):,} bouts, {frames:,} labelled frames; "
          f"submission {len(sub):,} rows")

    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        score = mabe_score(sol, sub)
        times.append(time.perf_counter() - t0)
    print(f"mabe_score = {score:.6f}; median of 5: {statistics.median(times) * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})")

    videos = rng.choice(sol["video_id"].unique(), size=round(0.05 * N_VIDEOS), replace=False)
    small_sol = sol[sol["video_id"].isin(videos)]
    small_sub = sub[sub["video_id"].isin(videos)]
    t0 = time.perf_counter()
    fast = mabe_score(small_sol, small_sub)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = load_reference()(small_sol, small_sub)
    t_slow = time.perf_counter() - t0
    print(f"5% subsample ({len(videos)} videos, {len(small_sol):,} bouts): "
          f"vectorised {fast:.12f} in {t_fast * 1000:.0f} ms, "
          f"per-frame reference {slow:.12f} in {t_slow:.1f} s, |diff| = {abs(fast - slow):.2e}")


if __name__ == "__main__":
    main()
