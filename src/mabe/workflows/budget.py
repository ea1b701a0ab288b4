"""``mabe train --budget MINUTES``: shrink the default ensemble until its estimated time fits.

The estimate is a rough linear cost model of what the default trains,
calibrated on 2 shared CPU cores (``OMP_NUM_THREADS=1``) on the synthetic
labs and the CalMS21 windows (see ``benchmarks/bench_quality.py``):

* network, per fold: ``epochs * windows_per_epoch * sequence_length * NET_TRAIN``
  (windows per epoch: ``max_windows_per_epoch`` or the windows the fold has)
  plus its validation pass each epoch and the out-of-fold pass, both
  ``pair_grid_frames * NET_PREDICT``, plus ``NET_FIXED`` seconds of set-up;
* trees: features of every video once (cached), ``native pair-frames *
  TREE_FEATURES``, and per fold ``rows * n_estimators * TREE_FIT`` where rows
  are the pair-frames sampled every ``frame_stride_s`` seconds, negatives
  kept at ``negative_rate``; plus the out-of-fold pass;
* decoding tuned ``(members + blend) * (folds + 1)`` times, each
  ``whitelisted entries * TUNE_ENTRY``.

These constants were read off a quick ``bench_quality`` run on a busy
2-core machine (load about 9); an idle machine is faster, so the plan errs
on the safe side.

Shrinking goes step by step, stopping at the first plan that fits:
5 -> 3 folds; then halve the network's epochs (not below
:data:`MIN_EPOCHS`) and the trees' ``n_estimators`` (not below
:data:`MIN_TREES`) until both are at their floor; then drop the network
(trees are the cheaper member per unit of score on small data) and give
the trees their ``n_estimators`` back, halving them again only if needed;
then 2 folds. If even that does not fit, the smallest plan runs and the plan says
so. Without ``--budget`` nothing is shrunk.

Examples
--------
>>> size = DataSize(videos=10, grid_frames=54_000, pair_grid_frames=216_000, native_pair_frames=216_000,
...                 native_seconds_pairs=7_200, native_entries=648_000)  # 10 x 3 min, 2 mice, 3 actions
>>> net = {"epochs": 15, "max_windows_per_epoch": 2000, "sequence_length": 128, "val_fraction": 0.2}
>>> trees = {"n_estimators": 400, "frame_stride_s": 0.0667, "negative_rate": 0.5}
>>> round(estimate_minutes(size, 5, ["network", "lgbm"], net, trees))
44
>>> plan = plan_budget(size, 10, folds=5, members=["network", "lgbm"], network=net, trees=trees)
>>> plan.folds, plan.members, plan.network["epochs"], plan.trees["n_estimators"]
(3, ['network', 'lgbm'], 4, 100)
>>> plan = plan_budget(size, 4, folds=5, members=["network", "lgbm"], network=net, trees=trees)
>>> plan.folds, plan.members, plan.trees["n_estimators"], plan.fits
(3, ['lgbm'], 100, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mabe.data.io import MabeDataset

GRID_FPS = 30.0
"""The network's time grid (the recommended config resamples to 30 fps)."""
NET_TRAIN = 6.0e-5
"""Seconds per training window-frame of the recommended small network."""
NET_PREDICT = 2.0e-5
"""Seconds per (pair, grid frame) of a forward pass, features included."""
NET_FIXED = 5.0
"""Seconds of set-up per network fold (sample stores, checkpoints)."""
TREE_FEATURES = 2.5e-5
"""Seconds per (pair, native frame) of tree features (context windows)."""
TREE_FIT = 1.5e-5
"""Seconds per (training row, tree), all actions' models together (LightGBM, one thread)."""
TREE_PREDICT = 5.0e-6
"""Seconds per (pair, native frame) of tree prediction, features excluded."""
TUNE_ENTRY = 6.0e-6
"""Seconds per whitelisted (frame, pair, action) entry of one decoding tuning."""
MIN_EPOCHS = 4
MIN_TREES = 50


