"""The training videos' samples, with their features built once and memory-mapped from the feature cache.

A :class:`SampleStore` holds every video's :class:`~mabe.training.samples.VideoSample`
with its small parts (grid, labels, bouts, masks) in memory. Its features —
the big part — are built once per video and written to the per-video feature
cache on disk (:mod:`mabe.training.feature_cache`), then read back
memory-mapped: memory stays bounded by the OS page cache, and the next store
over the same videos and settings (another fold, a resumed run, the next
member of a cross-fitting) reads them instead of building them.

Memory maps are opened lazily, in the process that reads them (a data-loader
worker opens its own; a pickled store carries file names, never open maps),
and at most :data:`MAX_OPEN_MAPS` stay open per process (each holds a file
descriptor).

Without a cache (``cache=None``) the features stay in memory, as built.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from mabe.config import Config
from mabe.data.io import MabeDataset
from mabe.data.types import VideoMeta
from mabe.progress import track
from mabe.training.feature_cache import CACHE_ENV, FeatureCache, meta_stamp, resolve_cache_dir
from mabe.training.run import Run
from mabe.training.samples import VideoSample, build_sample, lab_index

SAMPLE_FORMAT = 1
"""Version of the cached sample layout (:func:`sample_arrays`); part of the cache key."""

MAX_OPEN_MAPS = 64
"""Memory-mapped feature files kept open per process (each holds a file descriptor)."""


@dataclass(frozen=True)
class CacheSlot:
    """Where a video's sample lives in the cache and what it is built from.

    Attributes
    ----------
    name
        Entry name, ``"lab_id/video_id"``.
    sources
        The files the sample is built from (tracking, annotations).
    extra
        Anything else it depends on (the video's metadata).
    """

    name: str
    sources: tuple[Path, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class CachedLoader(Protocol):
    """A sample loader a :class:`SampleStore` can cache: it names each video's entry and lab slot."""

    def __call__(self, i: int) -> VideoSample:
        """Build the sample of video ``i``."""

    def slot(self, i: int) -> CacheSlot:
        """Return the cache entry of video ``i``."""

    def lab(self, i: int) -> int:
        """Return the lab slot of video ``i`` (not cached: it depends on the run's lab vocabulary)."""


def sample_arrays(sample: VideoSample) -> dict[str, np.ndarray]:
    """Return the arrays a sample is cached as (its lab slot is left out).

    Examples
    --------
    >>> s = VideoSample("L/1", np.arange(3), 3, np.zeros((3, 2), np.float16), labels=np.zeros(3, np.int64))
    >>> sorted(sample_arrays(s))
    ['features', 'grid', 'labels', 'log_fps', 'n_frames']
    """
    arrays = {
        "features": sample.features,
        "grid": np.asarray(sample.grid),
        "n_frames": np.asarray(sample.n_frames, dtype=np.int64),
        "log_fps": np.asarray(sample.log_fps, dtype=np.float64),
    }
    if sample.labels is not None:
        arrays["labels"] = np.asarray(sample.labels)
    if sample.intervals is not None:
        arrays["pairs"] = np.asarray(sample.pairs, dtype=np.int64).reshape(-1, 2)
        arrays["bouts"] = np.asarray([len(b) for b in sample.intervals], dtype=np.int64)
        arrays["intervals"] = (
            np.concatenate(sample.intervals).astype(np.int64)
            if sample.intervals else np.zeros((0, 3), np.int64)
        )
    if sample.mask is not None:
        arrays["mask"] = np.asarray(sample.mask)
    return arrays


def sample_from_arrays(key: str, arrays: Mapping[str, np.ndarray], lab: int = 0) -> VideoSample:
    """Rebuild the sample cached by :func:`sample_arrays`.

    Examples
    --------
    >>> s = VideoSample("L/1", np.arange(3), 3, np.ones((1, 3, 2)), [(1, 2)], None,
    ...                 [np.array([[0, 1, 2]])], np.ones((1, 1), bool), 0, 0.5)
    >>> back = sample_from_arrays("L/1", sample_arrays(s), lab=2)
    >>> back.pairs, back.intervals[0].tolist(), back.lab, back.log_fps
    ([(1, 2)], [[0, 1, 2]], 2, 0.5)
    """
    intervals = None
    pairs: list[tuple[int, int]] = []
    if "intervals" in arrays:
        pairs = [(int(a), int(t)) for a, t in arrays["pairs"]]
        cuts = np.cumsum(arrays["bouts"])[:-1]
        intervals = list(np.split(np.asarray(arrays["intervals"]), cuts)) if pairs else []
    return VideoSample(
        key,
        np.asarray(arrays["grid"]),
        int(arrays["n_frames"]),
        arrays["features"],
        pairs,
        np.asarray(arrays["labels"]) if "labels" in arrays else None,
        intervals,
        np.asarray(arrays["mask"]) if "mask" in arrays else None,
        int(lab),
        float(arrays["log_fps"]),
    )


class SampleStore:
    """Per-video samples; features memory-mapped from the on-disk feature cache.

    Labels, bout lists and masks (small) stay in memory for every video. With
    a ``cache``, each video's features are built once (by ``loader``), stored
    and read back memory-mapped; a store built again over the same videos and
    settings builds nothing. Without one they stay in memory as built.

    Parameters
    ----------
    loader
        ``loader(i)`` builds the :class:`VideoSample` of video ``i``; with a
        ``cache`` it must be a :class:`CachedLoader`.
    n_videos
        Number of videos.
    cache
        The feature cache, or ``None``.
    description
        Progress-bar label of the first pass.

    Attributes
    ----------
    builds
        Videos whose sample this store built (the others were read from the cache).

    Examples
    --------
    >>> sample = VideoSample("L/1", np.arange(4), 4, np.ones((4, 2), np.float32))
    >>> store = SampleStore(lambda i: sample, 1)
    >>> store.features(0).shape, store.builds
    ((4, 2), 1)
    """

    def __init__(
        self,
        loader: Callable[[int], VideoSample],
        n_videos: int,
        cache: FeatureCache | None = None,
        description: str = "preparing videos",
    ) -> None:
        if cache is not None and not isinstance(loader, CachedLoader):
            raise TypeError("a cached SampleStore needs a loader with slot(i) and lab(i) (CachedLoader)")
        self._loader = loader
        self._cache = cache
        self._memory: dict[int, np.ndarray] = {}
        self._files: dict[int, tuple[str, tuple[int, ...]]] = {}
        self._open: OrderedDict[int, np.ndarray] = OrderedDict()
        self.builds = 0
        self.samples: list[VideoSample] = []
        for i in track(range(n_videos), description, total=n_videos):
            sample = self._fetch(i)
            # shape and dtype only (no view of a memory map, which would keep it open):
            # the data is on disk or in _memory
            sample.features = np.zeros((0, *sample.features.shape[1:]), sample.features.dtype)
            self.samples.append(sample)

    def __len__(self) -> int:
        return len(self.samples)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without open memory maps: each process opens its own."""
        return {**self.__dict__, "_open": OrderedDict()}

    def _fetch(self, i: int) -> VideoSample:
        """Return video ``i``'s sample (built, or read from the cache) and remember where its features are."""
        if self._cache is None or not isinstance(self._loader, CachedLoader):
            sample = self._build(i)
            self._memory[i] = sample.features
            return sample
        slot = self._loader.slot(i)
        arrays = self._cache.get_or_build(
            slot.name, slot.sources, lambda: sample_arrays(self._build(i)), slot.extra, mapped=("features",)
        )
        features = arrays["features"]
        if isinstance(features, np.memmap) and features.filename is not None:
            self._files[i] = (str(features.filename), tuple(features.shape))
            self._memory.pop(i, None)
        else:  # not stored (a source changed while it was built): keep it in memory
            self._memory[i] = np.asarray(features)
        return sample_from_arrays(slot.name, arrays, self._loader.lab(i))

    def _build(self, i: int) -> VideoSample:
        self.builds += 1
        return self._loader(i)

    def features(self, i: int) -> np.ndarray:
        """Return the features of video ``i`` (a read-only memory map when cached on disk)."""
        if i in self._memory:
            return self._memory[i]
        opened = self._open.get(i)
        if opened is not None:
            self._open.move_to_end(i)
            return opened
        opened = self._map(i)
        self._open[i] = opened
        while len(self._open) > MAX_OPEN_MAPS:
            self._open.popitem(last=False)
        return opened

    def _map(self, i: int) -> np.ndarray:
        path, shape = self._files[i]
        try:
            opened = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, EOFError):
            opened = None
        if opened is None or tuple(opened.shape) != shape:
            # the file went away or was damaged since this store read it: fetch it again
            self._fetch(i)
            if i in self._memory:
                return self._memory[i]
            path, shape = self._files[i]
            opened = np.load(path, mmap_mode="r", allow_pickle=False)
        return opened

    @property
    def frames(self) -> int:
        """Grid points over all videos."""
        return int(sum(s.n for s in self.samples))


