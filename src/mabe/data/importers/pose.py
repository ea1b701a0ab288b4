"""Pose files of pose-estimation tools, read through ``movement``.

``movement`` (https://movement.neuroinformatics.dev) reads DeepLabCut (.h5 and
.csv, single- and multi-animal), SLEAP (.slp and analysis .h5), LightningPose,
Anipose and NWB files into one xarray layout. This module turns that into a
dense ``(frames, mice, keypoints, 2)`` array with NaN where a keypoint is
absent, which is what the MABe tracking parquet stores (one row per present
keypoint).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from loguru import logger

from mabe.data import schema
from mabe.errors import DataError, MabeError

SOFTWARE: tuple[str, ...] = ("DeepLabCut", "SLEAP", "LightningPose", "Anipose", "NWB")
"""``--source-software`` values understood by ``movement``."""


@dataclass
class PoseRecording:
    """One pose file, densified.

    Attributes
    ----------
    path
        Absolute path of the source file.
    software
        The ``movement`` source software it was read as.
    fps
        Frames per second (from the file or from the user, never guessed).
    individuals
        Track names in file order; slot ``i`` becomes mouse ``i + 1``.
    keypoints
        Keypoint names in file order, kept as they are.
    coords
        ``float32 (frames, individuals, keypoints, 2)`` pixel (x, y); NaN where
        the keypoint is missing or below the confidence threshold.
    n_low_confidence
        Keypoints (frame, individual, keypoint) with coordinates dropped by the
        confidence threshold, those without a confidence (NaN) included.
    n_no_confidence
        Of those, the ones dropped because their confidence is NaN.
    """

    path: Path
    software: str
    fps: float
    individuals: tuple[str, ...]
    keypoints: tuple[str, ...]
    coords: np.ndarray
    n_low_confidence: int = 0
    n_no_confidence: int = 0

    def __post_init__(self) -> None:
        expected = (len(self.individuals), len(self.keypoints), 2)
        if self.coords.ndim != 4 or self.coords.shape[1:] != expected:
            raise ValueError(
                f"coords must have shape (frames, *{expected}), got {self.coords.shape}"
            )

    @property
    def n_frames(self) -> int:
        """Frames in the recording."""
        return int(self.coords.shape[0])


def detect_software(path: Path) -> str:
    """Which tool wrote ``path``, from its suffix and first lines.

    DeepLabCut and LightningPose csv files share one format and are read as
    ``"DeepLabCut"``.

    Raises
    ------
    DataError
        When the file cannot be recognised; the message asks for ``--source-software``.

    Examples
    --------
    >>> detect_software(Path("session1.nwb"))
    'NWB'
    """
    suffix = path.suffix.lower()
    if suffix == ".nwb":
        return "NWB"
    if suffix == ".slp":
        return "SLEAP"
    if suffix == ".h5":
        import h5py

        try:
            with h5py.File(path, "r") as handle:
                return "SLEAP" if "tracks" in handle else "DeepLabCut"
        except OSError as exc:
            raise DataError(path, f"not a readable HDF5 file ({exc})") from None
    if suffix == ".csv":
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = [handle.readline() for _ in range(2)]
        first = head[0].split(",")[0].strip().lower()
        if first == "scorer":
            return "DeepLabCut"
        columns = {c.strip() for c in head[0].split(",")}
        if any(c.endswith("_z") for c in columns) and any(
            c.endswith("_x") for c in columns
        ):
            return "Anipose"
    raise DataError(
        path,
        "cannot tell which software wrote this file; pass --source-software "
        f"({'|'.join(SOFTWARE)})",
    )


@contextlib.contextmanager
def _quiet_movement() -> Iterator[None]:
    """Silence movement's own logging (we report its errors as one line)."""
    logger.disable("movement")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.enable("movement")


def _resolve_fps(path: Path, file_fps: float | None, user_fps: float | None) -> float:
    if user_fps is not None and (not math.isfinite(user_fps) or user_fps <= 0):
        raise MabeError(f"--fps must be a number > 0, got {user_fps}")
    if (
        file_fps is not None
        and user_fps is not None
        and abs(file_fps - user_fps) > 1e-6
    ):
        raise DataError(
            path, f"the file says {file_fps:g} fps but --fps is {user_fps:g}"
        )
    fps = file_fps if file_fps is not None else user_fps
    if fps is None:
        raise DataError(
            path,
            "the file does not record its frame rate; pass --fps (frames per second)",
        )
    return float(fps)


