"""Frames of an annotated clip: skeletons on the arena (or on the real video) under bout lanes.

Pure drawing with numpy and OpenCV primitives (no matplotlib: a frame takes
well under a millisecond); :mod:`mabe.workflows.render` reads the data and
writes the frames to an mp4.

A frame is a **lane panel** above a **picture**:

* the picture is the tracking's pixel frame (a blank arena, or the original
  video frame), scaled by :class:`Canvas`; each mouse has its own colour and
  its name; body parts are points joined by :func:`skeleton_edges`;
* the panel has one lane per (agent, target) pair and source (``true`` /
  ``pred``): a box that fills with the action's colour and name while a bout
  is on, and a timeline of the clip with the bouts as bars and a moving cursor.

Skeleton rule (:func:`skeleton_edges`): body-part names are free, so no
layout is hard-coded. Parts named like a point of the spine (nose, head,
neck, spine, body centre, tail base, tail points; see :data:`SPINE_RANKS`)
are joined head to tail in that order; every other part is joined to its
nearest part already in the skeleton (median distance over the video),
nearest first (Prim's minimum spanning tree grown from the spine). With no
spine name at all the skeleton is the minimum spanning tree of the median
distances; without pose data, a chain in the listed order.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from mabe.plots.common import action_color

SPINE_RANKS: dict[str, float] = {
    "nose": 0, "snout": 0, "nosetip": 0, "head": 1, "headcenter": 1, "headcentre": 1,
    "neck": 2, "nape": 2, "spine1": 3, "bodycenter": 4, "bodycentre": 4, "center": 4, "centre": 4,
    "centroid": 4, "midbody": 4, "body": 4, "spine": 4, "back": 4, "spine2": 5, "spine3": 5.5,
    "tailbase": 6, "baseoftail": 6, "tailroot": 6, "tail": 6, "tail1": 6, "tailmiddle1": 7, "tailmidpoint": 7,
    "tailmid": 7, "tailmiddle": 7, "tail2": 7, "tailmiddle2": 8, "tail3": 8, "tailtip": 9, "tailend": 9,
}
"""Spine points by normalised name (lower case, only letters and digits), head (0) to tail tip (9)."""

MOUSE_COLORS: tuple[tuple[int, int, int], ...] = (
    (60, 190, 255), (255, 170, 60), (110, 220, 110), (200, 120, 255), (220, 220, 80), (120, 120, 255),
)
"""BGR colour of mouse slots 1, 2, ...: orange, blue, green, pink, cyan, red."""

BACKGROUND = (38, 38, 38)
PANEL = (24, 24, 24)
FONT = cv2.FONT_HERSHEY_SIMPLEX
LANE_H = 20
HEADER_H = 26
NOW_W = 96


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def ascii_text(text: str) -> str:
    """Return ``text`` with characters OpenCV's fonts lack replaced by ``?``.

    Examples
    --------
    >>> ascii_text("Maus-ä")
    'Maus-?'
    """
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in str(text))


def bgr(hex_colour: str) -> tuple[int, int, int]:
    """Return an ``"#rrggbb"`` colour as OpenCV's (blue, green, red).

    Examples
    --------
    >>> bgr("#1f77b4")
    (180, 119, 31)
    """
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def median_distances(coords: np.ndarray) -> np.ndarray:
    """Return the ``(parts, parts)`` median distance between body parts over frames and mice (NaN if never seen together).

    Examples
    --------
    >>> coords = np.zeros((2, 1, 2, 2), dtype=np.float32)
    >>> coords[:, 0, 1] = (3, 4)
    >>> median_distances(coords).tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    """
    coords = np.asarray(coords, dtype=np.float32)
    flat = coords.reshape(-1, coords.shape[2], 2)
    flat = flat[:: max(1, len(flat) // 2000)]  # a few thousand poses are plenty for a median
    diff = flat[:, :, None, :] - flat[:, None, :, :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pairs never seen together: NaN
        return np.nanmedian(np.sqrt((diff.astype(np.float64) ** 2).sum(axis=-1)), axis=0)


def skeleton_edges(body_parts: Sequence[str], coords: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Return the body-part pairs to join with a line (indices into ``body_parts``).

    Parameters
    ----------
    body_parts
        Names, in array order.
    coords
        ``(frames, mice, body_parts, 2)`` pose used for the nearest-part
        distances; ``None`` chains the non-spine parts in listed order.

    Returns
    -------
    list of (int, int)
        ``len(body_parts) - 1`` edges forming a tree (see the module docstring).

    Examples
    --------
    >>> parts = ["tail_base", "nose", "neck"]
    >>> skeleton_edges(parts)
    [(1, 2), (2, 0)]
    >>> coords = np.array([[[[0, 0], [10, 0], [1, 0]]]], dtype=np.float32)  # "a" and "c" are close
    >>> skeleton_edges(["a", "b", "c"], coords)
    [(0, 2), (2, 1)]
    """
    n = len(body_parts)
    if n < 2:
        return []
    ranks = [SPINE_RANKS.get(_norm(p)) for p in body_parts]
    spine = sorted((i for i in range(n) if ranks[i] is not None), key=lambda i: (ranks[i], i))
    edges = list(zip(spine[:-1], spine[1:], strict=True))
    rest = [i for i in range(n) if ranks[i] is None]
    if coords is None or coords.shape[0] == 0:
        chain = spine[-1:] + rest if spine else rest
        return edges + list(zip(chain[:-1], chain[1:], strict=True))
    dist = median_distances(coords)
    dist = np.where(np.isfinite(dist), dist, np.inf)
    tree = spine[:] if spine else [rest.pop(0)]
    while rest:
        cost = dist[np.ix_(tree, rest)]
        if np.isinf(cost).all():  # never seen together: chain on in listed order
            a, b = tree[-1], rest[0]
        else:
            row, col = np.unravel_index(int(np.argmin(cost)), cost.shape)
            a, b = tree[int(row)], rest[int(col)]
        edges.append((a, b))
        tree.append(b)
        rest.remove(b)
    return edges


