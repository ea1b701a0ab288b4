"""Cross-fitting (``mabe cv`` and the default ``mabe train``): fold models, out-of-fold probabilities, scores.

For each of K folds (grouped by video or by lab, :func:`mabe.training.folds.make_folds`)
every member is trained on the other folds (early stopping / best checkpoint
on a seeded inner split of those folds, never on fold ``k``), then predicts
fold ``k``'s videos one at a time into ``RUN/oof/``. The out-of-fold
probabilities then give honest fold scores (:mod:`mabe.workflows.cv_scores`),
per-action blend weights, and decoding tuned on every training video.

The run directory is an ensemble run (layout in :mod:`mabe.workflows.ensemble`)::

    RUN/cv_plan.json               folds, member settings, the data's fingerprint (--resume continues it)
    RUN/members/<name>/fold<k>/    fold models
    RUN/oof/<name>/<video_id>.npz  out-of-fold probabilities
    RUN/cv.json                    scores
    RUN/candidates.json            every candidate's weights and decoding tuned on all out-of-fold videos
    RUN/decode.json, RUN/ensemble.json, RUN/summary.json (last: the run is finished)

An attempt that fails before anything is worth keeping removes what it
created, so the same command runs again; one that kept work says
``--resume``; ``--resume`` refuses data that changed since
(:mod:`mabe.workflows.cv_dir`).

Workflows return data; only :mod:`mabe.cli.cv_cmd` prints.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mabe.config import load_config
from mabe.data.io import MabeDataset
from mabe.errors import ConfigError, MabeError
from mabe.fileio import atomic_write_json, atomic_write_text, json_safe
from mabe.progress import track
from mabe.training.folds import make_folds
from mabe.training.labels import action_vocabulary
from mabe.training.prepare import labelled_metas
from mabe.training.run import Run
from mabe.training.split import split_videos
from mabe.workflows.blend import BlendStats, video_truth, whitelisted_only
from mabe.workflows.cv_dir import DATA_KEY, Attempt, check_run_dir, data_fingerprint
from mabe.workflows.cv_scores import cross_validate
from mabe.workflows.ensemble import EnsembleRecord, MemberRecord, member_fold
from mabe.workflows.members import (
    MEMBER_KINDS,
    MemberSpec,
    fit_member,
    load_member,
    member_finished,
    tree_settings,
)
from mabe.workflows.oof import load_oof, oof_path, save_oof
from mabe.workflows.recommend import recommended_config

CANDIDATES_FILE = "candidates.json"
"""Each candidate (member alone, blend) with its weights and decoding tuned on every out-of-fold video."""
DEFAULT_MEMBERS: tuple[str, ...] = ("network", "lgbm")
INNER_VAL_FRACTION = 0.2
"""Share of a fold model's training videos held out for its early stopping (when the network config gives none)."""


def member_specs(
    dataset: MabeDataset,
    members: Sequence[str],
    config_path: Path | str | None = None,
    overrides: Sequence[str] = (),
) -> list[MemberSpec]:
    """Return the members to train.

    The network comes from ``--config`` (or the recommended config) and
    ``--set``; the trees from their defaults and ``--set lgbm.KEY=VALUE``
    overrides.
    """
    members = list(dict.fromkeys(members))
    unknown = [m for m in members if m not in MEMBER_KINDS]
    if unknown or not members:
        raise ConfigError(f"--members: unknown {', '.join(unknown) or '(none)'}; choose from {', '.join(MEMBER_KINDS)}")
    tree_sets = [o.split(".", 1)[1] for o in overrides if o.startswith("lgbm.")]
    net_sets = [o for o in overrides if not o.startswith("lgbm.")]
    specs = []
    for kind in members:
        if kind == "network":
            if config_path is None:
                config = recommended_config(dataset, net_sets)
            else:
                config = load_config(config_path, net_sets, data_dir=dataset.root)
            specs.append(MemberSpec("network", "network", config.to_dict()))
        else:
            specs.append(MemberSpec("lgbm", "lgbm", tree_settings(tree_sets)))
    return specs


def _inner_fraction(spec_list: Sequence[MemberSpec]) -> float:
    for spec in spec_list:
        if spec.kind == "network":
            return float(spec.settings.get("val_fraction") or INNER_VAL_FRACTION)
    return INNER_VAL_FRACTION


