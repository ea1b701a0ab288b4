"""Per-video feature cache on disk, so cross-validation folds and ensemble members build features once.

Layout::

    CACHE_DIR/<key>/settings.json              what the key stands for (for people)
    CACHE_DIR/<key>/<lab_id>/<video_id>.npz    one entry per video
    CACHE_DIR/<key>/<lab_id>/<video_id>.<tag>.<array>.npy
                                               an array of the entry kept apart, to be memory-mapped

``<key>`` is a hash of the feature settings and :data:`FEATURE_CODE_VERSION`
(bumped whenever the feature code changes meaning), so different settings
never share entries. Each entry also records the *stamp* of the files it was
built from (resolved path, size and ``mtime_ns`` of each, plus anything else
the caller names, e.g. the video's metadata); an entry whose stamp differs
from the current files is rebuilt. Entries are written atomically (a
temporary sibling renamed into place), so a killed run never leaves half an
entry, and they are read one video at a time; an entry that cannot be read
(damaged, truncated) is rebuilt.

Large arrays can be kept *mapped* (``mapped=`` of :meth:`FeatureCache.save`):
they are written as plain ``.npy`` files beside the entry and read back with
``np.load(mmap_mode="r")``, so only the pages in use stay in memory (the OS
page cache bounds it). Their file name carries a tag of the entry's stamp,
so two processes building the same entry write the same bytes to the same
name, and the ``.npz`` (written last) is what makes an entry valid.

The cache directory is always given explicitly: it must never be inside a
user's dataset (:func:`resolve_cache_dir`).
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mabe.data.types import VideoMeta
from mabe.errors import MabeError
from mabe.fileio import atomic_write_text, atomic_write_with

FEATURE_CODE_VERSION = 1
"""Version of the cached feature code; part of every key."""

CACHE_ENV = "MABE_CACHE_DIR"
"""Environment variable naming the cache directory when none is given."""

_STAMP = "__stamp__"
_MAPPED = "__mapped__"
_RESERVED = (_STAMP, _MAPPED)


def settings_key(settings: Mapping[str, Any], version: int | str = FEATURE_CODE_VERSION) -> str:
    """Short stable hash of JSON-able settings and a code version.

    Examples
    --------
    >>> settings_key({"a": 1, "b": [1, 2]}) == settings_key({"b": [1, 2], "a": 1})
    True
    >>> settings_key({"a": 1}) == settings_key({"a": 1}, version="other")
    False
    """
    text = json.dumps({"settings": settings, "version": version}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_stamp(path: str | Path) -> dict[str, Any]:
    """Identity of a file's content as far as the file system tells: path, size, mtime_ns.

    A missing file has a stamp too (``{"path": ..., "missing": True}``), so a
    file appearing later invalidates entries built without it.
    """
    resolved = Path(path).resolve()
    try:
        st = resolved.stat()
    except FileNotFoundError:
        return {"path": str(resolved), "missing": True}
    return {"path": str(resolved), "size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns)}


def resolve_cache_dir(
    cache_dir: str | Path | None, default: str | Path, forbidden: Sequence[str | Path] = ()
) -> Path:
    """Choose the cache directory: ``cache_dir``, else ``$MABE_CACHE_DIR``, else ``default``.

    Raises
    ------
    MabeError
        If the directory is inside one of ``forbidden`` (a user's dataset).
    """
    env = os.environ.get(CACHE_ENV)
    chosen = Path(cache_dir) if cache_dir is not None else Path(env) if env else Path(default)
    resolved = chosen.resolve()
    for root in forbidden:
        root = Path(root).resolve()
        if resolved == root or root in resolved.parents:
            raise MabeError(f"{chosen}: the feature cache may not be inside the dataset {root}")
    return chosen


def meta_stamp(meta: VideoMeta) -> dict[str, Any]:
    """Return what a video's cached arrays depend on in its metadata (all of it but the split).

    Examples
    --------
    >>> meta = VideoMeta("test", "L", 1, 30.0, 2, ("nose",), ())
    >>> "split" in meta_stamp(meta), meta_stamp(meta)["lab_id"]
    (False, 'L')
    """
    return {k: v for k, v in vars(meta).items() if k != "split"}


class FeatureCache:
    """Arrays per video on disk, keyed by settings and the stamps of the source files.

    Parameters
    ----------
    cache_dir
        Root of the cache (created when first written).
    settings
        JSON-able settings the cached arrays depend on.
    version
        Feature-code version (default :data:`FEATURE_CODE_VERSION`).

    Attributes
    ----------
    hits, builds
        How many entries were read from disk and built since creation.

    Examples
    --------
    >>> import tempfile
    >>> cache = FeatureCache(tempfile.mkdtemp(), {"window": 1.0})
    >>> src = Path(tempfile.mkdtemp()) / "pose.txt"; _ = src.write_text("x")
    >>> build = lambda: {"x": np.arange(3.0)}
    >>> _ = cache.get_or_build("lab/1", [src], build); _ = cache.get_or_build("lab/1", [src], build)
    >>> cache.builds, cache.hits
    (1, 1)
    """

    def __init__(
        self, cache_dir: str | Path, settings: Mapping[str, Any], version: int | str = FEATURE_CODE_VERSION
    ) -> None:
        self.root = Path(cache_dir)
        self.settings = dict(settings)
        self.version = version
        self.key = settings_key(self.settings, version)
        self.dir = self.root / self.key
        self.hits = 0
        self.builds = 0

    def __repr__(self) -> str:
        return f"FeatureCache({str(self.dir)!r})"

    def path(self, name: str) -> Path:
        """Where the entry ``name`` (``"lab_id/video_id"``) lives."""
        parts = [p for p in str(name).replace("\\", "/").split("/") if p not in ("", ".", "..")]
        if not parts:
            raise ValueError(f"bad cache entry name {name!r}")
        return self.dir.joinpath(*parts[:-1], parts[-1] + ".npz")

    @staticmethod
    def stamp(sources: Sequence[str | Path], extra: Mapping[str, Any] | None = None) -> str:
        """Return the stamp text of an entry built from ``sources`` (and ``extra``)."""
        return json.dumps(
            {"files": [file_stamp(s) for s in sources], "extra": dict(extra or {})},
            sort_keys=True, default=str,
        )

    def mapped_path(self, name: str, array: str, stamp: str) -> Path:
        """Where the mapped ``array`` of the entry ``name`` built under ``stamp`` lives."""
        path = self.path(name)
        tag = hashlib.sha256(f"{self.key}\n{stamp}".encode()).hexdigest()[:12]
        return path.with_name(f"{path.stem}.{tag}.{array}.npy")

    def load(
        self, name: str, sources: Sequence[str | Path], extra: Mapping[str, Any] | None = None
    ) -> dict[str, np.ndarray] | None:
        """Read the cached arrays of ``name``; ``None`` if absent, stale or unreadable.

        Mapped arrays come back as read-only memory maps (``np.memmap``).
        """
        path = self.path(name)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                stamp = self.stamp(sources, extra)
                if _STAMP not in data or str(data[_STAMP]) != stamp:
                    return None
                arrays = {k: data[k] for k in data.files if k not in _RESERVED}
                mapped = json.loads(str(data[_MAPPED])) if _MAPPED in data else {}
            for array, shape in mapped.items():
                opened = np.load(self.mapped_path(name, array, stamp), mmap_mode="r", allow_pickle=False)
                if list(opened.shape) != list(shape):
                    return None  # a file of another build (or damaged)
                arrays[array] = opened
            return arrays
        except (OSError, ValueError, KeyError, EOFError, TypeError):
            return None  # a damaged or truncated entry is rebuilt

    def save(
        self,
        name: str,
        arrays: Mapping[str, np.ndarray],
        sources: Sequence[str | Path],
        extra: Mapping[str, Any] | None = None,
        mapped: Sequence[str] = (),
    ) -> Path:
        """Write an entry atomically (temporary sibling, then ``os.replace``).

        The arrays named in ``mapped`` go to their own ``.npy`` files (written
        first; the ``.npz`` written last makes the entry valid), and the
        mapped files of older builds of the entry are removed.
        """
        reserved = [k for k in _RESERVED if k in arrays]
        if reserved:
            raise ValueError(f"array name {reserved[0]!r} is reserved")
        missing = [k for k in mapped if k not in arrays]
        if missing:
            raise ValueError(f"mapped arrays {missing} are not among the arrays {sorted(arrays)}")
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        settings_file = self.dir / "settings.json"
        if not settings_file.is_file():
            text = json.dumps({"settings": self.settings, "version": self.version}, indent=2, default=str)
            atomic_write_text(settings_file, text + "\n")
        stamp = self.stamp(sources, extra)
        keep: set[str] = set()
        for array in mapped:
            target = self.mapped_path(name, array, stamp)
            atomic_write_with(target, functools.partial(np.save, arr=arrays[array], allow_pickle=False))
            keep.add(target.name)
        payload: dict[str, Any] = {k: v for k, v in arrays.items() if k not in mapped}
        payload[_STAMP] = np.array(stamp)
        if mapped:
            payload[_MAPPED] = np.array(json.dumps({k: list(np.shape(arrays[k])) for k in mapped}))
        atomic_write_with(path, functools.partial(np.savez, **payload))
        for old in path.parent.glob(f"{glob.escape(path.stem)}.*.npy"):
            if old.name not in keep and old.name.split(".")[0] == path.stem:
                old.unlink(missing_ok=True)  # mapped files of an older build of this entry
        return path

    def get_or_build(
        self,
        name: str,
        sources: Sequence[str | Path],
        build: Callable[[], Mapping[str, np.ndarray]],
        extra: Mapping[str, Any] | None = None,
        mapped: Sequence[str] = (),
    ) -> dict[str, np.ndarray]:
        """Read the cached arrays of ``name``; build them with ``build()`` and store them when missing or stale.

        The stamp is taken before building, so a source changed while its
        entry is built makes the entry stale rather than wrongly fresh (and
        the built arrays are returned without being stored). Once stored,
        the ``mapped`` arrays are returned memory-mapped from their files.
        """
        cached = self.load(name, sources, extra)
        if cached is not None:
            self.hits += 1
            return cached
        stamp_sources = list(sources)
        before = self.stamp(stamp_sources, extra)
        arrays = {k: np.asarray(v) for k, v in build().items()}
        self.builds += 1
        if self.stamp(stamp_sources, extra) != before:
            return arrays
        self.save(name, arrays, stamp_sources, extra, mapped)
        if not mapped:
            return arrays
        stored = self.load(name, stamp_sources, extra)
        return arrays if stored is None else stored
