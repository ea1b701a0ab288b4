"""From a config to prepared training data: dataset, split, vocabulary, dimensions, cached videos."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mabe.config import Config
from mabe.data.io import MabeDataset
from mabe.data.types import VideoMeta
from mabe.errors import ConfigError, DataError
from mabe.metrics.frame import frame_metrics, multilabel_frame_metrics
from mabe.training.datamodule import window_index
from mabe.training.labels import action_vocabulary, intervals_to_dense
from mabe.training.sample_store import SampleStore, network_cache_dir, sample_store
from mabe.training.samples import feature_width, lab_update, resolve_input_dim
from mabe.training.split import explicit_split, split_videos


@dataclass
class Prepared:
    """Everything :func:`mabe.training.fit.fit` needs besides the trainer.

    ``val_is_train`` is True when there was nothing to hold out (``val_fraction``
    0 or a single labelled video): validation then scores the training videos.
    """

    config: Config
    dataset: MabeDataset
    train_metas: list[VideoMeta]
    val_metas: list[VideoMeta]
    val_is_train: bool
    actions: list[str]
    class_names: list[str]
    input_dim: int
    feature_width: int
    train_store: SampleStore
    val_store: SampleStore
    loss_weights: list[float] | None = None


def open_dataset(config: Config) -> MabeDataset:
    """Open the dataset of ``config.data_dir``.

    Training never simulates data: with ``use_kaggle_data: false`` and an empty
    ``data_dir``, the workflow that trains (:func:`mabe.workflows.train.ensure_dataset`)
    synthesizes it before calling :func:`prepare`.

    Raises
    ------
    ConfigError
        If ``data_dir`` is not set.
    DataError
        If ``data_dir`` holds no dataset.
    """
    if not config.data_dir:
        raise ConfigError("data_dir is not set; pass --data DIR or set data_dir in the config")
    return MabeDataset(Path(config.data_dir))


def labelled_metas(dataset: MabeDataset, split: str = "train") -> list[VideoMeta]:
    """Videos of ``split`` that have a ``behaviors_labeled`` whitelist and labels on disk."""
    if not dataset.has_labels(split):
        raise DataError(dataset.root / f"{split}_annotation", f"no annotations for split '{split}'")
    metas = [m for m in dataset.metas(split) if m.behaviors_labeled]
    if not metas:
        raise DataError(dataset.root / f"{split}.csv", "no video has behaviors_labeled: nothing to train on")
    return metas


def resolve_classes(config: Config, train_metas: list[VideoMeta]) -> tuple[list[str], list[str]]:
    """``(actions, class_names)``: the vocabulary (actions scheme) and the output classes.

    The vocabulary is the sorted union of the actions in ``train_metas``' whitelists.

    Raises
    ------
    ConfigError
        If ``num_classes`` or ``class_weights`` do not fit the classes.
    """
    if config.is_seed4:
        return [], config.seed4_class_names
    actions = action_vocabulary(train_metas)
    if not actions:
        raise DataError("train.csv", "the training videos' behaviors_labeled name no action")
    if config.num_classes is not None and config.num_classes != len(actions):
        raise ConfigError(
            f"num_classes is {config.num_classes} but the training whitelists name {len(actions)} "
            "actions; set num_classes: null"
        )
    if config.class_weights is not None and len(config.class_weights) != len(actions):
        raise ConfigError(f"class_weights needs one pos_weight per action ({len(actions)}), got {len(config.class_weights)}")
    return actions, list(actions)


def prepare(
    config: Config, split: tuple[Sequence[int], Sequence[int]] | None = None, cache_dir: str | Path | None = None
) -> Prepared:
    """Open the data, split it, fix vocabulary and dimensions, and build the sample stores.

    The returned ``config`` has ``input_dim``, ``num_classes``, ``data_dir`` and (for a
    lab-conditioned model) ``lab_vocabulary`` resolved.
    ``split`` = ``(train_ids, val_ids)`` replaces the config's own split
    (``val_fraction``, ``split_by``) by explicit video ids; the vocabulary
    still comes from every labelled training video, so models trained on
    different folds share it.
    Each video's features are built once into the feature cache ``cache_dir``
    (default ``$MABE_CACHE_DIR``, else ``<run_dir>/feature_cache``; none
    without a run directory or with one inside the dataset) and memory-mapped from there
    (:mod:`mabe.training.sample_store`).
    """
    dataset = open_dataset(config)
    metas = labelled_metas(dataset, "train")
    if split is None:
        train_metas, val_metas = split_videos(metas, config.val_fraction, config.split_by, config.seed)
    else:
        train_metas, val_metas = explicit_split(metas, *split)
    val_is_train = not val_metas
    # the vocabulary covers every labelled training-split video, validation ones included,
    # so it does not depend on the split
    actions, class_names = resolve_classes(config, metas)
    input_dim = resolve_input_dim(config)
    resolved = config.model_copy(
        update={"input_dim": input_dim, "num_classes": len(class_names), "data_dir": str(dataset.root)}
        | lab_update(config, train_metas)
    )
    cache = network_cache_dir(cache_dir, config.run_dir, dataset.root)
    train_store = sample_store(dataset, train_metas, resolved, input_dim, actions, cache, "preparing training videos")
    val_store = train_store if val_is_train else sample_store(
        dataset, val_metas, resolved, input_dim, actions, cache, "preparing validation videos"
    )
    if not len(window_index(train_store, config.sequence_length, config.train_stride, config.is_seed4)):
        raise DataError(dataset.root / "train.csv", "no training window has a supervised frame")
    if not positive_points(train_store, config, len(actions)) and (
        val_is_train or not positive_points(val_store, config, len(actions))
    ):
        raise DataError(
            dataset.root / "train_annotation",
            "no labelled video has an annotated bout of a whitelisted behaviour: nothing to learn",
        )
    if not len(window_index(val_store, config.sequence_length, None, config.is_seed4)):
        val_store, val_is_train = train_store, True  # nothing to score in the held-out videos
    elif not val_is_train and not positive_points(val_store, config, len(actions)):
        # held-out videos without a single bout (e.g. a few seconds long) give a validation
        # score stuck at 0, so the first epoch would be "best" and decoding could not be tuned
        val_store, val_is_train = train_store, True
    prepared = Prepared(
        resolved,
        dataset,
        train_metas,
        val_metas if not val_is_train else list(train_metas),
        val_is_train,
        actions,
        class_names,
        input_dim,
        feature_width(config),
        train_store,
        val_store,
    )
    prepared.loss_weights = loss_weights(prepared)
    return prepared


def positive_points(store: SampleStore, config: Config, n_actions: int) -> int:
    """Supervised grid points labelled with a behaviour (seed4: not ``Other``) in a store."""
    if config.is_seed4:
        return int(sum(int((s.labels > 0).sum()) for s in store.samples if s.labels is not None))
    return int(action_counts(store, n_actions)[0].sum())


def action_counts(store: SampleStore, n_actions: int) -> tuple[np.ndarray, np.ndarray]:
    """Per action: positive and supervised grid points over the store's videos."""
    positives = np.zeros(n_actions, dtype=np.int64)
    supervised = np.zeros(n_actions, dtype=np.int64)
    for s in store.samples:
        for p in range(len(s.pairs)):
            if s.mask is None or s.intervals is None or not s.mask[p].any():
                continue
            supervised += s.mask[p] * s.n
            for action, start, stop in s.intervals[p]:
                positives[action] += (stop - start) * bool(s.mask[p][action])
    return positives, supervised


