"""Multi-label gradient-boosted trees over actions: one LightGBM binary model per action.

Each action's model is trained only on the rows where that action is
supervised (whitelisted for the row's pair and video, exactly as the
network's loss is masked). Negatives may be subsampled per action at a rate
``r`` while every positive is kept; the model then learns odds ``1 / r``
times too high, and :meth:`ActionTrees.predict_proba` undoes it (prior-shift
correction of the odds: ``logit(p) = raw_score + log(r)``).

The lab is a categorical column appended last (its code is the lab's index
in :attr:`ActionTrees.labs`; a lab the model never saw is "missing").
No file I/O here: a model goes to and from a string (:meth:`ActionTrees.to_string`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FORMAT = "mabe-action-trees"
FORMAT_VERSION = 1
LAB_COLUMN = "lab"


def subsample_negatives(
    y: np.ndarray, use: np.ndarray, rate: float, rng: np.random.Generator
) -> np.ndarray:
    """Keep every supervised positive and a random share ``rate`` of supervised negatives.

    Parameters
    ----------
    y, use
        ``(rows, actions)`` 0/1 targets and bool supervision mask.
    rate
        Share of negatives kept, in ``(0, 1]``.
    rng
        Source of randomness (one uniform draw per entry, so results are reproducible).

    Returns
    -------
    numpy.ndarray
        ``bool (rows, actions)``: the supervised entries that are kept.

    Examples
    --------
    >>> y = np.array([[1], [0], [0], [0]]); use = np.array([[True], [True], [False], [True]])
    >>> subsample_negatives(y, use, 1.0, np.random.default_rng(0)).ravel().tolist()
    [True, True, False, True]
    """
    y = np.asarray(y)
    use = np.asarray(use, dtype=bool)
    if y.shape != use.shape or y.ndim != 2:
        raise ValueError(f"y and use must have the same (rows, actions) shape, got {y.shape} and {use.shape}")
    if not 0.0 < float(rate) <= 1.0:
        raise ValueError(f"rate must be in (0, 1], got {rate}")
    keep = rng.random(y.shape) < float(rate)
    return use & ((y > 0) | keep)


@dataclass
class ActionTrees:
    """Fitted per-action tree models.

    Attributes
    ----------
    actions
        The action vocabulary (output column order).
    feature_names
        Names of the input columns (without the lab, which is added inside).
    labs
        Lab ids seen in training; the lab code is the index in this list.
    boosters
        Action -> LightGBM booster, or ``None`` when the action had no
        positive or no negative training row (then :attr:`constants` is used).
    constants
        Action -> probability used when there is no booster.
    negative_rates
        Action -> share of negatives kept in training (corrected for at prediction).
    info
        Action -> training facts (rows, positives, best iteration, validation loss).
    """

    actions: list[str]
    feature_names: list[str]
    labs: list[str]
    boosters: dict[str, Any] = field(default_factory=dict)
    constants: dict[str, float] = field(default_factory=dict)
    negative_rates: dict[str, float] = field(default_factory=dict)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)

    def lab_code(self, lab_id: str) -> float:
        """Index of ``lab_id`` in :attr:`labs`, NaN (missing) for an unseen lab."""
        return float(self.labs.index(lab_id)) if lab_id in self.labs else float("nan")

    def design(self, x: np.ndarray, lab_codes: np.ndarray | float) -> np.ndarray:
        """``x`` with the lab-code column appended (``float32 (rows, D + 1)``)."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(
                f"x must have shape (rows, {len(self.feature_names)}), got {x.shape}"
            )
        codes = np.broadcast_to(np.asarray(lab_codes, dtype=np.float32), (x.shape[0],))
        return np.concatenate([x, codes[:, None]], axis=1)

    def predict_proba(self, x: np.ndarray, lab_id: str) -> np.ndarray:
        """Calibrated probability of every action for rows of one lab.

        Parameters
        ----------
        x
            ``(rows, len(feature_names))``.
        lab_id
            The rows' lab.

        Returns
        -------
        numpy.ndarray
            ``float32 (rows, len(actions))``, corrected for negative subsampling.
        """
        from scipy.special import expit  # heavy (half a second): only tree prediction needs it

        data = self.design(x, self.lab_code(lab_id))
        out = np.empty((data.shape[0], len(self.actions)), dtype=np.float32)
        for a, action in enumerate(self.actions):
            booster = self.boosters.get(action)
            if booster is None or data.shape[0] == 0:
                out[:, a] = self.constants.get(action, 0.0)
                continue
            raw = booster.predict(data, raw_score=True)
            out[:, a] = expit(raw + np.log(self.negative_rates.get(action, 1.0)))
        return out

    def feature_importance(self) -> dict[str, dict[str, float]]:
        """Return action -> feature name (lab included) -> total gain."""
        names = [*self.feature_names, LAB_COLUMN]
        out: dict[str, dict[str, float]] = {}
        for action in self.actions:
            booster = self.boosters.get(action)
            gains = booster.feature_importance("gain") if booster is not None else np.zeros(len(names))
            out[action] = {n: float(g) for n, g in zip(names, gains, strict=True)}
        return out

    def to_string(self) -> str:
        """Serialise the whole model as one JSON text (boosters in LightGBM's text format)."""
        record = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "actions": self.actions,
            "feature_names": self.feature_names,
            "labs": self.labs,
            "constants": self.constants,
            "negative_rates": self.negative_rates,
            "info": self.info,
            "boosters": {
                a: (b.model_to_string() if b is not None else None) for a, b in self.boosters.items()
            },
        }
        return json.dumps(record)

    @classmethod
    def from_string(cls, text: str) -> ActionTrees:
        """Inverse of :meth:`to_string`.

        Raises
        ------
        ValueError
            If the text is not a model written by :meth:`to_string`.
        """
        import lightgbm as lgb

        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a tree model ({exc})") from None
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise ValueError("not a tree model written by mabe")
        if int(record.get("version", 0)) > FORMAT_VERSION:
            raise ValueError(f"tree model format {record['version']} is newer than this mabe reads")
        boosters = {
            a: (lgb.Booster(model_str=s) if s is not None else None)
            for a, s in record["boosters"].items()
        }
        return cls(
            list(record["actions"]),
            list(record["feature_names"]),
            list(record["labs"]),
            boosters,
            {k: float(v) for k, v in record["constants"].items()},
            {k: float(v) for k, v in record["negative_rates"].items()},
            dict(record.get("info", {})),
        )


