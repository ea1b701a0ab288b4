"""Train a run (:func:`fit`), score it on labelled data (:func:`evaluate`), list its checkpoints.

A run directory holds::

    RUN/config.yaml        the resolved config (input_dim, num_classes filled in)
    RUN/checkpoints/       epoch=NNN.ckpt every save_freq epochs, best.ckpt, last.ckpt
    RUN/metrics.csv        one row per epoch
    RUN/summary.json       written when training finishes (the run is then "finished")

``fit`` never writes into a directory holding a finished run or anything
that is not a mabe run; ``resume=True`` continues an unfinished one.
"""

from __future__ import annotations

import logging
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from mabe import __version__, progress
from mabe.config import Config, config_to_yaml, load_config
from mabe.errors import ConfigError, MabeError
from mabe.fileio import atomic_write_text
from mabe.training.callbacks import (
    EpochRecorder,
    RandomStates,
    RunCheckpoints,
    StopOnInterrupt,
    TrainingInterrupted,
    read_metrics_csv,
)
from mabe.training.datamodule import MabeDataModule
from mabe.training.distributed import is_global_zero
from mabe.training.ema import WeightEMA
from mabe.training.inference import read_checkpoint
from mabe.training.module import MONITOR, BehaviourModule
from mabe.training.prepare import Prepared, prepare
from mabe.training.run import CheckpointIndex, Run
from mabe.training.run_summary import build_summary

RUNTIME_KEYS: tuple[str, ...] = (
    "data_dir",
    "run_dir",
    "num_workers",
    "accelerator",
    "devices",
    "strategy",
    "num_nodes",
    "feature_cache_gb",
    "log_every_n_steps",
)
"""Keys a resumed run takes from the caller's config; every other key comes from RUN/config.yaml."""


class _DropTips(logging.Filter):
    """Hide Lightning's tips ("💡 Tip: ...") and hardware banners from the run's output.

    The device actually used is in the run's summary line and ``summary.json``.
    """

    _BANNERS = ("💡", "GPU available", "TPU available", "HPU available", "`Trainer.fit` stopped")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self._BANNERS)


def _quiet_lightning() -> None:
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, _DropTips) for f in handler.filters):
                handler.addFilter(_DropTips())


def _is_rank_zero() -> bool:
    return is_global_zero()  # also right under torchrun and SLURM


def run_state(run: Path) -> str:
    """Return ``"new"`` (absent or empty), ``"finished"``, ``"unfinished"`` or ``"foreign"`` (other files)."""
    return Run(run).state()


def _never_trained(run: Run) -> bool:
    """Tell whether an unfinished run has no checkpoint: nothing to resume from, nothing worth keeping."""
    if run.state() != "unfinished":
        return False
    try:
        return not any(run.checkpoint_dir.glob("*.ckpt"))
    except MabeError:
        return True


def _check_run_dir(run: Path, resume: bool) -> str:
    """Return the run directory's :func:`run_state`, after refusing what must not be written into."""
    if not _is_rank_zero():  # rank 0 already checked (and created) it
        return "unfinished"
    state = Run(run).state()
    if state == "finished" and not resume:
        raise MabeError(f"{run}: already holds a finished run; choose another --out (mabe never replaces a run)")
    if state == "unfinished" and not resume:
        if _never_trained(Run(run)):
            return "new"  # it failed or was killed before its first epoch: nothing to keep
        raise MabeError(f"{run}: holds an unfinished run; pass --resume to continue it or choose another --out")
    if state == "foreign":
        raise MabeError(f"{run}: exists and is not a mabe run directory; choose another --out")
    if state == "new" and resume:
        raise MabeError(f"{run}: not a mabe run directory (no config.yaml), nothing to resume; check the path or drop --resume")
    return state


def _resume_config(run: Path, config: Config, user_keys: set[str] | None) -> Config:
    stored = load_config(Run(run).config_path)
    runtime = {k: getattr(config, k) for k in RUNTIME_KEYS if k in config.model_fields_set or getattr(config, k) is not None}
    asked = config.model_fields_set if user_keys is None else user_keys
    differing = [
        k
        for k in Config.model_fields
        if k not in RUNTIME_KEYS
        and k in asked
        and getattr(config, k) is not None
        and getattr(config, k) != getattr(stored, k)
    ]
    if differing:
        progress.status(f"resuming {run} with its own config; ignoring {', '.join(differing)}")
    return stored.model_copy(update={k: v for k, v in runtime.items() if v is not None})


def resolve_precision(precision: str, accelerator: str) -> str:
    """Lightning precision for this machine: ``auto`` picks bf16/16-mixed on a GPU and 32 on CPU.

    Mixed precision asked for on a machine without CUDA falls back to 32 (with a note),
    so the same config runs everywhere.
    """
    gpu = accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()
    if precision == "auto":
        if not gpu:
            return "32"
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    if precision == "bf16-mixed" and accelerator == "cpu":
        return precision  # asked for on the CPU explicitly: bf16 autocast runs there (slowly; for checks)
    if precision != "32" and not gpu:
        progress.status(f"precision {precision} needs a CUDA GPU; training in 32-bit on this machine")
        return "32"
    return precision


