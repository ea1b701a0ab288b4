"""``mabe render``: one video's tracking drawn as an mp4 clip, with its true and predicted bouts above.

The skeletons are drawn on a blank arena in the tracking's pixel frame, or on
the original recording (``video``) when given: pixel coordinates line up, and
a video that ``mabe import`` cut out of a longer recording starts at the
recording frame ``sources.csv`` gives. Frames are drawn by
:mod:`mabe.plots.video` and encoded by OpenCV as mp4 (``mp4v``), which
OpenCV and common players read back. An existing ``out`` is never replaced.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from mabe.data import schema
from mabe.data.importers.sources import individual_name, mouse_names, read_sources, source_of
from mabe.data.io import MabeDataset
from mabe.data.submission import read_submission
from mabe.data.types import VideoMeta
from mabe.errors import DataError, MabeError
from mabe.plots.video import BACKGROUND, Canvas, Lane, LanePanel, compose, draw_pose, skeleton_edges
from mabe.progress import status, track

FOURCC = "mp4v"
"""The codec: MPEG-4 part 2, written and read back by OpenCV's bundled FFmpeg."""


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render_clip` wrote.

    Attributes
    ----------
    path
        The mp4 file.
    video_id, first_frame, n_frames, fps
        The clip: video frames ``first_frame`` .. ``first_frame + n_frames - 1`` at ``fps``.
    width, height
        Frame size in pixels.
    lanes
        Lanes drawn above the picture.
    true_bouts, predicted_bouts
        Bouts of the whole video shown (``None``: not asked for).
    seconds
        Wall time of the drawing and encoding.
    """

    path: Path
    video_id: int
    first_frame: int
    n_frames: int
    fps: float
    width: int
    height: int
    lanes: int
    true_bouts: int | None
    predicted_bouts: int | None
    seconds: float


def _find_meta(dataset: MabeDataset, video_id: int, split: str | None) -> VideoMeta:
    if split is not None:
        if split not in dataset.splits():
            raise DataError(dataset.root, f"no {split}.csv, so there is no '{split}' split")
        return dataset.meta(split, video_id)
    for name in dataset.splits():
        for meta in dataset.metas(name):
            if meta.video_id == video_id:
                return meta
    raise DataError(dataset.root, f"no video_id {video_id} in {' or '.join(f'{s}.csv' for s in dataset.splits())}")


def _pair(agent: int, target: int) -> tuple[int, int]:
    return int(agent), int(target)


def build_lanes(
    names: tuple[str, ...],
    true: pd.DataFrame | None,
    predicted: pd.DataFrame | None,
    annotated: set[tuple[int, int]] | None = None,
) -> list[Lane]:
    """Return one lane per (agent, target) pair and source, pairs in mouse order.

    Parameters
    ----------
    names
        Name of each mouse slot.
    true, predicted
        Bouts with integer ``agent_id``/``target_id`` (target = agent for a
        self action), ``action``, ``start_frame``, ``stop_frame``; ``None``:
        no lanes of that kind.
    annotated
        ``(agent, target)`` pairs that were annotated (``behaviors_labeled``);
        they get a true lane even without a bout, and a true lane of any other
        pair is greyed. ``None``: every pair counts as annotated.

    Examples
    --------
    >>> bouts = pd.DataFrame({"agent_id": [1], "target_id": [2], "action": ["sniff"],
    ...                       "start_frame": [5], "stop_frame": [9]})
    >>> [(lane.pair, lane.kind) for lane in build_lanes(("a", "b"), bouts, bouts)]
    [('a -> b', 'true'), ('a -> b', 'pred')]
    """
    pairs: set[tuple[int, int]] = set(annotated or ()) if true is not None else set()
    for table in (true, predicted):
        if table is not None:
            pairs |= {_pair(a, t) for a, t in zip(table["agent_id"], table["target_id"], strict=True)}

    def name(slot: int) -> str:
        return individual_name(schema.mouse_name(slot), names)

    lanes = []
    for agent, target in sorted(pairs, key=lambda p: (p[0], p[1] != p[0], p[1])):
        label = f"{name(agent)} -> {'self' if agent == target else name(target)}"
        for kind, table in (("true", true), ("pred", predicted)):
            if table is None:
                continue
            rows = table[(table["agent_id"].astype(int) == agent) & (table["target_id"].astype(int) == target)]
            rows = rows.sort_values("start_frame")
            known = annotated is None or kind == "pred" or (agent, target) in annotated or len(rows) > 0
            lanes.append(Lane(label, kind, rows["start_frame"].to_numpy(np.int64), rows["stop_frame"].to_numpy(np.int64),
                              tuple(str(a) for a in rows["action"]), annotated=known))
    return lanes


def _predicted(path: Path, video_id: int) -> pd.DataFrame:
    sub = read_submission(path)
    sub = sub[sub["video_id"] == video_id]
    if sub.empty:
        status(f"{path}: no interval for video {video_id}; its lanes stay empty")

    def slot(value: str, agent: int) -> int:
        try:
            return agent if value == "self" else schema.mouse_number(value)
        except ValueError:
            raise DataError(path, f"video {video_id}: {value!r} is not mouseN or self") from None

    agents = [slot(a, 0) for a in sub["agent_id"]]
    return pd.DataFrame({
        "agent_id": agents,
        "target_id": [slot(t, a) for t, a in zip(sub["target_id"], agents, strict=True)],
        "action": sub["action"].astype(str).to_numpy(),
        "start_frame": sub["start_frame"].to_numpy(np.int64),
        "stop_frame": sub["stop_frame"].to_numpy(np.int64),
    })


class _Recording:
    """The original video, read frame by frame in step with the clip."""

    def __init__(self, path: Path, offset: int, fps: float) -> None:
        self.path = path
        if not path.is_file():
            raise DataError(path, "video file not found")
        self.capture = cv2.VideoCapture(str(path))
        ok, frame = self.capture.read() if self.capture.isOpened() else (False, None)
        if not ok or frame is None:
            self.capture.release()
            raise DataError(path, "not a video OpenCV can read")
        self.height, self.width = frame.shape[:2]
        video_fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.ratio = video_fps / fps if video_fps and video_fps > 0 else 1.0
        self.length = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.offset = offset
        self.index = 1  # frame the next read() returns
        self.last: np.ndarray | None = frame
        self.shown = 0
        self.missing = 0

    def source_frame(self, frame: int) -> int:
        """Return the recording's frame shown at video frame ``frame``."""
        return int(round((self.offset + frame) * self.ratio))

    def check_start(self, frame: int) -> None:
        wanted = self.source_frame(frame)
        if self.length and wanted >= self.length:
            raise DataError(self.path, f"has {self.length} frames; the clip starts at its frame {wanted}")
        if wanted > 0:
            self.capture.set(cv2.CAP_PROP_POS_FRAMES, wanted)
            self.index, self.shown, self.last = wanted, -1, None

    def frame(self, frame: int) -> np.ndarray | None:
        wanted = self.source_frame(frame)
        if wanted != self.shown:
            while self.index <= wanted:
                ok, image = self.capture.read()
                self.index += 1
                if not ok:
                    self.missing += 1
                    return None
                self.last = image
            self.shown = wanted
        return None if self.last is None else self.last.copy()

    def close(self) -> None:
        self.capture.release()


def _publish(tmp: Path, out: Path) -> None:
    """Move the finished clip into place without ever replacing a file that appeared meanwhile."""
    try:
        os.link(tmp, out)
    except FileExistsError:
        raise MabeError(f"{out}: already exists; refusing to replace it (choose another --out)") from None
    except OSError:  # no hard links on this file system
        if out.exists():
            raise MabeError(f"{out}: already exists; refusing to replace it (choose another --out)") from None
        os.replace(tmp, out)
    tmp.unlink(missing_ok=True)


def render_clip(
    data: str | Path,
    video_id: int,
    out: str | Path,
    split: str | None = None,
    submission: str | Path | None = None,
    labels: bool = False,
    start: float = 0.0,
    seconds: float = 60.0,
    video: str | Path | None = None,
    max_side: int = 960,
) -> RenderResult:
    """Draw ``seconds`` of one video from ``start`` into the mp4 ``out``.

    Parameters
    ----------
    data
        The dataset.
    video_id
        The video; looked up in ``split``, else in every split.
    out
        A new ``.mp4`` file (never replaced).
    split
        ``"train"`` or ``"test"`` (default: wherever the video is).
    submission
        A submission csv: its intervals of this video become ``pred`` lanes.
    labels
        Draw the video's annotated bouts as ``true`` lanes.
    start, seconds
        The clip, in seconds of the video (the clip ends early at the video's end).
    video
        The original recording to draw on (OpenCV reads it); default: a blank arena.
    max_side
        Pictures larger than this many pixels on a side are scaled down.

    Returns
    -------
    RenderResult

    Raises
    ------
    MabeError
        ``out`` exists or is not an ``.mp4``, an unknown video, ``start``
        past the end, a video without labels when ``labels`` is asked for,
        an unreadable submission or ``video``.
    """
    out = Path(out)
    if out.suffix.lower() != ".mp4":
        raise MabeError(f"{out}: give --out an .mp4 file name")
    if out.exists() or out.is_symlink():
        raise MabeError(f"{out}: already exists; refusing to replace it (choose another --out)")
    if not (np.isfinite(start) and start >= 0):
        raise MabeError(f"--start must be 0 or more seconds, got {start:g}")
    if not (np.isfinite(seconds) and seconds > 0):
        raise MabeError(f"--seconds must be positive, got {seconds:g}")
    dataset = MabeDataset(data)
    meta = _find_meta(dataset, int(video_id), split)
    pose = dataset.load_pose(meta)
    fps, n = meta.fps, pose.n_frames
    first = int(round(start * fps))
    if first >= n:
        raise DataError(dataset.tracking_path(meta),
                        f"--start {start:g} s is past the end of video {meta.video_id} ({n / fps:.1f} s, {n} frames)")
    count = max(1, min(n - first, int(round(seconds * fps))))
    sources = read_sources(dataset.root)
    names = mouse_names(sources, meta.video_id, pose.n_mice)

    true = None
    if labels:
        true = dataset.load_annotations(meta, n_frames=n, n_mice=pose.n_mice)
        if true is None:
            raise DataError(dataset.annotation_path(meta), f"no labels for video {meta.video_id} (drop --labels)")
    predicted = _predicted(Path(submission), meta.video_id) if submission is not None else None
    annotated = {(schema.mouse_number(a), schema.mouse_number(a) if t == "self" else schema.mouse_number(t))
                 for a, t, _ in meta.behaviors_labeled}
    lanes = build_lanes(names, true, predicted, annotated if labels else None)

    recording = None
    if video is not None:
        row = source_of(sources, meta.video_id)
        recording = _Recording(Path(video), int(row["first_frame"]) if row else 0, fps)  # type: ignore[call-overload]
        recording.check_start(first)
        canvas = Canvas.fit(recording.width, recording.height, max_side)
    else:
        canvas = Canvas.of_tracking(pose.coords, meta.video_width, meta.video_height, max_side)
    edges = skeleton_edges(meta.body_parts, pose.coords)
    panel = LanePanel(lanes, max(canvas.width, 640), first, count, fps, f"video {meta.video_id} ({meta.lab_id})")
    blank = np.full((canvas.height, canvas.width, 3), BACKGROUND, dtype=np.uint8)
    if video is None and meta.video_width > 0 and meta.video_height > 0:
        cv2.rectangle(blank, (0, 0), (canvas.width - 1, canvas.height - 1), (90, 90, 90), 1)
    width, height = panel.width, panel.height + canvas.height

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.mp4")
    began = time.perf_counter()
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*FOURCC), fps, (width, height))
    try:
        if not writer.isOpened():
            raise MabeError(f"{out}: OpenCV cannot write an mp4 ({FOURCC}) here")
        for frame in track(range(first, first + count), f"rendering video {meta.video_id}"):
            picture = recording.frame(frame) if recording is not None else None
            if picture is None:
                picture = blank.copy()
            elif picture.shape[:2] != (canvas.height, canvas.width):
                # linear: 1.5 ms for a 1280x1184 frame where INTER_AREA took 6-9 ms
                picture = cv2.resize(picture, (canvas.width, canvas.height), interpolation=cv2.INTER_LINEAR)
            draw_pose(picture, pose.coords[frame], canvas, edges, names)
            writer.write(compose(panel.draw(frame), picture))
        writer.release()
        _publish(tmp, out)
    finally:
        writer.release()
        tmp.unlink(missing_ok=True)
        if recording is not None:
            recording.close()
    if recording is not None and recording.missing:
        status(f"{video}: ended {recording.missing} frame(s) before the clip did; those show the blank arena")
    return RenderResult(
        path=out, video_id=meta.video_id, first_frame=first, n_frames=count, fps=fps, width=width, height=height,
        lanes=len(lanes), true_bouts=None if true is None else len(true),
        predicted_bouts=None if predicted is None else len(predicted), seconds=time.perf_counter() - began,
    )
