"""Read a dataset in the Kaggle MABe 2025 layout, lazily and read-only.

Only the metadata tables are read eagerly; tracking and annotation files are
read one video at a time. Nothing is ever written below the dataset root.

Every reader checks its file and raises :class:`~mabe.errors.DataError` with a
one-line message naming the file and the problem, e.g.::

    data/train_tracking/LabA/7.parquet: column 'x' has dtype str, expected a number

The checks themselves live in :mod:`mabe.data.checks` and
:mod:`mabe.data.metadata`, where they report every problem (see
:func:`mabe.data.validate.validate_dataset`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mabe.data import schema
from mabe.data.checks import Checked, check_annotations, check_tracking
from mabe.data.dense import tracking_to_dense
from mabe.data.metadata import check_metadata, meta_from_row
from mabe.data.solution import add_boutless_videos
from mabe.data.stream import release_arrow_memory, stream_pose
from mabe.data.types import Pose, Video, VideoMeta
from mabe.errors import DataError
from mabe.progress import track

__all__ = [
    "MabeDataset",
    "frame_limit",
    "meta_from_row",
    "read_annotations",
    "read_metadata",
    "read_pose",
    "read_tracking",
    "tracking_to_dense",
]


def frame_limit(meta: VideoMeta) -> int | None:
    """Return the first ``video_frame`` too far beyond the metadata's duration to densify.

    Ten times ``video_duration_sec * frames_per_second`` plus 10,000 frames;
    ``None`` when the duration is unknown.

    Examples
    --------
    >>> meta = VideoMeta("train", "LabA", 7, fps=30.0, n_mice=2, body_parts=("nose",),
    ...                  behaviors_labeled=(), duration_sec=60.0)
    >>> frame_limit(meta)
    28000
    """
    expected = meta.duration_sec * meta.fps
    return int(10 * expected + 10_000) if math.isfinite(expected) else None


def _frame_or_raise(path: str | Path, checked: Checked) -> pd.DataFrame:
    if checked.problems:
        raise DataError(path, checked.problems[0])
    assert checked.frame is not None
    return checked.frame


def _check_split(split: str) -> None:
    if split not in schema.SPLITS:
        raise ValueError(f"split must be one of {schema.SPLITS}, got {split!r}")


def read_metadata(path: str | Path, split: str) -> pd.DataFrame:
    """Read and check ``train.csv`` / ``test.csv``.

    Parameters
    ----------
    path
        The csv file.
    split
        ``"train"`` or ``"test"``.

    Returns
    -------
    pd.DataFrame
        One row per video, columns in :data:`~mabe.data.schema.METADATA_COLUMNS`
        order, ``video_id`` as ``int64``, text cells as read (the raw JSON of
        ``behaviors_labeled`` is kept).

    Raises
    ------
    DataError
        On the first problem: missing file or column, unexpected column, a
        bad cell (naming row, video id and column), a duplicate video id.

    Examples
    --------
    >>> read_metadata("/nonexistent/train.csv", "train")
    Traceback (most recent call last):
    ...
    mabe.errors.DataError: /nonexistent/train.csv: file not found
    """
    _check_split(split)
    return _frame_or_raise(path, check_metadata(path))


def read_tracking(path: str | Path) -> pd.DataFrame:
    """Read and check one tracking parquet file (long format).

    Raises
    ------
    DataError
        If the file is missing, empty (0 bytes or 0 rows), not readable as
        parquet, has missing/unexpected columns or wrong dtypes, non-finite
        coordinates, negative frames, mouse ids outside 1..4, or duplicate
        ``(video_frame, mouse_id, bodypart)`` rows.

    Examples
    --------
    >>> read_tracking("/nonexistent/7.parquet")
    Traceback (most recent call last):
    ...
    mabe.errors.DataError: /nonexistent/7.parquet: file not found
    """
    return _frame_or_raise(path, check_tracking(path))


def read_pose(
    path: str | Path,
    body_parts: Sequence[str] | None = None,
    n_mice: int | None = None,
    max_frames: int | None = None,
) -> Pose:
    """Read, check and densify one tracking file.

    Equal to ``tracking_to_dense(read_tracking(path), body_parts, n_mice)``:
    the streaming reader handles clean files, the checked pandas path
    everything else (and raises its first problem).

    ``max_frames``: a file whose last ``video_frame`` is at or beyond it is
    refused rather than densified (a corrupt frame number would otherwise
    ask for terabytes).

    Raises
    ------
    DataError
        As :func:`read_tracking`, or for a frame beyond ``max_frames``.

    Examples
    --------
    >>> read_pose("/nonexistent/7.parquet")
    Traceback (most recent call last):
    ...
    mabe.errors.DataError: /nonexistent/7.parquet: file not found
    """
    pose = stream_pose(path, body_parts=body_parts, n_mice=n_mice, max_frames=max_frames)
    if pose is not None:
        return pose
    frame = read_tracking(path)
    if max_frames is not None and len(frame):
        last = int(frame["video_frame"].max())
        if last >= max_frames:
            raise DataError(
                path, f"video_frame {last} is far beyond the frames the csv gives this video (at most {max_frames})"
            )
    pose = tracking_to_dense(frame, body_parts=body_parts, n_mice=n_mice)
    release_arrow_memory()
    return pose


def read_annotations(
    path: str | Path, n_frames: int | None = None, n_mice: int | None = None
) -> pd.DataFrame:
    """Read and check one annotation parquet file.

    Parameters
    ----------
    path
        The ``{split}_annotation/{lab_id}/{video_id}.parquet`` file.
    n_frames
        Frames in the video; when given, an interval ending past it is an error.
    n_mice
        Mice in the video; when given, agents/targets must be in ``1..n_mice``.

    Returns
    -------
    pd.DataFrame
        Columns :data:`~mabe.data.schema.ANNOTATION_COLUMNS` with
        :data:`~mabe.data.schema.ANNOTATION_DTYPES`. Unknown action names are
        kept; empty ones are an error.

    Examples
    --------
    >>> read_annotations("/nonexistent/7.parquet")
    Traceback (most recent call last):
    ...
    mabe.errors.DataError: /nonexistent/7.parquet: file not found
    """
    return _frame_or_raise(path, check_annotations(path, n_frames=n_frames, n_mice=n_mice))


def annotations_to_solution(
    annotations: pd.DataFrame, video_id: int, lab_id: str, behaviors_labeled: object
) -> pd.DataFrame:
    """One video's annotations in the metric's solution format.

    Examples
    --------
    >>> ann = pd.DataFrame({"agent_id": [1, 2], "target_id": [2, 2], "action": ["sniff", "rear"],
    ...                     "start_frame": [0, 5], "stop_frame": [4, 9]})
    >>> sol = annotations_to_solution(ann, 7, "LabA", '["mouse1,mouse2,sniff"]')
    >>> sol[["agent_id", "target_id", "action"]].values.tolist()
    [['mouse1', 'mouse2', 'sniff'], ['mouse2', 'self', 'rear']]
    """
    agent = annotations["agent_id"].to_numpy(np.int64)
    target = annotations["target_id"].to_numpy(np.int64)
    target_names = np.char.add("mouse", target.astype(str))
    return pd.DataFrame(
        {
            "video_id": np.full(len(annotations), int(video_id), dtype=np.int64),
            "agent_id": pd.array(np.char.add("mouse", agent.astype(str)), dtype="str"),
            "target_id": pd.array(np.where(agent == target, "self", target_names), dtype="str"),
            "action": pd.array(annotations["action"], dtype="str"),
            "start_frame": annotations["start_frame"].to_numpy(np.int64),
            "stop_frame": annotations["stop_frame"].to_numpy(np.int64),
            "lab_id": pd.array([str(lab_id)] * len(annotations), dtype="str"),
            "behaviors_labeled": pd.array([behaviors_labeled] * len(annotations), dtype="str"),
        },
        columns=list(schema.SOLUTION_COLUMNS),
    )


class MabeDataset:
    """A dataset directory in the Kaggle layout, read lazily.

    Only ``train.csv`` / ``test.csv`` are read eagerly (on first use, then
    cached); poses and annotations are read one video at a time.

    Parameters
    ----------
    root
        Directory holding ``train.csv`` and/or ``test.csv`` and the
        ``{split}_tracking`` / ``{split}_annotation`` trees.

    Raises
    ------
    DataError
        If ``root`` does not exist or holds neither ``train.csv`` nor ``test.csv``.

    Examples
    --------
    >>> ds = MabeDataset("data/")                       # doctest: +SKIP
    >>> for video in ds.iter_videos("train"):           # doctest: +SKIP
    ...     print(video.meta.key, video.pose.coords.shape)
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise DataError(self.root, "dataset directory not found")
        if not self.splits():
            raise DataError(self.root, "not a MABe dataset: neither train.csv nor test.csv found")
        self._metadata: dict[str, pd.DataFrame] = {}
        self._metas: dict[str, list[VideoMeta]] = {}

    def __repr__(self) -> str:
        return f"MabeDataset({str(self.root)!r})"

    def splits(self) -> list[str]:
        """Return the splits whose metadata csv exists, in ``("train", "test")`` order."""
        return [s for s in schema.SPLITS if schema.metadata_path(self.root, s).is_file()]

    def metadata(self, split: str) -> pd.DataFrame:
        """Return the checked metadata table of ``split`` (cached; do not modify it)."""
        _check_split(split)
        if split not in self._metadata:
            self._metadata[split] = read_metadata(schema.metadata_path(self.root, split), split)
        return self._metadata[split]

    def metas(self, split: str) -> list[VideoMeta]:
        """One :class:`~mabe.data.types.VideoMeta` per metadata row, in file order."""
        if split not in self._metas:
            path = schema.metadata_path(self.root, split)
            metas = []
            for i, row in enumerate(self.metadata(split).to_dict("records")):
                try:
                    metas.append(meta_from_row(row, split))
                except ValueError as exc:  # read_metadata checked every cell already
                    raise DataError(path, f"row {i + 1}: {exc}") from None
            self._metas[split] = metas
        return self._metas[split]

    def meta(self, split: str, video_id: int) -> VideoMeta:
        """Return the metadata of one video; ``DataError`` if ``split`` has no such video."""
        for meta in self.metas(split):
            if meta.video_id == int(video_id):
                return meta
        raise DataError(schema.metadata_path(self.root, split), f"no video_id {video_id}")

    def tracking_path(self, meta: VideoMeta) -> Path:
        """Where the tracking file of ``meta`` lives."""
        return schema.tracking_path(self.root, meta.split, meta.lab_id, meta.video_id)

    def annotation_path(self, meta: VideoMeta) -> Path:
        """Where the annotation file of ``meta`` lives (it may not exist)."""
        return schema.annotation_path(self.root, meta.split, meta.lab_id, meta.video_id)

    def has_labels(self, split: str) -> bool:
        """Whether ``{split}_annotation/`` exists (train; test only when simulated)."""
        return (self.root / f"{split}_annotation").is_dir()

    def load_pose(self, meta: VideoMeta) -> Pose:
        """Read and densify one video's tracking (body parts in metadata order).

        Same result as ``tracking_to_dense(read_tracking(path), ...)``, but a
        clean file is streamed straight into the array
        (:func:`mabe.data.stream.stream_pose`); any other file goes through
        :func:`read_tracking`, which raises the one-line ``DataError``.
        A ``video_frame`` far beyond the csv's duration (more than 10 times
        ``video_duration_sec * frames_per_second`` + 10,000) is a
        :class:`DataError`, not an attempt to allocate that many frames.
        """
        return read_pose(
            self.tracking_path(meta),
            body_parts=meta.body_parts,
            n_mice=meta.n_mice,
            max_frames=frame_limit(meta),
        )

    def load_annotations(
        self, meta: VideoMeta, n_frames: int | None = None, n_mice: int | None = None
    ) -> pd.DataFrame | None:
        """One video's annotations, or ``None`` if the split or video has none.

        ``n_frames`` / ``n_mice`` bound the intervals and mouse ids when given.
        """
        path = self.annotation_path(meta)
        if not self.has_labels(meta.split) or not path.is_file():
            return None
        return read_annotations(path, n_frames=n_frames, n_mice=n_mice)

    def load_video(self, meta: VideoMeta) -> Video:
        """Pose plus annotations (checked against the pose's frames and mice)."""
        pose = self.load_pose(meta)
        annotations = self.load_annotations(meta, n_frames=pose.n_frames, n_mice=pose.n_mice)
        return Video(meta=meta, pose=pose, annotations=annotations)

    def iter_videos(self, split: str, progress: bool = True) -> Iterator[Video]:
        """Yield every video of ``split`` in metadata order, one in memory at a time."""
        metas = self.metas(split)
        items = track(metas, f"loading {split} videos") if progress else metas
        for meta in items:
            yield self.load_video(meta)

    def solution(
        self, split: str, progress: bool = True, include_boutless: bool = True
    ) -> pd.DataFrame:
        """Return the labels of ``split`` in the metric's solution format.

        Built from the annotation files and metadata only (tracking is not
        read): one row per annotated bout, then one placeholder row (missing
        agent, target and action; see :mod:`mabe.data.solution`) per
        *labelled* video without a bout, so that the scorer charges what is
        predicted there. A video is labelled when its ``behaviors_labeled``
        lists at least one triple; one without an annotation file, or with an
        empty one, had no bout. Videos whose ``behaviors_labeled`` is empty
        contribute only the bouts of their annotation file, if any.

        Parameters
        ----------
        split
            ``"train"`` or ``"test"``.
        progress
            Show a progress bar while reading annotation files.
        include_boutless
            Add the placeholder rows (default). ``False`` gives the bout rows
            only, as the competition's own solution files hold.

        Returns
        -------
        pd.DataFrame
            Columns :data:`~mabe.data.schema.SOLUTION_COLUMNS`: ``agent_id``
            ``"mouseN"``, ``target_id`` ``"mouseM"`` or ``"self"``, integer
            frames (stop exclusive), ``behaviors_labeled`` the raw JSON text.

        Raises
        ------
        DataError
            If the split has no ``{split}_annotation/`` directory or a file is bad.
        """
        if not self.has_labels(split):
            raise DataError(self.root / f"{split}_annotation", "no annotations for this split")
        table = self.metadata(split)
        rows = table[["lab_id", "video_id", "behaviors_labeled"]].to_dict("records")
        items = track(rows, f"reading {split} annotations") if progress else rows
        parts = []
        for row in items:
            path = schema.annotation_path(self.root, split, row["lab_id"], row["video_id"])
            if path.is_file():
                ann = read_annotations(path)
                parts.append(
                    annotations_to_solution(
                        ann, row["video_id"], row["lab_id"], row["behaviors_labeled"]
                    )
                )
        if parts:
            bouts = pd.concat(parts, ignore_index=True)
        else:
            dtypes = schema.ANNOTATION_DTYPES
            empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
            bouts = annotations_to_solution(empty, 0, "", "")
        if not include_boutless:
            return bouts
        return add_boutless_videos(bouts, table[["video_id", "lab_id", "behaviors_labeled"]])