@dataclass(frozen=True)
class Canvas:
    """Where tracking pixels land in the picture: ``picture = (tracking - origin) * scale``.

    Attributes
    ----------
    width, height
        Picture size in pixels (even, as video encoders want).
    scale
        Picture pixels per tracking pixel.
    origin_x, origin_y
        Tracking point drawn at the picture's top-left corner.
    """

    width: int
    height: int
    scale: float = 1.0
    origin_x: float = 0.0
    origin_y: float = 0.0

    @classmethod
    def fit(cls, width: float, height: float, max_side: int = 960, origin: tuple[float, float] = (0.0, 0.0)) -> Canvas:
        """Return the canvas of a ``width`` x ``height`` tracking frame, scaled down to ``max_side`` if larger.

        Examples
        --------
        >>> Canvas.fit(1920, 1080, max_side=960)
        Canvas(width=960, height=540, scale=0.5, origin_x=0.0, origin_y=0.0)
        """
        if not (width > 0 and height > 0):
            raise ValueError(f"frame size must be positive, got {width} x {height}")
        scale = min(1.0, max_side / max(width, height))
        even = lambda v: max(2, int(round(v * scale / 2)) * 2)  # noqa: E731
        return cls(even(width), even(height), scale, float(origin[0]), float(origin[1]))

    @classmethod
    def of_tracking(cls, coords: np.ndarray, width: float = float("nan"), height: float = float("nan"),
                    max_side: int = 960, margin: float = 20.0) -> Canvas:
        """Return the canvas of the tracking's pixel frame: ``width`` x ``height`` if known, else its extent.

        Examples
        --------
        >>> coords = np.array([[[[30, 20], [300, 180]]]], dtype=np.float32)
        >>> Canvas.of_tracking(coords)
        Canvas(width=320, height=200, scale=1.0, origin_x=0.0, origin_y=0.0)
        >>> Canvas.of_tracking(coords, 640, 480).width
        640
        """
        if width > 0 and height > 0:
            return cls.fit(width, height, max_side)
        xs, ys = coords[..., 0], coords[..., 1]
        if not np.isfinite(xs).any():
            return cls.fit(640, 480, max_side)
        x0, y0 = min(0.0, float(np.nanmin(xs)) - margin), min(0.0, float(np.nanmin(ys)) - margin)
        x1, y1 = float(np.nanmax(xs)) + margin, float(np.nanmax(ys)) + margin
        return cls.fit(x1 - x0, y1 - y0, max_side, (x0, y0))

    def points(self, xy: np.ndarray) -> np.ndarray:
        """Return tracking points ``(..., 2)`` as picture pixels (float)."""
        return (np.asarray(xy, dtype=np.float64) - (self.origin_x, self.origin_y)) * self.scale