@dataclass(frozen=True)
class DataSize:
    """What the cost model needs to know about the labelled training videos."""

    videos: int
    grid_frames: float
    pair_grid_frames: float
    native_pair_frames: float
    native_seconds_pairs: float = 0.0
    native_entries: float = 0.0

    @classmethod
    def of(cls, dataset: MabeDataset) -> DataSize:
        """Sizes from the metadata only (durations, fps, mice)."""
        metas = [m for m in dataset.metas("train") if m.behaviors_labeled]
        grid = pairs_grid = native = secs = entries = 0.0
        for m in metas:
            duration = float(m.duration_sec)
            if not math.isfinite(duration) or duration <= 0:
                duration = 600.0
            pairs = m.n_mice**2
            grid += duration * GRID_FPS
            pairs_grid += duration * GRID_FPS * pairs
            native += duration * float(m.fps) * pairs
            secs += duration * pairs
            entries += duration * float(m.fps) * pairs * len({a for _, _, a in m.behaviors_labeled})
        return cls(len(metas), grid, pairs_grid, native, secs, entries)


@dataclass
class BudgetPlan:
    """What the default ensemble trains under a budget, and why."""

    folds: int
    members: list[str]
    network: dict[str, Any]
    trees: dict[str, Any]
    estimate_minutes: float
    budget_minutes: float | None
    steps: list[str] = field(default_factory=list)
    fits: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "folds": self.folds,
            "members": list(self.members),
            "network": dict(self.network),
            "trees": dict(self.trees),
            "estimate_minutes": round(self.estimate_minutes, 2),
            "budget_minutes": self.budget_minutes,
            "steps": list(self.steps),
            "fits": self.fits,
        }


