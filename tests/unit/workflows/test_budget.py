"""--budget: the default ensemble shrinks step by step until its estimated time fits."""

from __future__ import annotations

import pytest

from mabe.workflows.budget import (
    MIN_EPOCHS,
    MIN_TREES,
    DataSize,
    describe_plan,
    estimate_minutes,
    plan_budget,
)

SIZE = DataSize(videos=40, grid_frames=40 * 5400, pair_grid_frames=40 * 5400 * 4, native_pair_frames=40 * 5400 * 4,
                native_seconds_pairs=40 * 180 * 4)
NET = {"epochs": 30, "max_windows_per_epoch": 20000, "sequence_length": 128, "val_fraction": 0.2}
TREES = {"n_estimators": 400, "frame_stride_s": 1 / 15, "negative_rate": 0.5}
BOTH = ["network", "lgbm"]


def test_no_budget_shrinks_nothing() -> None:
    plan = plan_budget(SIZE, None, 5, BOTH, NET, TREES)
    assert (plan.folds, plan.members, plan.network, plan.trees, plan.steps) == (5, BOTH, NET, TREES, [])
    assert plan.fits


def test_estimate_grows_with_what_is_trained() -> None:
    base = estimate_minutes(SIZE, 5, BOTH, NET, TREES)
    assert estimate_minutes(SIZE, 3, BOTH, NET, TREES) < base
    assert estimate_minutes(SIZE, 5, ["lgbm"], NET, TREES) < base
    assert estimate_minutes(SIZE, 5, BOTH, NET | {"epochs": 10}, TREES) < base
    assert estimate_minutes(SIZE, 5, BOTH, NET, TREES | {"n_estimators": 100}) < base
    bigger = DataSize(80, *(2 * x for x in (SIZE.grid_frames, SIZE.pair_grid_frames, SIZE.native_pair_frames,
                                            SIZE.native_seconds_pairs)))
    assert estimate_minutes(bigger, 5, BOTH, NET, TREES) > base


def test_a_budget_between_five_and_three_folds_only_drops_folds() -> None:
    five, three = (estimate_minutes(SIZE, k, BOTH, NET, TREES) for k in (5, 3))
    plan = plan_budget(SIZE, (five + three) / 2, 5, BOTH, NET, TREES)
    assert plan.folds == 3 and plan.members == BOTH and plan.network == NET and plan.steps == ["3 folds"]
    assert plan.fits and plan.estimate_minutes <= plan.budget_minutes


def test_tighter_budgets_shrink_epochs_and_trees_then_drop_the_network() -> None:
    three = estimate_minutes(SIZE, 3, BOTH, NET, TREES)
    plan = plan_budget(SIZE, three * 0.6, 5, BOTH, NET, TREES)
    assert plan.fits and plan.folds == 3 and plan.members == BOTH
    assert plan.network["epochs"] < NET["epochs"] and plan.trees["n_estimators"] < TREES["n_estimators"]
    floor = estimate_minutes(SIZE, 3, BOTH, NET | {"epochs": MIN_EPOCHS}, TREES | {"n_estimators": MIN_TREES})
    plan = plan_budget(SIZE, floor * 0.5, 5, BOTH, NET, TREES)
    assert "network dropped" in plan.steps and plan.members == ["lgbm"]


def test_an_impossible_budget_runs_the_smallest_plan_and_says_so() -> None:
    plan = plan_budget(SIZE, 1e-6, 5, BOTH, NET, TREES)
    assert not plan.fits and plan.folds == 2 and plan.members == ["lgbm"]
    assert plan.trees["n_estimators"] == MIN_TREES
    assert plan.to_dict()["fits"] is False


FULL = estimate_minutes(SIZE, 5, BOTH, NET, TREES)
SMALLEST = estimate_minutes(SIZE, 2, ["lgbm"], NET, TREES | {"n_estimators": MIN_TREES})  # the ladder's last rung


@pytest.mark.parametrize("share", [1.0, 0.5, 0.25, 0.1, 0.03, 0.0])
def test_every_budget_the_smallest_plan_fits_gets_a_plan_within_it(share: float) -> None:
    minutes = max(FULL * share, SMALLEST * 1.001)  # share 0: just above the smallest plan
    plan = plan_budget(SIZE, minutes, 5, BOTH, NET, TREES)
    assert plan.fits, plan
    assert estimate_minutes(SIZE, plan.folds, plan.members, plan.network, plan.trees) == plan.estimate_minutes <= minutes
    assert (plan.steps == []) == (share == 1.0), plan.steps  # shrunk exactly when the full plan does not fit


def test_shrinking_never_raises_a_small_setting_to_the_floor() -> None:
    small_net, small_trees = NET | {"epochs": 2}, TREES | {"n_estimators": 15}
    plan = plan_budget(SIZE, 1e-6, 5, BOTH, small_net, small_trees)
    assert plan.trees["n_estimators"] <= 15
    net8 = NET | {"epochs": 8}
    plan = plan_budget(SIZE, 0.99 * estimate_minutes(SIZE, 3, BOTH, net8, small_trees), 5, BOTH, net8, small_trees)
    assert plan.members == BOTH and plan.steps[-1] == f"epochs {MIN_EPOCHS}, trees 15"
    assert plan.network["epochs"] == MIN_EPOCHS and plan.trees["n_estimators"] == 15


@pytest.mark.parametrize("minutes", [1e-6, 5.0, 30.0, 1e6])
def test_the_budget_line_names_the_chosen_plan_not_the_steps_tried(minutes: float) -> None:
    plan = plan_budget(SIZE, minutes, 5, BOTH, NET, TREES).to_dict()
    line = describe_plan(plan)
    assert line.startswith(f"budget {minutes:g} min: {plan['folds']} folds of ")
    assert f"{plan['trees']['n_estimators']} trees per action" in line
    assert ("network" in plan["members"]) == (f"the network ({plan['network']['epochs']} epochs)" in line)
    assert f"estimated {plan['estimate_minutes']:.1f} min" in line
    assert ("over the budget" in line) == (not plan["fits"])
    tried = [step for step in plan["steps"][:-1] if step.startswith(("epochs", "trees"))]  # not the final one
    assert not any(step in line for step in tried), (line, plan["steps"])