def draw_pose(picture: np.ndarray, pose: np.ndarray, canvas: Canvas, edges: Sequence[tuple[int, int]],
              names: Sequence[str]) -> np.ndarray:
    """Draw every mouse of one frame on ``picture`` (in place): skeleton lines, part points, name.

    Parameters
    ----------
    picture
        ``(height, width, 3)`` uint8 BGR image of ``canvas``'s size.
    pose
        ``(mice, body_parts, 2)`` tracking pixels of one frame, NaN where missing.
    canvas
        Tracking -> picture transform.
    edges
        Pairs of body parts to join (:func:`skeleton_edges`).
    names
        Label of each mouse slot.

    Returns
    -------
    np.ndarray
        ``picture``.

    Examples
    --------
    >>> picture = np.zeros((40, 40, 3), dtype=np.uint8)
    >>> pose = np.array([[[10, 10], [30, 30]]], dtype=np.float32)
    >>> _ = draw_pose(picture, pose, Canvas(40, 40), [(0, 1)], ["m1"])
    >>> bool(picture[20, 20].any())      # the line between the two parts
    True
    """
    pts = canvas.points(pose)
    for m in range(pose.shape[0]):
        colour = MOUSE_COLORS[m % len(MOUSE_COLORS)]
        ok = np.isfinite(pts[m]).all(axis=-1)
        if not ok.any():
            continue
        ip = np.round(np.where(ok[:, None], pts[m], 0)).astype(np.int32)
        for a, b in edges:
            if ok[a] and ok[b]:
                cv2.line(picture, tuple(map(int, ip[a])), tuple(map(int, ip[b])), colour, 2, cv2.LINE_AA)
        for k in np.flatnonzero(ok):
            cv2.circle(picture, tuple(map(int, ip[k])), 3, colour, -1, cv2.LINE_AA)
        x, y = ip[ok].min(axis=0)
        _text(picture, ascii_text(names[m]) if m < len(names) else f"mouse{m + 1}", (int(x), int(y) - 6), colour, 0.5)
    return picture


def _text(image: np.ndarray, text: str, origin: tuple[int, int], colour: tuple[int, int, int], size: float = 0.42) -> None:
    cv2.putText(image, text, origin, FONT, size, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, origin, FONT, size, colour, 1, cv2.LINE_AA)


def _fit_text(text: str, width: int, size: float = 0.42) -> str:
    text = ascii_text(text)
    while text and cv2.getTextSize(text, FONT, size, 1)[0][0] > width:
        text = text[:-2] + "~" if len(text) > 2 else ""
    return text


@dataclass(frozen=True)
class Lane:
    """One lane of the panel: the bouts of one (agent, target) pair from one source.

    Attributes
    ----------
    pair
        Shown as the lane's label, e.g. ``"adult -> juvenile"``.
    kind
        ``"true"`` (labels) or ``"pred"`` (a submission).
    starts, stops, actions
        The bouts, in frames of the video (stop exclusive), and their actions.
    annotated
        ``False`` for a true lane of a pair nobody annotated (greyed: absent bouts are unknown).
    """

    pair: str
    kind: str
    starts: np.ndarray
    stops: np.ndarray
    actions: tuple[str, ...]
    annotated: bool = True

    def active(self, frame: int) -> str | None:
        """Return the action of the bout running at ``frame``, or ``None``.

        Examples
        --------
        >>> lane = Lane("m1 -> m2", "true", np.array([10]), np.array([20]), ("sniff",))
        >>> lane.active(15), lane.active(20)
        ('sniff', None)
        """
        hits = np.flatnonzero((self.starts <= frame) & (frame < self.stops))
        return self.actions[int(hits[0])] if len(hits) else None