def estimate_minutes(size: DataSize, folds: int, members: Sequence[str], network: dict, trees: dict) -> float:
    """Estimated wall time of cross-fitting ``members`` over ``folds`` (minutes)."""
    seconds = 0.0
    train_share = (folds - 1) / folds
    if "network" in members:
        val = float(network.get("val_fraction") or 0.2)
        length = int(network.get("sequence_length") or 128)
        stride = int(network.get("window_stride") or max(1, length // 2))
        available = size.pair_grid_frames * train_share * (1 - val) / stride
        windows = min(float(network.get("max_windows_per_epoch") or available), max(available, 1.0))
        epochs = int(network.get("epochs") or 1)
        per_epoch = windows * length * NET_TRAIN + size.pair_grid_frames * train_share * val * NET_PREDICT
        # fold models: training + validation, features of the pool; then each video once out of fold
        seconds += folds * (epochs * per_epoch + NET_FIXED + size.pair_grid_frames * train_share * NET_PREDICT)
        seconds += size.pair_grid_frames * NET_PREDICT
    if "lgbm" in members:
        stride_s = float(trees.get("frame_stride_s") or 0.0)
        rows_per_s = 1.0 / stride_s if stride_s > 0 else 30.0
        rows = size.native_seconds_pairs * rows_per_s * float(trees.get("negative_rate") or 1.0) * train_share
        seconds += size.native_pair_frames * TREE_FEATURES  # cached: once for all folds
        seconds += folds * rows * int(trees.get("n_estimators") or 1) * TREE_FIT
        seconds += size.native_pair_frames * (TREE_FEATURES + TREE_PREDICT)
    # decoding tuned per candidate (members, blend) on the other folds of each fold, then on all
    n_candidates = len(members) + (len(members) > 1)
    seconds += n_candidates * folds * size.native_entries * train_share * TUNE_ENTRY
    seconds += n_candidates * size.native_entries * TUNE_ENTRY
    return seconds / 60.0


def plan_budget(
    size: DataSize,
    minutes: float | None,
    folds: int,
    members: Sequence[str],
    network: dict[str, Any],
    trees: dict[str, Any],
) -> BudgetPlan:
    """Return the largest plan on the shrinking ladder whose estimate fits ``minutes`` (``None``: no shrinking)."""
    members = list(members)
    network, trees = dict(network), dict(trees)
    original_trees = trees.get("n_estimators")

    def make(steps: list[str]) -> BudgetPlan:
        est = estimate_minutes(size, folds, members, network, trees)
        return BudgetPlan(folds, list(members), dict(network), dict(trees), est, minutes, list(steps),
                          minutes is None or est <= minutes)

    steps: list[str] = []
    plan = make(steps)
    if minutes is None or plan.fits:
        return plan
    if folds > 3:
        folds = 3
        steps.append("3 folds")
        if (plan := make(steps)).fits:
            return plan
    while True:
        epochs = int(network.get("epochs") or MIN_EPOCHS)
        n_trees = int(trees.get("n_estimators") or MIN_TREES)
        if epochs <= MIN_EPOCHS and n_trees <= MIN_TREES:
            break
        # halved down to the floor, never raised to it (a user's 2 epochs stay 2)
        network["epochs"] = min(epochs, max(MIN_EPOCHS, epochs // 2))
        trees["n_estimators"] = min(n_trees, max(MIN_TREES, n_trees // 2))
        steps.append(f"epochs {network['epochs']}, trees {trees['n_estimators']}")
        if (plan := make(steps)).fits:
            return plan
    if len(members) > 1 and "network" in members:
        members.remove("network")
        trees["n_estimators"] = original_trees  # the network's share of the time goes to the trees
        steps.append("network dropped")
        if (plan := make(steps)).fits:
            return plan
        while int(trees.get("n_estimators") or MIN_TREES) > MIN_TREES:
            trees["n_estimators"] = max(MIN_TREES, int(trees["n_estimators"]) // 2)
            steps.append(f"trees {trees['n_estimators']}")
            if (plan := make(steps)).fits:
                return plan
    if folds > 2:
        folds = 2
        steps.append("2 folds")
    return make(steps)


def describe_plan(plan: Mapping[str, Any]) -> str:
    """Say in words which plan a budget chose (folds, members, epochs, trees) and its estimate.

    ``plan`` is :meth:`BudgetPlan.to_dict` (as ``summary.json`` keeps it).

    Examples
    --------
    >>> plan = {"folds": 3, "members": ["network", "lgbm"], "network": {"epochs": 4}, "trees": {"n_estimators": 100},
    ...         "estimate_minutes": 9.81, "budget_minutes": 10, "steps": ["3 folds", "epochs 4, trees 100"], "fits": True}
    >>> describe_plan(plan)
    'budget 10 min: 3 folds of the network (4 epochs) and LightGBM (100 trees per action); estimated 9.8 min'
    >>> describe_plan(plan | {"members": ["lgbm"], "folds": 2, "steps": ["network dropped", "2 folds"],
    ...                       "estimate_minutes": 0.42, "budget_minutes": 0.1, "fits": False})
    'budget 0.1 min: 2 folds of LightGBM alone (100 trees per action; the network dropped); estimated 0.4 min, over the budget: the smallest plan there is'
    >>> describe_plan(plan | {"steps": [], "estimate_minutes": 44.0, "budget_minutes": 60})
    'budget 60 min: 3 folds of the network (4 epochs) and LightGBM (100 trees per action), as without a budget; estimated 44.0 min'
    """
    members = list(plan["members"])
    parts = []
    if "network" in members:
        parts.append(f"the network ({plan['network'].get('epochs')} epochs)")
    if "lgbm" in members:
        dropped = "; the network dropped" if "network dropped" in plan.get("steps", ()) else ""
        alone = " alone" if len(members) == 1 else ""
        parts.append(f"LightGBM{alone} ({plan['trees'].get('n_estimators')} trees per action{dropped})")
    text = f"budget {plan['budget_minutes']:g} min: {plan['folds']} folds of {' and '.join(parts)}"
    if not plan.get("steps"):
        text += ", as without a budget"
    text += f"; estimated {plan['estimate_minutes']:.1f} min"
    if not plan.get("fits", True):
        text += ", over the budget: the smallest plan there is"
    return text
