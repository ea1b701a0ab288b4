"""Window datasets over cached per-video samples, an epoch-subset sampler and the data module.

The samples come from a :class:`~mabe.training.sample_store.SampleStore`
(features memory-mapped from the on-disk feature cache).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import lightning as L
import numpy as np
import torch
import torch.distributed as dist
from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSampler
from torch.utils.data import DataLoader, Dataset, Sampler, default_collate

from mabe.config import Config
from mabe.models import MODELS
from mabe.training.labels import intervals_to_dense
from mabe.training.sample_store import SampleStore
from mabe.training.windows import jitter_start, take_window, tile_starts, window_starts

IGNORE_INDEX = -100
"""Target of padded frames in the seed4 cross-entropy."""


def window_index(store: SampleStore, length: int, stride: int | None, seed4: bool) -> np.ndarray:
    """Rows ``(video, pair, start)`` of every window.

    ``stride=None`` tiles each video without overlap (validation). Videos
    without labels, and pairs without a supervised action, get no windows.
    """
    rows: list[np.ndarray] = []
    for i, sample in enumerate(store.samples):
        starts = tile_starts(sample.n, length) if stride is None else window_starts(sample.n, length, stride)
        if seed4:
            pair_ids = [0] if sample.labels is not None else []
        else:
            pair_ids = [p for p in range(len(sample.pairs)) if sample.mask is not None and sample.mask[p].any()]
        for p in pair_ids:
            rows.append(np.stack([np.full_like(starts, i), np.full_like(starts, p), starts], axis=1))
    if not rows:
        return np.zeros((0, 3), dtype=np.int64)
    return np.concatenate(rows).astype(np.int64)


class WindowDataset(Dataset):
    """Fixed-length windows: ``{"x": (T, D) float32, "valid", "y", "mask", "lab", "log_fps"}``.

    ``lab`` (int64) and ``log_fps`` (float32) are the video's lab index and frame
    rate (see :class:`~mabe.training.samples.VideoSample`), for lab-conditioned models.

    seed4: ``y`` is ``(T,)`` int64 with :data:`IGNORE_INDEX` on padded frames and
    ``mask`` is ``(T,)`` bool. actions: ``y`` is ``(T, A)`` float32 and ``mask``
    ``(T, A)`` bool (whitelisted actions on real frames).

    Parameters
    ----------
    store
        The videos.
    index
        ``(W, 3)`` rows of :func:`window_index`.
    length
        Window length (``sequence_length``).
    n_actions
        Size of the action vocabulary (actions scheme), 0 for seed4.
    jitter
        Random shift of each start by up to this many points (training augmentation).
    """

    def __init__(
        self, store: SampleStore, index: np.ndarray, length: int, n_actions: int = 0, jitter: int = 0
    ) -> None:
        self.store = store
        self.index = np.asarray(index, dtype=np.int64).reshape(-1, 3)
        self.length = int(length)
        self.n_actions = int(n_actions)
        self.jitter = int(jitter)

    def __len__(self) -> int:
        return int(len(self.index))

    def __getitem__(self, k: int) -> dict[str, Any]:
        i, p, start = (int(v) for v in self.index[k])
        sample = self.store.samples[i]
        if self.jitter:
            shift = int(torch.randint(-self.jitter, self.jitter + 1, ()).item())
            start = jitter_start(start, shift, sample.n, self.length)
        feats = self.store.features(i)
        if self.n_actions:
            feats = feats[p]
        x, valid = take_window(feats, start, self.length)
        item: dict[str, Any] = {
            # a copy: the features may be a read-only memory map, which torch will not wrap
            "x": np.array(x, dtype=np.float32),
            "valid": valid,
            "lab": np.int64(sample.lab),
            "log_fps": np.float32(sample.log_fps),
        }
        if self.n_actions:
            if sample.intervals is None or sample.mask is None:
                raise ValueError(f"{sample.key}: an actions-scheme window needs the sample's bouts and mask")
            y = intervals_to_dense(sample.intervals[p], self.length, self.n_actions, offset=start)
            y[~valid] = 0.0
            item["y"] = y
            item["mask"] = valid[:, None] & sample.mask[p][None, :]
        else:
            if sample.labels is None:
                raise ValueError(f"{sample.key}: a seed4 window needs the sample's frame labels")
            labels, _ = take_window(sample.labels, start, self.length)
            item["y"] = np.where(valid, labels, IGNORE_INDEX).astype(np.int64)
            item["mask"] = valid
        return item


def trim_padding(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Collate windows, then cut the frames that are padding in every window of the batch.

    For padding-invariant models (``padding_invariant = True``) the result is
    the same as without cutting, only faster: a batch of 13-frame clips in
    128-frame windows costs 13 frames, not 128.
    """
    batch = default_collate(items)
    steps = int(batch["valid"].any(dim=0).nonzero().max()) + 1 if bool(batch["valid"].any()) else 1
    for key in ("x", "valid", "y", "mask"):
        if key in batch:
            batch[key] = batch[key][:, :steps]
    return batch


