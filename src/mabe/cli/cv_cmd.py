"""``mabe cv``: cross-validate members (network, trees) and their blend, grouped by video or lab."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer


def cv(
    data: Path = typer.Option(..., "--data", help="Dataset directory (its train split is cross-validated)."),
    out: Path = typer.Option(..., "--out", help="Run directory for fold models, out-of-fold probabilities and cv.json."),
    folds: int = typer.Option(5, "--folds", help="Number of folds."),
    group_by: str = typer.Option("video", "--group-by", help="video, or lab for cross-lab estimates."),
    config: Path | None = typer.Option(
        None, "--config", help="Network YAML config; default: the recommended config for this data."
    ),
    overrides: list[str] = typer.Option(
        [], "--set", help="Override a network config key (--set epochs=5) or a tree setting (--set lgbm.KEY=V)."
    ),
    members: str = typer.Option("network,lgbm", "--members", help="Comma-separated members: network, lgbm."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Tree feature cache shared across runs (default $MABE_CACHE_DIR, else RUN/feature_cache)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the folds."),
    resume: bool = typer.Option(False, "--resume", help="Continue an unfinished run in --out."),
    as_json: bool = typer.Option(False, "--json", help="Print cv.json's object instead of tables."),
) -> None:
    """Cross-fit each member on K-1 folds, predict the held-out fold, and score every fold honestly.

    Writes RUN/cv.json (and an ensemble run that mabe predict can use).
    A run that fails before anything is worth keeping leaves nothing behind;
    one that kept fold models says so and continues with --resume.
    """
    started = time.perf_counter()
    from mabe.workflows.cv import run_cv

    names = [m.strip() for m in members.split(",") if m.strip()]
    result = run_cv(data, out, folds=folds, group_by=group_by, config_path=config, overrides=overrides,
                    members=names, seed=seed, resume=resume, cache_dir=cache_dir, started=started)
    if as_json:
        typer.echo(json.dumps(result))
        return
    print_cv(result)


def print_cv(result: dict) -> None:
    """Tables of a cv.json object: per fold, per model, per lab, then the headline."""
    import pandas as pd

    from mabe.cli.tables import print_table

    models = list(result["by_model"])
    rows = [
        {"fold": r["fold"], "videos": len(r["video_ids"]), **{m: r["scores"].get(m) for m in models},
         "ensemble": r["score"], "choice": r["choice"]}
        for r in result["folds"]
    ]
    print_table(pd.DataFrame(rows), title="MABe score per fold")
    summary = [
        {"model": m, "mean": b["score_mean"], "sd": b["score_std"], "out-of-fold": b["oof_score"],
         "tuned on all OOF": result["tuned_oof_score"].get(m)}
        for m, b in result["by_model"].items()
    ]
    summary.append({"model": "ensemble", "mean": result["score_mean"], "sd": result["score_std"],
                    "out-of-fold": result["oof_score"], "tuned on all OOF": None})
    print_table(pd.DataFrame(summary), title="per model (fold scores: decoding tuned on the other folds)")
    per_lab = pd.DataFrame({"lab_id": list(result["per_lab"]), "score": list(result["per_lab"].values())})
    print_table(per_lab, title="ensemble: out-of-fold score per lab")
    typer.echo(
        f"cross-validated MABe score ({result['n_folds']} folds by {result['group_by']}): "
        f"{result['score_mean']:.4f} ± {result['score_std']:.4f}; kept: {result['selected']}"
    )
