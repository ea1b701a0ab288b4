"""Per-video feature cache on disk, so cross-validation folds and ensemble members build features once.

Layout::

    CACHE_DIR/<key>/settings.json              what the key stands for (for people)
    CACHE_DIR/<key>/<lab_id>/<video_id>.npz    one entry per video

``<key>`` is a hash of the feature settings and :data:`FEATURE_CODE_VERSION`
(bumped whenever the feature code changes meaning), so different settings
never share entries. Each entry also records the *stamp* of the files it was
built from (resolved path, size and ``mtime_ns`` of each, plus anything else
the caller names, e.g. the video's metadata); an entry whose stamp differs
from the current files is rebuilt. Entries are written atomically (a
temporary sibling renamed into place), so a killed run never leaves half an
entry, and they are read one video at a time.

The cache directory is always given explicitly: it must never be inside a
user's dataset (:func:`resolve_cache_dir`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mabe.errors import MabeError
from mabe.fileio import atomic_write_text

FEATURE_CODE_VERSION = 1
"""Version of the cached feature code; part of every key."""

CACHE_ENV = "MABE_CACHE_DIR"
"""Environment variable naming the cache directory when none is given."""

_STAMP = "__stamp__"


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
    """The cache directory: ``cache_dir``, else ``$MABE_CACHE_DIR``, else ``default``.

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
        """The stamp text of an entry built from ``sources`` (and ``extra``)."""
        return json.dumps(
            {"files": [file_stamp(s) for s in sources], "extra": dict(extra or {})},
            sort_keys=True, default=str,
        )

    def load(
        self, name: str, sources: Sequence[str | Path], extra: Mapping[str, Any] | None = None
    ) -> dict[str, np.ndarray] | None:
        """The cached arrays of ``name``, or ``None`` if absent, stale or unreadable."""
        path = self.path(name)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                if _STAMP not in data or str(data[_STAMP]) != self.stamp(sources, extra):
                    return None
                return {k: data[k] for k in data.files if k != _STAMP}
        except (OSError, ValueError, KeyError, EOFError):
            return None  # a damaged entry is rebuilt

    def save(
        self,
        name: str,
        arrays: Mapping[str, np.ndarray],
        sources: Sequence[str | Path],
        extra: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write an entry atomically (temporary sibling, then ``os.replace``)."""
        if _STAMP in arrays:
            raise ValueError(f"array name {_STAMP!r} is reserved")
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        settings_file = self.dir / "settings.json"
        if not settings_file.is_file():
            text = json.dumps({"settings": self.settings, "version": self.version}, indent=2, default=str)
            atomic_write_text(settings_file, text + "\n")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, **{_STAMP: np.array(self.stamp(sources, extra))}, **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def get_or_build(
        self,
        name: str,
        sources: Sequence[str | Path],
        build: Callable[[], Mapping[str, np.ndarray]],
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, np.ndarray]:
        """The cached arrays of ``name``; built with ``build()`` and stored when missing or stale.

        The stamp is taken before building, so a source changed while its
        entry is built makes the entry stale rather than wrongly fresh.
        """
        cached = self.load(name, sources, extra)
        if cached is not None:
            self.hits += 1
            return cached
        stamp_sources = list(sources)
        before = self.stamp(stamp_sources, extra)
        arrays = {k: np.asarray(v) for k, v in build().items()}
        self.builds += 1
        if self.stamp(stamp_sources, extra) == before:
            self.save(name, arrays, stamp_sources, extra)
        return arrays
