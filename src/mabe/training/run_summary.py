"""The summary of a finished network training (``summary.json``), assembled from what the fit holds."""

from __future__ import annotations

from typing import Any

from mabe.config import Config
from mabe.models import count_parameters
from mabe.training.datamodule import MabeDataModule
from mabe.training.module import BehaviourModule
from mabe.training.prepare import Prepared, baseline_metrics
from mabe.training.run import RunSummary


def _float_row(row: dict[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in row.items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def build_summary(
    config: Config,
    prepared: Prepared,
    module: BehaviourModule,
    trainer: Any,
    callbacks: list[Any],
    datamodule: MabeDataModule,
    wall: float,
) -> RunSummary:
    """Assemble the :class:`~mabe.training.run.RunSummary` of a network training that just finished.

    ``callbacks`` are the fit's own (:class:`~mabe.training.callbacks.EpochRecorder` first,
    the checkpoint callback second); the best epoch's ``val_*`` metrics become
    ``best_metrics``.
    """
    recorder, checkpoints = callbacks[0], callbacks[1]
    rows = [_float_row(r) for r in recorder.rows]
    best = next((r for r in rows if int(r["epoch"]) == checkpoints.best_epoch), rows[-1] if rows else {})
    sampler_len = len(datamodule.train_sampler)
    return RunSummary.model_validate({
        "status": "finished",
        "label_scheme": config.label_scheme,
        "feature_set": config.feature_set,
        "model_type": config.model_type,
        "parameters": count_parameters(module.model),
        "input_dim": prepared.input_dim,
        "feature_width": prepared.feature_width,
        "num_classes": len(prepared.class_names),
        "class_names": prepared.class_names,
        "actions": prepared.actions,
        "epochs_configured": config.epochs,
        "epochs_completed": len(rows),
        "stopped_early": len(rows) < config.epochs,
        "best_epoch": checkpoints.best_epoch or (int(best["epoch"]) if best else 0),
        "best_metrics": {k: v for k, v in best.items() if k.startswith("val_")},
        "baseline": baseline_metrics(prepared),
        "loss_weights": prepared.loss_weights,
        "data": {
            "data_dir": config.data_dir,
            "val_is_train": prepared.val_is_train,
            "train_video_ids": [m.video_id for m in prepared.train_metas],
            "val_video_ids": [m.video_id for m in prepared.val_metas],
            "videos_train": len(prepared.train_metas),
            "videos_val": len(prepared.val_metas),
            "windows_train": len(datamodule.train_set),
            "windows_per_epoch": sampler_len,
            "windows_val": len(datamodule.val_set),
            "frames_train": prepared.train_store.frames,
            "frames_val": prepared.val_store.frames,
        },
        "device": str(trainer.strategy.root_device),
        "accelerator": type(trainer.accelerator).__name__,
        "precision": str(trainer.precision),
        "world_size": trainer.world_size,
        "wall_time_sec": round(wall, 2),
        "train_time_sec": round(sum(r.get("epoch_time_sec", 0.0) for r in rows), 2),
    })