def run_cv(
    data: Path | str,
    out: Path | str,
    folds: int = 5,
    group_by: str = "video",
    config_path: Path | str | None = None,
    overrides: Sequence[str] = (),
    members: Sequence[str] = DEFAULT_MEMBERS,
    seed: int = 0,
    resume: bool = False,
    specs: list[MemberSpec] | None = None,
    cache_dir: Path | str | None = None,
    extra: dict[str, Any] | None = None,
    started: float | None = None,
) -> dict[str, Any]:
    """Cross-fit every member, score honestly, and leave a ready-to-predict ensemble run in ``out``.

    Parameters
    ----------
    data, out
        Dataset and (new) run directory.
    folds, group_by, seed
        The folds (:func:`mabe.training.folds.make_folds`).
    config_path, overrides, members
        What to train (:func:`member_specs`); ``specs`` replaces them when given
        (``mabe train --budget`` passes shrunk ones).
    resume
        Continue an unfinished run with the same plan and data (finished fold
        models and out-of-fold files are kept; an unfinished network fold
        continues from its last checkpoint).
    cache_dir
        The trees' per-video feature cache, shared by every fold; default
        ``$MABE_CACHE_DIR``, else ``RUN/feature_cache``.
    extra
        More keys for ``cv.json`` and ``summary.json`` (e.g. the budget plan).
    started
        ``time.perf_counter()`` when the job began (the CLI passes its start, so
        imports and planning count in ``wall_time_sec``); default: now.

    Returns
    -------
    dict
        The content of ``RUN/cv.json``: ``score_mean``, ``score_std``,
        ``oof_score``, ``per_lab``, ``per_lab_action`` and ``fold_scores`` of the
        ensemble; ``folds`` (each with ``fold``, ``score``, ``choice``,
        ``scores`` per candidate and ``video_ids``); ``by_model`` (the same
        breakdown per member and for ``blend``); ``tuned_oof_score`` per
        candidate; ``selected``, ``blend_weights``, ``members``, ``n_folds``,
        ``group_by``, ``wall_time_sec`` (this attempt, from ``started``),
        ``fold_models`` and ``fold_models_reused`` (finished by an earlier attempt).

    Raises
    ------
    MabeError
        If ``out`` may not be written (:func:`mabe.workflows.cv_dir.check_run_dir`).
    """
    started = time.perf_counter() if started is None else started
    out = Path(out)
    dataset = MabeDataset(data)
    metas = labelled_metas(dataset, "train")
    actions = action_vocabulary(metas)
    if not actions:
        raise MabeError(f"{dataset.root / 'train.csv'}: the training videos' behaviors_labeled name no action")
    specs = specs if specs is not None else member_specs(dataset, members, config_path, overrides)
    fold_ids = make_folds(metas, folds, group_by, seed)
    plan = {
        "n_folds": folds,
        "group_by": group_by,
        "seed": seed,
        "folds": fold_ids,
        "members": [{"name": s.name, "kind": s.kind, "settings": s.settings} for s in specs],
        DATA_KEY: data_fingerprint(dataset, metas),
    }
    check_run_dir(out, plan, resume, cache_dir)
    with Attempt(out, cache_dir):
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(Run(out).plan_path, json.dumps(plan, indent=2, default=str) + "\n")
        return _cross_fit(out, dataset, metas, actions, specs, fold_ids, plan, cache_dir, started, extra)


