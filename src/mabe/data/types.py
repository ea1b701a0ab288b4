"""Data classes shared by every layer: one video's metadata, pose and labels.

These hold arrays and values only; reading and writing lives in the I/O
modules (:mod:`mabe.data.io`), so features and models never touch files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mabe.data.schema import Triple


@dataclass(frozen=True)
class VideoMeta:
    """One row of ``train.csv`` / ``test.csv``, parsed and typed.

    Attributes
    ----------
    split
        ``"train"`` or ``"test"``.
    lab_id, video_id
        Identify the video; files live at ``{split}_tracking/{lab_id}/{video_id}.parquet``.
    fps
        Frames per second (> 0).
    n_mice
        Mice listed in the metadata (mouse columns that are not all empty); at least 1.
    body_parts
        ``body_parts_tracked`` as listed.
    behaviors_labeled
        The (agent, target, action) triples annotated in this video. Labels
        are sparse: a triple outside this list is unknown, not negative.
    pix_per_cm
        ``pix_per_cm_approx``; NaN if absent.
    video_width, video_height
        Frame size in pixels (NaN if absent).
    arena_width_cm, arena_height_cm
        Arena size in cm (NaN if absent).
    """

    split: str
    lab_id: str
    video_id: int
    fps: float
    n_mice: int
    body_parts: tuple[str, ...]
    behaviors_labeled: tuple[Triple, ...]
    duration_sec: float = float("nan")
    pix_per_cm: float = float("nan")
    video_width: float = float("nan")
    video_height: float = float("nan")
    arena_width_cm: float = float("nan")
    arena_height_cm: float = float("nan")
    arena_shape: str = ""
    arena_type: str = ""
    tracking_method: str = ""

    @property
    def key(self) -> str:
        """``"lab_id/video_id"``, handy in messages and progress bars."""
        return f"{self.lab_id}/{self.video_id}"


@dataclass
class Pose:
    """Dense pose of one video.

    Attributes
    ----------
    coords
        ``float32`` array of shape ``(frames, mice, body_parts, 2)`` holding
        (x, y) in pixels; NaN where a keypoint was not tracked. Mouse slot
        ``i`` is ``mouse_id == i + 1``.
    body_parts
        Names of the body-part axis, in array order.
    """

    coords: np.ndarray
    body_parts: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.coords.ndim != 4 or self.coords.shape[-1] != 2:
            raise ValueError(
                f"coords must have shape (frames, mice, body_parts, 2), got {self.coords.shape}"
            )
        if self.coords.shape[2] != len(self.body_parts):
            raise ValueError(
                f"coords has {self.coords.shape[2]} body parts but {len(self.body_parts)} names"
            )

    @property
    def n_frames(self) -> int:
        """Frames of the pose array."""
        return int(self.coords.shape[0])

    @property
    def n_mice(self) -> int:
        """Mouse slots of the pose array."""
        return int(self.coords.shape[1])


@dataclass
class Video:
    """Everything known about one video.

    ``annotations`` has the columns of
    :data:`mabe.data.schema.ANNOTATION_COLUMNS` (integer mouse ids,
    exclusive ``stop_frame``), or is ``None`` when the split has no labels.
    """

    meta: VideoMeta
    pose: Pose
    annotations: pd.DataFrame | None = field(default=None)

    @property
    def n_frames(self) -> int:
        """Frames of the video."""
        return self.pose.n_frames
