"""The on-disk records of a run directory, as pydantic models (no torch, no lightning).

* :class:`RunRecord` — ``RUN/run.json``: run id, kind, resolved checkpoint folder.
* :class:`CheckpointIndex` — ``<checkpoint folder>/index.json``: the owning run and
  the epoch and metric of each checkpoint.
* :class:`RunSummary` — ``RUN/summary.json`` of a finished run (the keys of the
  hand-written JSON it replaces, plus any unknown ones kept).
* :class:`TrainingInterrupted` — the error of a run stopped by Ctrl-C (exit 130).
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mabe.errors import MabeError
from mabe.fileio import json_safe


class TrainingInterrupted(MabeError):
    """Training was stopped by Ctrl-C (SIGINT); the CLI exits 130."""

    exit_code = 130

    def __init__(self, message: str, epochs_saved: int = 0) -> None:
        super().__init__(message)
        self.epochs_saved = epochs_saved


class RunRecord(BaseModel):
    """``RUN/run.json``: what identifies a run and where its checkpoints are."""

    model_config = ConfigDict(extra="allow")

    kind: str = "network"
    run_id: str
    checkpoint_dir: str
    """Absolute, or relative to the run directory."""
    created_by: str = ""


class CheckpointEntry(BaseModel):
    """One checkpoint in ``index.json`` (size and mtime tell whether the entry is current)."""

    epoch: int
    metric: float | None = None
    size_bytes: int
    mtime_ns: int


class CheckpointIndex(BaseModel):
    """``<checkpoint folder>/index.json``: the owning run and its checkpoints."""

    model_config = ConfigDict(extra="allow")

    run_id: str
    run_dir: str
    checkpoints: dict[str, CheckpointEntry] = Field(default_factory=dict)


class SummaryData(BaseModel):
    """What a run trained and validated on (``summary.json["data"]``)."""

    model_config = ConfigDict(extra="allow")

    data_dir: str | None = None
    val_is_train: bool = False
    train_video_ids: list[int] = Field(default_factory=list)
    val_video_ids: list[int] = Field(default_factory=list)
    videos_train: int = 0
    videos_val: int = 0
    windows_train: int = 0
    windows_per_epoch: int = 0
    windows_val: int = 0
    frames_train: int = 0
    frames_val: int = 0


class RunSummary(BaseModel):
    """``RUN/summary.json`` of a finished run (same keys as the hand-written JSON it replaces).

    Metrics that are NaN (a class absent from validation) are ``null`` on disk
    and NaN in memory.
    """

    model_config = ConfigDict(extra="allow")

    status: str = "finished"
    label_scheme: str | None = None
    feature_set: str | None = None
    model_type: str
    parameters: int
    input_dim: int
    feature_width: int
    num_classes: int
    class_names: list[str]
    actions: list[str] = Field(default_factory=list)
    epochs_configured: int
    epochs_completed: int
    stopped_early: bool = False
    best_epoch: int = 0
    best_metrics: dict[str, float] = Field(default_factory=dict)
    baseline: dict[str, Any] = Field(default_factory=dict)
    loss_weights: list[float] | None = None
    data: SummaryData = Field(default_factory=SummaryData)
    device: str = "cpu"
    accelerator: str = ""
    precision: str = ""
    world_size: int = 1
    wall_time_sec: float = 0.0
    train_time_sec: float = 0.0
    checkpoint_dir: str | None = None

    @field_validator("best_metrics", "baseline", mode="before")
    @classmethod
    def _null_is_nan(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (math.nan if v is None else v) for k, v in value.items()}
        return value

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping (NaN kept), as :func:`mabe.training.fit.fit` returns it."""
        return self.model_dump()

    def to_json(self) -> str:
        """Strict JSON (NaN/inf as ``null``)."""
        return json.dumps(json_safe(self.model_dump()), indent=2, allow_nan=False) + "\n"