def _cross_fit(
    out: Path,
    dataset: MabeDataset,
    metas: list,
    actions: list[str],
    specs: list[MemberSpec],
    fold_ids: list,
    plan: dict[str, Any],
    cache_dir: Path | str | None,
    started: float,
    extra: dict[str, Any] | None,
) -> dict[str, Any]:
    """Train every fold model not yet finished, predict out of fold, score, and write the ensemble run."""
    folds, group_by, seed = plan["n_folds"], plan["group_by"], plan["seed"]

    by_id = {m.video_id: m for m in metas}
    if cache_dir is not None:
        cache_dir = Path(cache_dir)
    elif not os.environ.get("MABE_CACHE_DIR"):
        cache_dir = out / "feature_cache"
    fraction = _inner_fraction(specs)
    fit_times: dict[str, float] = {s.name: 0.0 for s in specs}
    reused = 0
    for k, fold in enumerate(fold_ids):
        held = set(fold)
        pool = [m for m in metas if m.video_id not in held]
        inner_by = group_by if len({m.lab_id for m in pool}) > 1 else "video"
        train_metas, valid_metas = split_videos(pool, fraction, inner_by, seed + k)
        for spec in specs:
            fold_dir = out / member_fold(spec.name, k)
            t0 = time.perf_counter()
            if member_finished(spec.kind, fold_dir):
                reused += 1
            else:
                fit_member(spec, dataset, train_metas, valid_metas, actions, fold_dir, cache_dir)
            fit_times[spec.name] += time.perf_counter() - t0
            todo = [by_id[v] for v in fold if not oof_path(out, spec.name, v).is_file()]
            if todo:
                predictor = load_member(spec.kind, fold_dir)
                for meta in track(todo, f"fold {k + 1}/{folds}: {spec.name} out of fold"):
                    save_oof(out, spec.name, whitelisted_only(predictor.predict(dataset.load_video(meta))), k)

    report, final, choices = _score_run(out, dataset, metas, fold_ids, specs, actions)
    candidates = {
        c: {"weights": ch.weights, "decode": ch.params.to_dict(), "tuned_oof_score": ch.tuned_score}
        for c, ch in choices.items()
    }
    atomic_write_json(out / CANDIDATES_FILE, candidates)
    report |= {
        "members": [s.name for s in specs],
        "n_folds": folds,
        "group_by": group_by,
        "n_videos": len(metas),
        "fit_time_sec": {k: round(v, 1) for k, v in fit_times.items()},
        "fold_models": len(specs) * folds,
        "fold_models_reused": reused,
        "wall_time_sec": round(time.perf_counter() - started, 1),
        **(extra or {}),
    }
    safe = json_safe(report)
    run = Run(out)
    atomic_write_json(run.cv_path, safe)
    final.params.save(run.decode_path)
    EnsembleRecord(
        members=[
            MemberRecord(
                name=s.name,
                kind=s.kind,
                folds=[member_fold(s.name, k) for k in range(folds)],
                settings=json.loads(json.dumps(s.settings, default=str)),
            )
            for s in specs
        ],
        actions=actions,
        weights=final.weights,
        selected=final.candidate,
        n_folds=folds,
        group_by=group_by,
        seed=seed,
        folds=fold_ids,
    ).save(out)
    summary = {
        "status": "finished",
        "kind": "ensemble",
        "selected": final.candidate,
        "tuned_oof_score": final.tuned_score,
        "cv_score_mean": report["score_mean"],
        "cv_score_std": report["score_std"],
        "members": [s.name for s in specs],
        "n_folds": folds,
        "group_by": group_by,
        "actions": actions,
        "data": {"data_dir": str(dataset.root), "train_video_ids": sorted(by_id), "videos_train": len(metas)},
        "fold_models_reused": reused,
        "wall_time_sec": report["wall_time_sec"],
        **(extra or {}),
    }
    atomic_write_json(run.summary_path, summary)
    return safe


def _score_run(out: Path, dataset: MabeDataset, metas, fold_ids, specs, actions):
    """Read every out-of-fold file once: blend statistics, then honest scores and the final choice."""
    fold_of = {v: k for k, f in enumerate(fold_ids) for v in f}
    names = [s.name for s in specs]
    stats = BlendStats(names, len(fold_ids))
    oof: dict[str, dict[int, Any]] = {n: {} for n in names}
    for meta in track(metas, "reading out-of-fold probabilities"):
        per_member = {}
        for name in names:
            vp, fold = load_oof(oof_path(out, name, meta.video_id))
            if fold != fold_of[meta.video_id]:
                raise MabeError(f"{oof_path(out, name, meta.video_id)}: written for fold {fold}, the plan says {fold_of[meta.video_id]}")
            per_member[name] = oof[name][meta.video_id] = vp
        if len(names) > 1:
            annotations = dataset.load_annotations(meta)
            truth = video_truth(per_member[names[0]], annotations, set(meta.behaviors_labeled))
            stats.add(fold_of[meta.video_id], per_member, truth)
    solution = dataset.solution("train", progress=False)
    return cross_validate(oof, fold_ids, actions, stats, solution)