def lgbm_params(
    num_leaves: int = 31,
    learning_rate: float = 0.05,
    min_data_in_leaf: int = 20,
    feature_fraction: float = 0.8,
    bagging_fraction: float = 0.8,
    lambda_l2: float = 1.0,
    max_bin: int = 63,
    num_threads: int = 1,
    seed: int = 0,
) -> dict[str, Any]:
    """LightGBM parameters of one action's binary model (deterministic, quiet).

    Examples
    --------
    >>> lgbm_params(num_threads=2)["num_threads"], lgbm_params()["deterministic"]
    (2, True)
    """
    return {
        "objective": "binary",
        "metric": ["binary_logloss"],
        "num_leaves": int(num_leaves),
        "learning_rate": float(learning_rate),
        "min_data_in_leaf": int(min_data_in_leaf),
        "min_sum_hessian_in_leaf": 1e-3,
        "feature_fraction": float(feature_fraction),
        "bagging_fraction": float(bagging_fraction),
        "bagging_freq": 1 if bagging_fraction < 1.0 else 0,
        "lambda_l2": float(lambda_l2),
        "max_bin": int(max_bin),
        "num_threads": int(num_threads),
        "seed": int(seed),
        "deterministic": True,
        "force_col_wise": True,
        "verbose": -1,
    }


def _train(
    params: Mapping[str, Any],
    train: tuple[np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray] | None,
    rounds: int,
    patience: int,
) -> tuple[Any, int, float | None]:
    """One binary booster; with ``valid``, early stopping on its log loss. Returns (booster, best, loss)."""
    import lightgbm as lgb

    categorical = [train[0].shape[1] - 1]  # the lab code, appended last by ActionTrees.design
    train_set = lgb.Dataset(
        train[0], train[1], categorical_feature=categorical, free_raw_data=True,
        params={"max_bin": params.get("max_bin", 255), "verbose": -1},
    )
    valid_sets: list[Any] = []
    callbacks: list[Any] = []
    if valid is not None:
        valid_sets = [lgb.Dataset(valid[0], valid[1], reference=train_set)]
        callbacks = [lgb.early_stopping(patience, first_metric_only=True, verbose=False)]
    booster = lgb.train(
        dict(params), train_set, num_boost_round=int(rounds),
        valid_sets=valid_sets, valid_names=["valid"] * len(valid_sets), callbacks=callbacks,
    )
    best = int(booster.best_iteration or booster.current_iteration())
    loss = float(booster.best_score["valid"]["binary_logloss"]) if valid_sets else None
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best)), best, loss


def _held_out_groups(groups: np.ndarray, fraction: float, seed: int) -> np.ndarray | None:
    """Bool mask of the rows whose group (video) is held out, or None with fewer than 2 groups."""
    unique = np.unique(groups)
    if len(unique) < 2 or fraction <= 0:
        return None
    n_held = min(len(unique) - 1, max(1, round(fraction * len(unique))))
    held = np.random.default_rng(seed).choice(unique, n_held, replace=False)
    return np.isin(groups, held)


