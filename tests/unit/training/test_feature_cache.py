from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from mabe.errors import MabeError
from mabe.training.feature_cache import (
    CACHE_ENV,
    FeatureCache,
    file_stamp,
    resolve_cache_dir,
    settings_key,
)


class _Builder:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        return {"x": np.full((3, 2), float(self.calls), dtype=np.float32), "y": np.arange(3)}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "video.parquet"
    path.parent.mkdir()
    path.write_bytes(b"pose")
    return path


def test_hit_miss_and_arrays_round_trip(tmp_path: Path, source: Path) -> None:
    cache, build = FeatureCache(tmp_path / "cache", {"w": [1.0]}), _Builder()
    first = cache.get_or_build("lab/7", [source], build)
    second = cache.get_or_build("lab/7", [source], build)
    assert build.calls == 1 and (cache.builds, cache.hits) == (1, 1)
    assert second["x"].dtype == np.float32
    np.testing.assert_array_equal(first["x"], second["x"])
    np.testing.assert_array_equal(second["y"], [0, 1, 2])
    assert cache.path("lab/7") == tmp_path / "cache" / cache.key / "lab" / "7.npz"
    assert (cache.dir / "settings.json").is_file()
    assert not list(cache.dir.rglob("*.tmp"))  # written atomically, nothing left over


def test_changed_source_file_invalidates(tmp_path: Path, source: Path) -> None:
    cache, build = FeatureCache(tmp_path / "cache", {"w": 1}), _Builder()
    cache.get_or_build("lab/7", [source], build)
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched
    assert cache.get_or_build("lab/7", [source], build)["x"][0, 0] == 2.0
    source.write_bytes(b"pose, longer")  # new content
    cache.get_or_build("lab/7", [source], build)
    missing = source.parent / "annotation.parquet"
    cache.get_or_build("lab/7", [source, missing], build)  # a source appearing later
    missing.write_bytes(b"labels")
    cache.get_or_build("lab/7", [source, missing], build)
    cache.get_or_build("lab/7", [source, missing], build, extra={"fps": 30.0})  # metadata changed
    assert build.calls == 6 and cache.hits == 0
    cache.get_or_build("lab/7", [source, missing], build, extra={"fps": 30.0})
    assert build.calls == 6 and cache.hits == 1


def test_changed_settings_or_version_use_another_key(tmp_path: Path, source: Path) -> None:
    build = _Builder()
    FeatureCache(tmp_path / "c", {"w": 1}).get_or_build("lab/7", [source], build)
    other = FeatureCache(tmp_path / "c", {"w": 2})
    newer = FeatureCache(tmp_path / "c", {"w": 1}, version="next")
    other.get_or_build("lab/7", [source], build)
    newer.get_or_build("lab/7", [source], build)
    assert build.calls == 3 and len({other.key, newer.key, settings_key({"w": 1})}) == 3
    again = FeatureCache(tmp_path / "c", {"w": 1})
    again.get_or_build("lab/7", [source], build)
    assert again.hits == 1 and build.calls == 3


def test_damaged_entry_is_rebuilt(tmp_path: Path, source: Path) -> None:
    cache, build = FeatureCache(tmp_path / "cache", {}), _Builder()
    cache.get_or_build("lab/7", [source], build)
    cache.path("lab/7").write_bytes(b"not an npz")
    assert cache.get_or_build("lab/7", [source], build)["x"][0, 0] == 2.0
    assert cache.get_or_build("lab/7", [source], build)["x"][0, 0] == 2.0 and cache.hits == 1


def test_file_stamp_and_names(tmp_path: Path, source: Path) -> None:
    stamp = file_stamp(source)
    assert stamp["size"] == 4 and stamp["path"] == str(source.resolve())
    assert file_stamp(tmp_path / "absent")["missing"] is True
    cache = FeatureCache(tmp_path, {})
    assert cache.path("../../escape/1").is_relative_to(cache.dir)
    with pytest.raises(ValueError, match="reserved"):
        cache.save("a/1", {"__stamp__": np.zeros(1)}, [source])


def test_resolve_cache_dir_never_inside_the_dataset(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert resolve_cache_dir(None, tmp_path / "run" / "cache", [data]) == tmp_path / "run" / "cache"
    assert resolve_cache_dir(tmp_path / "mine", tmp_path / "x", [data]) == tmp_path / "mine"
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    assert resolve_cache_dir(None, tmp_path / "x", [data]) == tmp_path / "env"
    with pytest.raises(MabeError, match="inside the dataset"):
        resolve_cache_dir(data / "cache", tmp_path / "x", [data])
    with pytest.raises(MabeError, match="inside the dataset"):
        resolve_cache_dir(data, tmp_path / "x", [data])