def loss_weights(prepared: Prepared) -> list[float] | None:
    """Per-class loss weights: ``class_weights``, or the actions scheme's ``pos_weight``."""
    cfg = prepared.config
    if cfg.class_weights is not None:
        return [float(w) for w in cfg.class_weights]
    if cfg.is_seed4 or cfg.pos_weight is None:
        return None
    n = len(prepared.actions)
    if cfg.pos_weight != "auto":
        return [float(cfg.pos_weight)] * n
    positives, supervised = action_counts(prepared.train_store, n)
    ratio = (supervised - positives) / np.maximum(positives, 1)
    return np.clip(np.sqrt(ratio), 1.0, 50.0).round(3).tolist()


def baseline_metrics(prepared: Prepared) -> dict[str, object]:
    """Return a trivial predictor's validation macro-F1 (key ``macro_f1``), to compare the model against.

    seed4: always the most common training class. actions: every supervised
    entry predicted positive.
    """
    cfg = prepared.config
    if cfg.is_seed4:
        train = np.concatenate([s.labels for s in prepared.train_store.samples if s.labels is not None])
        majority = int(np.bincount(train, minlength=len(prepared.class_names)).argmax())
        val = np.concatenate([s.labels for s in prepared.val_store.samples if s.labels is not None])
        m = frame_metrics(val, np.full_like(val, majority), len(prepared.class_names), prepared.class_names)
        return {"name": "majority_class", "class": prepared.class_names[majority], "macro_f1": m["macro_f1"]}
    ys, masks = [], []
    for s in prepared.val_store.samples:
        for p in range(len(s.pairs)):
            if s.mask is not None and s.intervals is not None and s.mask[p].any():
                ys.append(intervals_to_dense(s.intervals[p], s.n, len(prepared.actions)))
                masks.append(np.broadcast_to(s.mask[p], (s.n, len(prepared.actions))))
    y = np.concatenate(ys) if ys else np.zeros((0, len(prepared.actions)))
    mask = np.concatenate(masks) if masks else np.zeros(y.shape, bool)
    m = multilabel_frame_metrics(y, np.ones_like(y), mask, cfg.threshold, prepared.actions)
    return {"name": "always_positive", "macro_f1": m["macro_f1"]}