def _trainer(config: Config, callbacks: list[Any], progress_bar: bool, run: Path) -> Any:
    """Lightning's Trainer; a device the machine lacks is a :class:`ConfigError`, not a crash."""
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    try:
        return _make_trainer(config, callbacks, progress_bar, run)
    except (MisconfigurationException, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"accelerator {config.accelerator!r}, devices {config.devices!r}, strategy {config.strategy!r}: "
            f"{first} (on this machine try --set accelerator=cpu or accelerator=auto)"
        ) from None


def _make_trainer(config: Config, callbacks: list[Any], progress_bar: bool, run: Path) -> Any:
    import lightning as L

    from mabe.training.callbacks import EpochBar

    _quiet_lightning()
    if progress_bar:
        callbacks = [*callbacks, EpochBar()]
    return L.Trainer(
        max_epochs=config.epochs,
        accelerator=config.accelerator,
        devices=config.devices,
        num_nodes=config.num_nodes,
        strategy=config.strategy,
        # resolve_precision returns one of Lightning's precision names (Config validates the key)
        precision=resolve_precision(config.precision, config.accelerator),  # type: ignore[arg-type]
        gradient_clip_val=config.grad_clip or None,
        callbacks=callbacks,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        enable_progress_bar=progress_bar,
        num_sanity_val_steps=0,
        log_every_n_steps=config.log_every_n_steps,
        default_root_dir=str(run),
    )


def _callbacks(
    config: Config, prepared: Prepared, run: Path, ckpt_dir: Path, rows: list[dict[str, Any]], index: Any
) -> list[Any]:
    from lightning.pytorch.callbacks import EarlyStopping

    callbacks: list[Any] = [
        EpochRecorder(Run(run).metrics_path, prepared.class_names, rows),
        RunCheckpoints(ckpt_dir, config.save_freq, index),
        RandomStates(),
    ]
    if config.ema_decay > 0:
        callbacks.append(WeightEMA(config.ema_decay))  # after the recorder and checkpoints: run_summary reads them by position
    if config.early_stopping_patience:
        callbacks.append(EarlyStopping(monitor=MONITOR, mode="max", patience=config.early_stopping_patience))
    return callbacks


def _resume_rows(run: Path, last: Path) -> list[dict[str, Any]]:
    """metrics.csv rows up to the epoch of ``last`` (later ones are repeated on resume)."""
    epoch = int(read_checkpoint(last).get("mabe", {}).get("epoch", 0))
    return [r for r in read_metrics_csv(Run(run).metrics_path) if int(r["epoch"]) <= epoch]