class VideoLoader:
    """``loader(i)``: the :class:`~mabe.training.samples.VideoSample` of the ``i``-th video.

    A plain class (not a closure) so that data-loader workers started with
    ``spawn`` can pickle it. It is a :class:`CachedLoader`: each video's entry
    is keyed by :meth:`cache_settings` and stamped with its tracking and
    annotation files and its metadata.
    """

    def __init__(self, root: Path, metas: list[VideoMeta], config: Config, input_dim: int, actions: list[str]) -> None:
        self.root = Path(root)
        self.metas = list(metas)
        self.config = config
        self.input_dim = int(input_dim)
        self.actions = list(actions)
        self._dataset: MabeDataset | None = None

    @property
    def dataset(self) -> MabeDataset:
        """The dataset, opened in the process that uses it."""
        if self._dataset is None:
            self._dataset = MabeDataset(self.root)
        return self._dataset

    def __call__(self, i: int) -> VideoSample:
        """Build the sample of video ``i`` from its files."""
        video = self.dataset.load_video(self.metas[i])
        return build_sample(video, self.config, self.input_dim, self.actions)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the open dataset."""
        return {**self.__dict__, "_dataset": None}

    def slot(self, i: int) -> CacheSlot:
        """Return video ``i``'s cache entry: its files and metadata."""
        meta = self.metas[i]
        sources = (self.dataset.tracking_path(meta), self.dataset.annotation_path(meta))
        return CacheSlot(meta.key, sources, meta_stamp(meta))

    def lab(self, i: int) -> int:
        """Return video ``i``'s lab slot under the config's lab vocabulary."""
        return lab_index(self.config, self.metas[i].lab_id)

    def cache_settings(self) -> dict[str, Any]:
        """Return what the cached samples depend on besides each video's files: the key of the cache."""
        cfg = self.config
        return {
            "kind": "network-sample",
            "format": SAMPLE_FORMAT,
            "label_scheme": cfg.label_scheme,
            "feature_set": cfg.feature_set,
            "num_mice": cfg.num_mice,
            "num_keypoints": cfg.num_keypoints,
            "fps": cfg.fps,
            "frame_gap": cfg.frame_gap,
            "input_dim": self.input_dim,
            "feature_dtype": cfg.feature_dtype,
            "seed4_groups": cfg.seed4_groups if cfg.is_seed4 else None,
            "actions": None if cfg.is_seed4 else self.actions,
        }