def fit_action_trees(
    x: np.ndarray,
    y: np.ndarray,
    use: np.ndarray,
    lab_codes: np.ndarray,
    actions: Sequence[str],
    feature_names: Sequence[str],
    labs: Sequence[str],
    negative_rates: Mapping[str, float],
    params: Mapping[str, Any],
    n_estimators: int = 500,
    early_stopping_rounds: int = 30,
    valid: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    groups: np.ndarray | None = None,
    internal_valid_fraction: float = 0.2,
) -> ActionTrees:
    """Fit one binary LightGBM model per action on its supervised rows.

    Parameters
    ----------
    x
        ``(rows, D)`` features (rows of every pair and video pooled).
    y
        ``(rows, A)`` 0/1 targets.
    use
        ``(rows, A)`` bool: the rows each action is trained on (whitelisted
        and kept by :func:`subsample_negatives`).
    lab_codes
        ``(rows,)`` lab code of each row (index into ``labs``).
    actions, feature_names, labs
        Column meanings.
    negative_rates
        Action -> share of negatives that was kept (recorded for the correction).
    params
        :func:`lgbm_params`.
    n_estimators, early_stopping_rounds
        Boosting rounds at most, and patience on the validation loss.
    valid
        ``(x, y, use, lab_codes)`` of validation rows for early stopping
        (same column meanings), or ``None``.
    groups
        ``(rows,)`` group (video) of each training row. An action without
        validation rows then stops early on ``internal_valid_fraction`` of
        its groups held out, and is refitted on all its rows for the number
        of rounds found (``info[action]["valid"] == "internal"``). Without
        groups such an action trains all ``n_estimators`` rounds.
    internal_valid_fraction
        Share of groups held out for that internal early stopping (0: never).

    Returns
    -------
    ActionTrees
    """
    x = np.asarray(x, dtype=np.float32)
    y, use = np.asarray(y), np.asarray(use, dtype=bool)
    n_actions = len(actions)
    if x.ndim != 2 or x.shape[1] != len(feature_names):
        raise ValueError(f"x must have shape (rows, {len(feature_names)}), got {x.shape}")
    if y.shape != (x.shape[0], n_actions) or use.shape != y.shape:
        raise ValueError(f"y and use must have shape {(x.shape[0], n_actions)}, got {y.shape}, {use.shape}")
    if groups is not None and np.shape(groups) != (x.shape[0],):
        raise ValueError(f"groups must have shape ({x.shape[0]},), got {np.shape(groups)}")
    model = ActionTrees(list(actions), list(feature_names), list(labs))
    data = model.design(x, lab_codes)
    vdata = model.design(valid[0], valid[3]) if valid is not None else None
    for a, action in enumerate(actions):
        rate = float(negative_rates.get(action, 1.0))
        rows = np.flatnonzero(use[:, a])
        target = (y[rows, a] > 0).astype(np.float32)
        n_pos, n_neg = int(target.sum()), int(len(target) - target.sum())
        model.negative_rates[action] = rate
        facts: dict[str, Any] = {"rows": len(rows), "positives": n_pos, "negatives": n_neg}
        if n_pos == 0 or n_neg == 0:
            # nothing to separate: the (corrected) base rate
            model.boosters[action] = None
            model.constants[action] = float(n_pos / (n_pos + n_neg / rate)) if len(rows) else 0.0
            model.info[action] = facts | {"best_iteration": 0, "valid": "none"}
            continue
        vrows = np.flatnonzero(valid[2][:, a]) if valid is not None else np.zeros(0, int)
        held = None
        if not len(vrows) and groups is not None:
            held = _held_out_groups(np.asarray(groups)[rows], internal_valid_fraction, int(params.get("seed", 0)) + a)
            if held is not None and len(np.unique(target[~held])) < 2:
                held = None  # the kept part must still hold both classes
        if len(vrows) and valid is not None and vdata is not None:
            vtarget = (valid[1][vrows, a] > 0).astype(np.float32)
            booster, best, loss = _train(
                params, (data[rows], target), (vdata[vrows], vtarget), n_estimators, early_stopping_rounds
            )
            facts |= {"valid": "external", "valid_rows": len(vrows), "valid_logloss": loss}
        elif held is not None:
            _, best, loss = _train(
                params, (data[rows[~held]], target[~held]), (data[rows[held]], target[held]),
                n_estimators, early_stopping_rounds,
            )
            booster, best, _ = _train(params, (data[rows], target), None, best, early_stopping_rounds)
            facts |= {"valid": "internal", "valid_rows": int(held.sum()), "valid_logloss": loss}
        else:
            booster, best, _ = _train(params, (data[rows], target), None, n_estimators, early_stopping_rounds)
            facts["valid"] = "none"
        model.boosters[action] = booster
        model.constants[action] = float(n_pos / (n_pos + n_neg / rate))
        model.info[action] = facts | {"best_iteration": best}
    return model