def load_recording(
    path: str | Path,
    software: str = "auto",
    fps: float | None = None,
    min_confidence: float | None = None,
) -> PoseRecording:
    """Read one pose file into a :class:`PoseRecording`.

    Parameters
    ----------
    path
        The pose file.
    software
        One of :data:`SOFTWARE`, or ``"auto"`` (see :func:`detect_software`).
    fps
        Frames per second; required unless the file records it (NWB). When both
        are known they must agree.
    min_confidence
        Keypoints whose confidence is below this, or missing (NaN, as in
        hand-edited DeepLabCut files), become absent. ``None``: keep all.

    Raises
    ------
    DataError
        Missing or unreadable file, no frame rate, more than four individuals,
        no frames, ``min_confidence`` given for a file without any confidence.

    Examples
    --------
    >>> rec = load_recording("session1_DLC.csv", fps=30)   # doctest: +SKIP
    >>> rec.individuals, rec.coords.shape                   # doctest: +SKIP
    (('adult', 'juvenile'), (5700, 2, 7, 2))
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise DataError(path, "pose file not found")
    if software == "auto":
        software = detect_software(path)
    if software not in SOFTWARE:
        raise MabeError(
            f"--source-software must be auto or one of {', '.join(SOFTWARE)}"
        )
    from movement.io import load_dataset

    try:
        with _quiet_movement():
            ds = load_dataset(
                path, source_software=software, fps=None if software == "NWB" else fps
            )
    except Exception as exc:  # noqa: BLE001 - movement raises many kinds; report one line
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(
            path, f"not readable as {software} output ({message})"
        ) from None
    file_fps = ds.attrs.get("fps") if software == "NWB" else None
    rate = _resolve_fps(path, None if file_fps is None else float(file_fps), fps)
    return _from_dataset(path, software, rate, ds, min_confidence)


def _from_dataset(
    path: Path, software: str, fps: float, ds: object, min_confidence: float | None
) -> PoseRecording:
    position = ds["position"].transpose("time", "individuals", "keypoints", "space")  # type: ignore[index]
    space = [str(s) for s in position["space"].values]
    xy = (
        position.sel(space=["x", "y"]).values.astype(np.float64)
        if "x" in space
        else None
    )
    if xy is None:
        raise DataError(path, f"no x/y coordinates (space axis is {space})")
    individuals = tuple(str(i) for i in position["individuals"].values)
    keypoints = tuple(str(k) for k in position["keypoints"].values)
    if len(individuals) > schema.MAX_MICE:
        raise DataError(
            path,
            f"{len(individuals)} individuals ({', '.join(individuals)}); "
            f"the MABe layout holds at most {schema.MAX_MICE} mice per video",
        )
    if xy.shape[0] == 0:
        raise DataError(path, "no frames")
    absent = ~np.isfinite(xy).all(axis=-1)
    n_low = n_unscored = 0
    if min_confidence is not None:
        conf = (
            ds["confidence"].transpose("time", "individuals", "keypoints").values  # type: ignore[index]
            if "confidence" in ds  # type: ignore[operator]
            else np.full(absent.shape, np.nan)
        )
        # as movement's filter_by_confidence: a missing (NaN) confidence is not
        # at or above the threshold, so the keypoint is left out
        unscored = ~np.isfinite(conf) & ~absent
        if unscored.any() and unscored.sum() == (~absent).sum():
            raise DataError(
                path,
                "the file records no confidence for any keypoint, so --min-confidence "
                "would leave nothing; import it without --min-confidence",
            )
        low = ~(conf >= min_confidence) & ~absent
        n_low, n_unscored = int(low.sum()), int(unscored.sum())
        absent |= low
    xy[absent] = np.nan
    return PoseRecording(
        path=path,
        software=software,
        fps=fps,
        individuals=individuals,
        keypoints=keypoints,
        coords=xy.astype(np.float32),
        n_low_confidence=n_low,
        n_no_confidence=n_unscored,
    )
