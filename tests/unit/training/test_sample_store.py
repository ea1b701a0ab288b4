"""The network's samples: built once per video into the on-disk feature cache, then memory-mapped."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from mabe.data.io import MabeDataset
from mabe.errors import MabeError
from mabe.training.datamodule import WindowDataset, window_index
from mabe.training.feature_cache import CACHE_ENV, FeatureCache
from mabe.training.labels import action_vocabulary
from mabe.training.prepare import labelled_metas, prepare
from mabe.training.sample_store import SampleStore, VideoLoader, network_cache_dir
from mabe.training.samples import resolve_input_dim
from mabe.workflows.recommend import recommended_config


class CountingLoader(VideoLoader):
    """A :class:`VideoLoader` counting the samples it builds (the expensive part the cache saves)."""

    calls = 0

    def __call__(self, i: int):
        type(self).calls += 1
        return super().__call__(i)


@pytest.fixture
def loader(tiny_data: Path) -> CountingLoader:
    config = recommended_config(tiny_data)
    metas = labelled_metas(MabeDataset(tiny_data))
    CountingLoader.calls = 0
    return CountingLoader(tiny_data, metas, config, resolve_input_dim(config), action_vocabulary(metas))


def _store(loader: CountingLoader, cache_dir: Path) -> SampleStore:
    return SampleStore(loader, len(loader.metas), FeatureCache(cache_dir, loader.cache_settings()))


def _assert_same_sample(store: SampleStore, loader: VideoLoader, i: int) -> None:
    fresh, kept = loader(i), store.samples[i]
    cached = store.features(i)
    assert cached.dtype == fresh.features.dtype and cached.shape == fresh.features.shape
    assert np.asarray(cached).tobytes() == fresh.features.tobytes()  # byte-identical
    np.testing.assert_array_equal(kept.grid, fresh.grid)
    assert kept.pairs == fresh.pairs and kept.n_frames == fresh.n_frames
    np.testing.assert_array_equal(kept.mask, fresh.mask)
    assert len(kept.intervals) == len(fresh.intervals)
    for a, b in zip(kept.intervals, fresh.intervals, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (kept.lab, kept.log_fps) == (fresh.lab, fresh.log_fps)


def test_second_store_builds_nothing_and_reads_identical_features(loader: CountingLoader, tmp_path: Path) -> None:
    n = len(loader.metas)
    first = _store(loader, tmp_path / "cache")
    assert CountingLoader.calls == n == first.builds
    assert isinstance(first.features(0), np.memmap)  # read back memory-mapped, not kept in memory
    assert not first._memory
    second = _store(loader, tmp_path / "cache")
    assert CountingLoader.calls == n and second.builds == 0
    CountingLoader.calls = 0
    for i in range(n):
        _assert_same_sample(second, loader, i)


def test_changed_tracking_file_is_rebuilt(loader: CountingLoader, tmp_path: Path) -> None:
    _store(loader, tmp_path / "cache")
    CountingLoader.calls = 0
    tracking = MabeDataset(loader.root).tracking_path(loader.metas[1])
    st = tracking.stat()
    try:
        os.utime(tracking, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        again = _store(loader, tmp_path / "cache")
        assert CountingLoader.calls == 1 == again.builds  # only the touched video
    finally:
        os.utime(tracking, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_damaged_or_truncated_entries_are_rebuilt(loader: CountingLoader, tmp_path: Path) -> None:
    first = _store(loader, tmp_path / "cache")
    features = Path(first._files[0][0])
    with features.open("r+b") as handle:  # a truncated features file
        handle.truncate(features.stat().st_size // 2)
    cache = FeatureCache(tmp_path / "cache", loader.cache_settings())
    cache.path(loader.metas[1].key).write_bytes(b"not an npz")  # a damaged entry
    CountingLoader.calls = 0
    again = _store(loader, tmp_path / "cache")
    assert CountingLoader.calls == 2 == again.builds
    _assert_same_sample(again, loader, 0)
    _assert_same_sample(again, loader, 1)
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_features_damaged_during_training_are_fetched_again(loader: CountingLoader, tmp_path: Path) -> None:
    store = _store(loader, tmp_path / "cache")
    Path(store._files[2][0]).write_bytes(b"")
    CountingLoader.calls = 0
    _assert_same_sample(store, loader, 2)
    assert CountingLoader.calls == 2  # one rebuild by the store, one fresh sample by the check


def test_store_pickles_without_open_maps_and_workers_read_the_same_windows(
    loader: CountingLoader, tmp_path: Path
) -> None:
    store = _store(loader, tmp_path / "cache")
    store.features(0)
    assert store._open
    blob = pickle.dumps(store)
    assert len(blob) < store.samples[0].n * 100  # file names, not the features
    copy = pickle.loads(blob)
    assert not copy._open
    np.testing.assert_array_equal(copy.features(0), store.features(0))

    index = window_index(store, 64, 32, seed4=False)[:12]
    dataset = WindowDataset(store, index, 64, n_actions=len(loader.actions))
    main = [dataset[k]["x"] for k in range(len(index))]
    batches = DataLoader(dataset, batch_size=4, num_workers=2, shuffle=False)
    got = torch.cat([b["x"] for b in batches]).numpy()
    np.testing.assert_array_equal(got, np.stack(main))


def test_without_cache_features_stay_in_memory(loader: CountingLoader) -> None:
    store = SampleStore(loader, 2)
    assert CountingLoader.calls == 2 and not store._files
    assert not isinstance(store.features(1), np.memmap) and store.features(1).shape[1] == store.samples[1].n


def test_cached_store_needs_a_cached_loader(loader: CountingLoader, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="CachedLoader"):
        SampleStore(lambda i: loader(i), 1, FeatureCache(tmp_path, {}))


def test_network_cache_dir_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert network_cache_dir(None, None, data) is None
    assert network_cache_dir(None, tmp_path / "run", data) == tmp_path / "run" / "feature_cache"
    assert network_cache_dir(None, data / "runs" / "a", data) is None  # never written into the dataset
    assert network_cache_dir(tmp_path / "c", tmp_path / "run", data) == tmp_path / "c"
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    assert network_cache_dir(None, None, data) == tmp_path / "env"
    with pytest.raises(MabeError, match="inside the dataset"):
        network_cache_dir(data / "cache", None, data)


def test_prepare_twice_over_the_same_run_builds_once(tiny_data: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    config = recommended_config(tiny_data, ["val_fraction=0.5"]).model_copy(update={"run_dir": str(tmp_path / "run")})
    first = prepare(config)
    assert first.train_store.builds == len(first.train_metas) and first.val_store.builds == len(first.val_metas)
    again = prepare(config)
    assert again.train_store.builds == 0 and again.val_store.builds == 0
    assert (tmp_path / "run" / "feature_cache").is_dir() and not any(tiny_data.rglob("*.npy"))