def fit(
    config: Config,
    run_dir: str | Path | None = None,
    resume: bool = False,
    callbacks: list[Any] | None = None,
    progress_bar: bool | None = None,
    user_keys: set[str] | None = None,
    split: tuple[list[int], list[int]] | None = None,
    cache_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Train the configured model and write the run directory.

    Parameters
    ----------
    config
        The run's config (``data_dir`` must be set).
    run_dir
        Run directory; default ``config.run_dir``.
    resume
        Continue an unfinished run from ``last.ckpt`` to its configured total
        of epochs, with the run's own config (only :data:`RUNTIME_KEYS` are
        taken from ``config``) and every random state as it was, so the result
        is the uninterrupted run's. A finished run is left as it is and its
        summary returned.
    callbacks
        Extra Lightning callbacks (run after mabe's own).
    progress_bar
        Show Lightning's bar; default follows :func:`mabe.progress.set_enabled`.
    user_keys
        Keys the user set explicitly (``--set``, ``--config``); on resume only
        those are reported as ignored. Default: every key set on ``config``.
    split
        ``(train_ids, val_ids)``: train and validate on exactly these videos
        instead of the config's own split (see :func:`~mabe.training.prepare.prepare`).
    cache_dir
        Per-video feature cache (shared with other runs, folds and the trees);
        default ``$MABE_CACHE_DIR``, else ``RUN/feature_cache``.

    Returns
    -------
    dict
        The :class:`~mabe.training.run.RunSummary` as a dict, also written to
        ``RUN/summary.json`` (where NaN metrics are ``null``).

    Raises
    ------
    MabeError
        If ``run_dir`` holds a finished run (without ``resume``), an unfinished
        run (without ``resume``), files that are not a mabe run, or (with
        ``resume``) nothing; if ``checkpoint_dir`` would mix two runs.
    TrainingInterrupted
        On Ctrl-C (SIGINT): training stops at the next batch; the last
        complete epoch's checkpoint is the state ``--resume`` continues from.
    """
    started = time.perf_counter()
    target = run_dir if run_dir is not None else config.run_dir
    if not target:
        raise ConfigError("no run directory: pass --out RUN (or set run_dir)")
    run = Path(target)
    state = _check_run_dir(run, resume)
    if state == "finished":
        progress.status(f"{run} is already finished; nothing to resume")
        return read_summary(run)
    existed = run.exists()
    cache_existed = Run(run).feature_cache_dir.exists()
    try:
        return _fit(config, Run(run), state, resume, callbacks, progress_bar, user_keys, started, split, cache_dir)
    except BaseException:
        attempt = Run(run)
        # "new": it failed while preparing (only the feature cache was written)
        if _is_rank_zero() and (attempt.state() == "new" or _never_trained(attempt)):
            attempt.discard_untrained()
            if not cache_existed:  # the run's own feature cache was this attempt's: it goes too
                shutil.rmtree(attempt.feature_cache_dir, ignore_errors=True)
            if not existed and run.is_dir() and not any(run.iterdir()):
                run.rmdir()
        raise


def _fit(
    config: Config,
    run: Run,
    state: str,
    resume: bool,
    callbacks: list[Any] | None,
    progress_bar: bool | None,
    user_keys: set[str] | None,
    started: float,
    split: tuple[list[int], list[int]] | None = None,
    cache_dir: str | Path | None = None,
) -> dict[str, Any]:
    if state == "new":
        run.discard_untrained()
    resuming = resume and state == "unfinished" and not _never_trained(run)
    if resuming:
        config = _resume_config(run.path, config, user_keys)
    elif resume:
        progress.status(f"{run.path} has no complete epoch yet; starting from epoch 1 with the given config")
    config = config.model_copy(update={"run_dir": str(run.path)})

    import lightning as L

    L.seed_everything(config.seed, workers=True, verbose=False)
    prepared = prepare(config, split=split, cache_dir=cache_dir)
    config = prepared.config
    index = None
    if _is_rank_zero():
        record = run.claim(config.checkpoint_dir, created_by=f"mabe {__version__}")
        old = run.index()
        index = old if old is not None else CheckpointIndex(run_id=record.run_id, run_dir=str(run.path.resolve()))
        atomic_write_text(run.config_path, config_to_yaml(config))
    ckpt_dir = run.checkpoint_dir
    if _is_rank_zero():  # checkpoint temporaries of a killed earlier attempt
        for stale in ckpt_dir.glob(".*.ckpt.tmp") if ckpt_dir.is_dir() else []:
            stale.unlink(missing_ok=True)
    last = ckpt_dir / "last.ckpt"
    resuming = resuming and last.is_file()
    rows = _resume_rows(run.path, last) if resuming else []

    run_info = {"label_scheme": config.label_scheme, "actions": prepared.actions, "feature_set": config.feature_set}
    module = BehaviourModule(
        config.to_dict(),
        prepared.input_dim,
        prepared.feature_width,
        prepared.class_names,
        run_info,
        prepared.loss_weights,
    )
    datamodule = MabeDataModule(config, prepared.train_store, prepared.val_store, prepared.actions)
    own = _callbacks(config, prepared, run.path, ckpt_dir, rows, index)
    stop = StopOnInterrupt()
    show = progress.bars_enabled() if progress_bar is None else progress_bar
    trainer = _trainer(config, [*own, stop, *(callbacks or [])], show, run.path)
    with warnings.catch_warnings(), stop.on_sigint():
        warnings.filterwarnings("ignore", message=r".*LeafSpec.*")  # torch 2.13 vs Lightning 2.6 pytree notice
        try:
            # weights_only: a checkpoint is data (Lightning 2.6 otherwise leaves it to torch's default)
            trainer.fit(module, datamodule=datamodule, ckpt_path=str(last) if resuming else None, weights_only=True)
        except TrainingInterrupted:
            saved = int(own[0].rows[-1]["epoch"]) if own[0].rows else 0
            raise TrainingInterrupted(
                f"{run.path}: training interrupted; {saved} of {config.epochs} epochs saved", saved
            ) from None

    summary = build_summary(config, prepared, module, trainer, own, datamodule, time.perf_counter() - started)
    summary.checkpoint_dir = str(ckpt_dir)
    if trainer.is_global_zero:
        run.write_summary(summary)
    return summary.to_dict()


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """Return a finished run's ``summary.json`` as a dict (metrics written as ``null`` read back as NaN)."""
    return Run(run_dir).summary().to_dict()


def evaluate(run_dir: str | Path, data_dir: str | Path, split: str = "test", which: str = "best") -> dict[str, Any]:
    """Return the run's frame metrics on a labelled split (labels from ``{split}_annotation``).

    Returns
    -------
    dict
        Flat ``accuracy``, ``macro_f1``, ``macro_precision``, ``macro_recall``,
        ``f1/<class>``, ... at the original frame rate, plus ``n_videos``,
        ``split`` and ``checkpoint``.
    """
    from mabe.training.evaluation import evaluate_split

    return evaluate_split(run_dir, data_dir, split, which)


def list_checkpoints(run_dir: str | Path) -> list[dict[str, Any]]:
    """``[{name, epoch, metric, size_bytes}]`` of a run's checkpoints, by epoch then name.

    ``metric`` is the validation macro-F1 of the epoch the checkpoint was written.
    (:meth:`mabe.training.run.Run.checkpoints`, which needs neither torch nor lightning.)
    """
    return Run(run_dir).require().checkpoints()