def network_cache_dir(cache_dir: str | Path | None, run_dir: str | Path | None, dataset_root: Path) -> Path | None:
    """Choose the network's feature cache: ``cache_dir``, else ``$MABE_CACHE_DIR``, else ``RUN/feature_cache``.

    ``None`` (the features then stay in memory) when none of them is set, or
    when the run directory itself is inside the dataset (the cache is never
    written into a dataset).

    Raises
    ------
    MabeError
        If ``cache_dir`` or ``$MABE_CACHE_DIR`` is inside the dataset.
    """
    if cache_dir is None and not os.environ.get(CACHE_ENV):
        if not run_dir:
            return None
        default = Run(run_dir).feature_cache_dir
        root = Path(dataset_root).resolve()
        if root == default.resolve() or root in default.resolve().parents:
            return None
        return default
    return resolve_cache_dir(cache_dir, Path(cache_dir or os.environ[CACHE_ENV]), forbidden=[dataset_root])


def sample_store(
    dataset: MabeDataset,
    metas: list[VideoMeta],
    config: Config,
    input_dim: int,
    actions: list[str],
    cache_dir: Path | None,
    description: str,
) -> SampleStore:
    """Build the :class:`SampleStore` of ``metas``, through the feature cache in ``cache_dir`` (if any)."""
    loader = VideoLoader(dataset.root, metas, config, input_dim, actions)
    cache = None if cache_dir is None else FeatureCache(cache_dir, loader.cache_settings())
    return SampleStore(loader, len(metas), cache, description=description)


__all__ = [
    "MAX_OPEN_MAPS",
    "CacheSlot",
    "CachedLoader",
    "SampleStore",
    "VideoLoader",
    "network_cache_dir",
    "sample_arrays",
    "sample_from_arrays",
    "sample_store",
]
