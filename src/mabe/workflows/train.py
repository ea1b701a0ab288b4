"""``mabe train`` as a function: config → fit → metrics table → decoding tuned on validation videos."""

from __future__ import annotations

from pathlib import Path

import typer

from mabe.config import Config, load_config, recommended_config
from mabe.data.io import MabeDataset


def resolve_train_config(
    data: Path, out: Path, config_path: Path | None, overrides: list[str]
) -> Config:
    """The config a training run uses: ``--config`` (or the recommended default), then ``--set``."""
    if config_path is None:
        config = recommended_config(MabeDataset(data), overrides)
        return config.model_copy(update={"run_dir": str(out)})
    return load_config(config_path, overrides, data_dir=data, out=out)


def user_set_keys(config_path: Path | None, overrides: list[str]) -> set[str]:
    """Keys the user chose: every ``--set`` key and every key of a ``--config`` file."""
    from mabe.config import parse_override

    keys = {parse_override(item)[0] for item in overrides}
    if config_path is not None:
        keys |= set(load_config(config_path).model_fields_set)
    return keys


def train_run(
    data: Path,
    out: Path,
    config_path: Path | None = None,
    overrides: list[str] | None = None,
    resume: bool = False,
    tune: bool = True,
) -> dict:
    """Train, print the final validation metrics and, for labelled runs, tune decoding.

    Returns the run summary (also in ``RUN/summary.json``).
    """
    from mabe.training.distributed import is_global_zero
    from mabe.training.fit import fit, run_state
    from mabe.workflows.predict import decode_params_path
    from mabe.workflows.report import print_metrics
    from mabe.workflows.tune import tune_run

    config = resolve_train_config(data, out, config_path, list(overrides or []))
    # --resume on a finished run changes nothing, unless it was killed while tuning
    was_finished = resume and run_state(Path(out)) == "finished"
    summary = fit(config, out, resume=resume, user_keys=user_set_keys(config_path, list(overrides or [])))
    if not is_global_zero():  # DDP: the other processes' part ends with training
        return summary
    typer.echo(
        f"trained {summary['model_type']} ({summary['parameters']:,} parameters, "
        f"{summary['label_scheme']} labels) for {summary['epochs_completed']} epochs "
        f"in {summary['wall_time_sec']:.0f} s on {summary['device']}; best epoch {summary['best_epoch']}"
    )
    best = {k.removeprefix("val_"): v for k, v in summary["best_metrics"].items()}
    print_metrics(best, title=f"validation metrics at the best epoch ({out})")
    baseline = summary.get("baseline") or {}
    if "macro_f1" in baseline:
        typer.echo(
            f"majority-class baseline macro-F1 {baseline['macro_f1']:.4f} vs model "
            f"{best.get('macro_f1', float('nan')):.4f}"
        )
    if tune and not (was_finished and decode_params_path(out).is_file()):
        result = tune_run(out, data)
        typer.echo(str(result))
    return summary