def padding_invariant(model_type: str) -> bool:
    """Tell whether the registered model's outputs ignore the padding after a window's real frames."""
    return bool(getattr(MODELS.get(model_type), "padding_invariant", False))


class EpochSubsetSampler(Sampler[int]):
    """A seeded random permutation per epoch, cut to ``per_epoch`` items.

    Lightning calls :meth:`set_epoch` before each training epoch, so a resumed
    run draws the same windows as an uninterrupted one.
    """

    def __init__(self, n_items: int, per_epoch: int | None, seed: int) -> None:
        self.n_items = int(n_items)
        self.per_epoch = self.n_items if per_epoch is None else min(int(per_epoch), self.n_items)
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the permutation of ``epoch``."""
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng([self.seed, self.epoch])
        return iter(rng.permutation(self.n_items)[: self.per_epoch].tolist())

    def __len__(self) -> int:
        return self.per_epoch


class MabeDataModule(L.LightningDataModule):
    """Training and validation window loaders of prepared :class:`SampleStore` s.

    Parameters
    ----------
    config
        The run's config (window length, strides, batch size, augmentation, workers).
    train_store, val_store
        Prepared videos.
    actions
        The action vocabulary (actions scheme), ``[]`` for seed4.
    """

    def __init__(
        self, config: Config, train_store: SampleStore, val_store: SampleStore, actions: Sequence[str]
    ) -> None:
        super().__init__()
        self.config = config
        n_actions = 0 if config.is_seed4 else len(actions)
        jitter = config.temporal_jitter if config.use_augmentation else 0
        length = config.sequence_length
        train_index = window_index(train_store, length, config.train_stride, config.is_seed4)
        val_index = window_index(val_store, length, None, config.is_seed4)
        self.train_set = WindowDataset(train_store, train_index, length, n_actions, jitter)
        self.val_set = WindowDataset(val_store, val_index, length, n_actions, 0)
        self.train_sampler = EpochSubsetSampler(len(self.train_set), config.max_windows_per_epoch, config.seed)

    def _loader(self, dataset: WindowDataset, sampler: Sampler | None) -> DataLoader:
        workers = self.config.num_workers
        return DataLoader(
            dataset,
            batch_size=self.config.batch_size,
            sampler=sampler,
            shuffle=False,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=torch.cuda.is_available(),
            drop_last=False,
            collate_fn=trim_padding if padding_invariant(self.config.model_type) else None,
        )

    def train_dataloader(self) -> DataLoader:
        """Shuffled (seeded per epoch) training windows, at most ``max_windows_per_epoch``.

        Under DDP Lightning wraps the sampler in a distributed one; the module
        sets :attr:`train_sampler`'s epoch itself so the subset still changes.
        """
        return self._loader(self.train_set, self.train_sampler)

    def val_dataloader(self) -> DataLoader:
        """Return the validation windows, tiling each video once, in order (under DDP: each on one process)."""
        return self._loader(self.val_set, _unrepeated_sampler(self.val_set))


def _unrepeated_sampler(dataset: WindowDataset) -> Sampler | None:
    """Give every window to exactly one process under DDP (a sampler), else ``None``.

    The gathered metrics are then those of one process (Lightning's default
    repeats windows to even the processes out); ``None`` (Lightning's
    default) without DDP or if a process would get no window.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return None
    world = dist.get_world_size()
    if world < 2 or len(dataset) < world:
        return None
    return UnrepeatedDistributedSampler(dataset, shuffle=False)