class LanePanel:
    """The panel above the picture: a header and one lane per :class:`Lane`, over a clip's frames.

    Parameters
    ----------
    lanes
        Lanes, top to bottom.
    width
        Panel width in pixels (the picture's).
    first_frame, n_frames
        The clip: video frames ``first_frame`` .. ``first_frame + n_frames - 1``.
    fps
        Frames per second (for the time shown).
    title
        Left of the header, e.g. ``"video 3 (ethome)"``.

    Examples
    --------
    >>> lane = Lane("m1 -> m2", "true", np.array([10]), np.array([20]), ("sniff",))
    >>> panel = LanePanel([lane], width=600, first_frame=0, n_frames=30, fps=30.0, title="video 1")
    >>> image = panel.draw(15)
    >>> image.shape == (panel.height, 600, 3), panel.now_box(0)[0] > 0
    (True, True)
    """

    def __init__(self, lanes: Sequence[Lane], width: int, first_frame: int, n_frames: int, fps: float, title: str) -> None:
        if n_frames < 1 or fps <= 0:
            raise ValueError(f"need at least one frame and fps > 0, got {n_frames} frames at {fps} fps")
        self.lanes = list(lanes)
        self.width, self.first, self.n_frames, self.fps = int(width), int(first_frame), int(n_frames), float(fps)
        height = HEADER_H + LANE_H * len(self.lanes) + (6 if self.lanes else 0)
        self.height = height + height % 2
        labels = [f"{lane.pair}  {lane.kind}" for lane in self.lanes]
        widest = max((cv2.getTextSize(ascii_text(t), FONT, 0.42, 1)[0][0] for t in labels), default=0)
        self.label_w = min(widest + 12, int(0.4 * self.width))
        self.x0 = self.label_w + NOW_W + 10
        self.x1 = max(self.x0 + 10, self.width - 8)
        self._base = self._static(labels, title)

    def lane_top(self, row: int) -> int:
        """Return the y of lane ``row``'s top edge."""
        return HEADER_H + LANE_H * row

    def now_box(self, row: int) -> tuple[int, int, int, int]:
        """Return ``(x0, y0, x1, y1)`` of lane ``row``'s box that fills while a bout is on."""
        top = self.lane_top(row)
        return self.label_w, top + 2, self.label_w + NOW_W, top + LANE_H - 2

    def x_of(self, frame: float) -> int:
        """Return the timeline's x of video frame ``frame``."""
        share = (frame - self.first) / self.n_frames
        return int(round(self.x0 + min(max(share, 0.0), 1.0) * (self.x1 - self.x0)))

    def _static(self, labels: list[str], title: str) -> np.ndarray:
        image = np.full((self.height, self.width, 3), PANEL, dtype=np.uint8)
        _text(image, _fit_text(title, self.width // 3, 0.5), (6, 18), (235, 235, 235), 0.5)
        x = 6 + cv2.getTextSize(_fit_text(title, self.width // 3, 0.5), FONT, 0.5, 1)[0][0] + 16
        for action in sorted({a for lane in self.lanes for a in lane.actions}):
            size = cv2.getTextSize(ascii_text(action), FONT, 0.42, 1)[0][0]
            if x + size + 20 > self.width - 150:
                break
            cv2.rectangle(image, (x, 8), (x + 10, 18), bgr(action_color(action)), -1)
            _text(image, ascii_text(action), (x + 14, 18), (220, 220, 220))
            x += size + 28
        for row, (lane, label) in enumerate(zip(self.lanes, labels, strict=True)):
            top = self.lane_top(row)
            _text(image, _fit_text(label, self.label_w - 8), (4, top + 14), (220, 220, 220))
            x0, y0, x1, y1 = self.now_box(row)
            cv2.rectangle(image, (x0, y0), (x1, y1), (90, 90, 90), 1)
            cv2.rectangle(image, (self.x0, top + 3), (self.x1, top + LANE_H - 3), (48, 48, 48), -1)
            if not lane.annotated:
                for hx in range(self.x0, self.x1, 8):
                    cv2.line(image, (hx, top + LANE_H - 3), (min(hx + 8, self.x1), top + 3), (80, 80, 80), 1)
                _text(image, "not annotated", (x0 + 4, top + 14), (130, 130, 130), 0.38)
            last = self.first + self.n_frames
            for start, stop, action in zip(lane.starts, lane.stops, lane.actions, strict=True):
                if stop <= self.first or start >= last:
                    continue
                a, b = self.x_of(start), max(self.x_of(stop) - 1, self.x_of(start))
                cv2.rectangle(image, (a, top + 4), (b, top + LANE_H - 4), bgr(action_color(action)), -1)
        return image

    def draw(self, frame: int) -> np.ndarray:
        """Return the panel at video frame ``frame``: time, filled boxes of running bouts, cursor."""
        image = self._base.copy()
        clock = f"{frame / self.fps:7.2f} s  frame {frame}"
        size = cv2.getTextSize(clock, FONT, 0.45, 1)[0][0]
        _text(image, clock, (self.width - size - 8, 18), (235, 235, 235), 0.45)
        for row, lane in enumerate(self.lanes):
            action = lane.active(frame) if lane.annotated else None
            if action is not None:
                x0, y0, x1, y1 = self.now_box(row)
                colour = bgr(action_color(action))
                cv2.rectangle(image, (x0, y0), (x1, y1), colour, -1)
                ink = (0, 0, 0) if 0.114 * colour[0] + 0.587 * colour[1] + 0.299 * colour[2] > 140 else (255, 255, 255)
                cv2.putText(image, _fit_text(action, NOW_W - 8, 0.4), (x0 + 4, y1 - 4), FONT, 0.4, ink, 1, cv2.LINE_AA)
        if self.lanes:
            x = self.x_of(frame + 0.5)
            cv2.line(image, (x, HEADER_H - 2), (x, self.lane_top(len(self.lanes)) + 2), (255, 255, 255), 1)
        return image


def compose(panel: np.ndarray, picture: np.ndarray) -> np.ndarray:
    """Stack the panel above the picture (centred, padded to the wider of the two).

    Examples
    --------
    >>> compose(np.zeros((10, 8, 3), np.uint8), np.zeros((20, 6, 3), np.uint8)).shape
    (30, 8, 3)
    """
    width = max(panel.shape[1], picture.shape[1])

    def pad(image: np.ndarray) -> np.ndarray:
        extra = width - image.shape[1]
        if not extra:
            return image
        return cv2.copyMakeBorder(image, 0, 0, extra // 2, extra - extra // 2, cv2.BORDER_CONSTANT, value=PANEL)

    return np.vstack([pad(panel), pad(picture)])
