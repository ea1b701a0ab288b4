"""The recommended single network (``mabe train --config recommended``): the packaged actions config, sized to the data.

Sizing needs the dataset (number of labelled videos and their durations), so it
lives here, above :mod:`mabe.config` (which only knows the schema and how to load files).

Examples
--------
>>> _size_for(100_000, 3)["lstm_hidden"], _size_for(100_000, 3)["val_fraction"]
(64, 0.34)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mabe.config import Config, packaged_config_path, parse_override, read_config_file, validate_config
from mabe.data.io import MabeDataset


def recommended_config(dataset: MabeDataset | str | Path, overrides: list[str] | None = None) -> Config:
    """Return the recommended single-network config: the actions scheme, sized to the data.

    Starts from the packaged ``actions.yaml`` and scales the model, window
    budget and epochs with the number of labelled training frames on the
    config's time grid (``fps``), i.e. the frames the model actually sees:
    a 120 fps video counts as much as a 30 fps one of the same length.

    Parameters
    ----------
    dataset
        A :class:`mabe.data.io.MabeDataset` (or a dataset directory).
    overrides
        ``"key=value"`` strings applied last.
    """
    ds = dataset if isinstance(dataset, MabeDataset) else MabeDataset(dataset)
    metas = [m for m in ds.metas("train") if m.behaviors_labeled]
    values = read_config_file(packaged_config_path("actions"))
    frames = sum(_meta_frames(m, values.get("fps"), values.get("frame_gap") or 1) for m in metas)
    values.update(_size_for(frames, len(metas)))
    values["data_dir"] = str(ds.root)
    sources = {k: "recommended config" for k in values}
    for item in overrides or []:
        key, value = parse_override(item)
        values[key] = value
        sources[key] = f"--set {item}"
    return validate_config(values, sources, default_source="recommended config")


def _meta_frames(meta: Any, fps: float | None = None, frame_gap: int = 1) -> int:
    """Return the time-grid points of a video: its duration at ``fps`` (native when None), every ``frame_gap``-th."""
    duration = float(getattr(meta, "duration_sec", float("nan")))
    if duration != duration:  # NaN: assume ten minutes
        duration = 600.0
    return int(duration * float(fps or meta.fps) / max(int(frame_gap), 1))


def _size_for(frames: int, n_videos: int) -> dict[str, Any]:
    """Return the model width, epochs and window budget for a given amount of labelled data.

    ``lstm_hidden`` / ``lstm_layers`` size the default ``tcn_bigru`` (its
    ``hidden`` and ``rnn_layers``); ``conv_channels`` only matters if
    ``model_type`` is switched to ``conv_bilstm``. Epochs are long enough that
    more stopped helping on the benchmarks (CalMS21 windows, a 6-lab synthetic
    set: validation flat after 15-25 epochs of 2,000 windows); early stopping
    (``early_stopping_patience`` in actions.yaml) ends a run sooner once it is flat.
    """
    if frames < 200_000:  # a few synthetic minutes, or ~15,000 clips of 13 frames
        size = {"conv_channels": [32, 64], "lstm_hidden": 64, "lstm_layers": 1, "epochs": 40}
        size["max_windows_per_epoch"] = 2_000
    elif frames < 5_000_000:
        size = {"conv_channels": [64, 128], "lstm_hidden": 96, "lstm_layers": 1, "epochs": 40}
        size["max_windows_per_epoch"] = 20_000
    else:  # the full Kaggle training set is ~ 10^8 frames
        size = {"conv_channels": [64, 128, 256], "lstm_hidden": 128, "lstm_layers": 2, "epochs": 40}
        size["max_windows_per_epoch"] = 100_000
    if n_videos < 5:
        size["val_fraction"] = 0.34
    return size
