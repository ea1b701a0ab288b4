"""The files ``mabe suggest`` writes: the clip list and templates to label them in.

``DIR/clips.csv``
    one row per clip, best first (:data:`~mabe.data.importers.clips.CLIP_COLUMNS`):
    the video, its lab and split, the recording (source file stem, or
    ``video<id>_<lab>`` when ``sources.csv`` does not know the video), the pair
    (names as the pose file has them when known, the target ``self`` for
    self actions), ``[start, stop)`` in the recording's frames and seconds and
    in the video's frames, the actions to label, the score, its terms and
    ``why`` (the dominant term) with the action it came from.
``DIR/intervals.csv``
    the ``intervals`` label format with one row per clip whose action is
    ``mabe-clip`` (a marker ``mabe import --clips`` ignores): copy a row per
    bout you see, write the action and its frames (recording frames, stop
    exclusive); a clip with no bout needs nothing.
``DIR/<recording>_clips_boris.csv``
    per recording, a BORIS tabular events table (what
    ``mabe import --annotation-format boris`` reads) marking each clip as a
    ``mabe-clip`` state event (subject = agent, modifier = target) at the
    recording's times: where to look in BORIS; export your coded events of the
    clips (the markers may stay in).
``DIR/suggest.json``
    the run, the dataset (where ``mabe import --clips`` reads the tracking)
    and the settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mabe import __version__
from mabe.data.importers.clips import CLIP_COLUMNS, CLIP_MARKER, SETTINGS_FILE, recording_name
from mabe.data.importers.sources import individual_name
from mabe.data.io import MabeDataset
from mabe.data.schema import mouse_name, target_name
from mabe.data.types import VideoMeta
from mabe.errors import MabeError
from mabe.fileio import atomic_write_text
from mabe.workflows.export import BORIS_COLUMNS

CLIPS_FILE = "clips.csv"
INTERVALS_FILE = "intervals.csv"
INTERVAL_TEMPLATE_COLUMNS: tuple[str, ...] = (
    "video", "video_id", "clip", "agent", "target", "action", "start_frame", "stop_frame"
)


@dataclass(frozen=True)
class ClipSource:
    """Where a video's frames come from: its recording, offset in it and the mice's names."""

    video_id: int
    lab_id: str
    split: str
    fps: float
    recording: str
    recording_key: str
    source_file: str
    offset: int
    names: tuple[str, ...]

    @classmethod
    def of(cls, meta: VideoMeta, row: dict[str, Any] | None) -> ClipSource:
        """Build it from the video's metadata and its ``sources.csv`` row (``None``: not imported)."""
        if row is None:
            name = recording_name("", meta.video_id, meta.lab_id)
            return cls(meta.video_id, meta.lab_id, meta.split, meta.fps, name, name, "", 0, ())
        file = str(row["source_file"])
        return cls(
            meta.video_id, meta.lab_id, meta.split, float(row["fps"]), recording_name(Path(file).stem, meta.video_id, meta.lab_id),
            file, file, int(row["first_frame"]), tuple(row["individuals"]),
        )


def check_out_dir(out: Path) -> None:
    """Refuse an ``out`` that is a file or a directory holding anything."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MabeError(f"{out}: exists and is not an empty directory; choose a new --out")


def clip_tables(chosen: pd.DataFrame, origin: dict[int, ClipSource], dataset: MabeDataset) -> tuple[pd.DataFrame, dict[str, str]]:
    """Return ``clips.csv`` as a table and the template files (name -> text)."""
    rows = []
    for k, rec in enumerate(chosen.to_dict("records"), start=1):
        src = origin[int(rec["video"])]
        agent, target = int(rec["agent_id"]), int(rec["target_id"])
        start, stop = int(rec["start"]) + src.offset, int(rec["stop"]) + src.offset
        rows.append({
            "clip": k,
            "video_id": src.video_id,
            "lab_id": src.lab_id,
            "split": src.split,
            "recording": src.recording,
            "source_file": src.source_file,
            "agent": individual_name(mouse_name(agent), src.names),
            "target": individual_name(target_name(agent, target), src.names),
            "agent_id": agent,
            "target_id": target,
            "start_frame": start,
            "stop_frame": stop,
            "start_s": round(start / src.fps, 4),
            "stop_s": round(stop / src.fps, 4),
            "video_start_frame": int(rec["start"]),
            "video_stop_frame": int(rec["stop"]),
            "fps": src.fps,
            "actions": rec["actions"],
            "score": rec["score"],
            "disagreement": rec["disagreement"],
            "threshold": rec["threshold"],
            "rarity": rec["rarity"],
            "why": rec["why"],
            "why_action": rec["why_action"],
        })
    clips = pd.DataFrame(rows, columns=list(CLIP_COLUMNS))
    files = {INTERVALS_FILE: _intervals_template(clips)}
    for recording, part in clips.groupby("recording", sort=True):
        files[f"{recording}_clips_boris.csv"] = _boris_template(part)
    return clips, files


def _intervals_template(clips: pd.DataFrame) -> str:
    table = clips.assign(video=clips["recording"], action=CLIP_MARKER)
    table = table.sort_values(["video", "start_frame"], kind="stable")
    return table[list(INTERVAL_TEMPLATE_COLUMNS)].to_csv(index=False, lineterminator="\n")


def _boris_template(part: pd.DataFrame) -> str:
    events = []
    for rec in part.sort_values("start_frame").to_dict("records"):
        fps = float(rec["fps"])
        for status, frame in (("START", int(rec["start_frame"])), ("STOP", int(rec["stop_frame"]))):
            events.append({
                "Time": f"{frame / fps:.4f}",
                "Media file path": rec["source_file"],
                "Total length": "",
                "FPS": f"{fps:g}",
                "Subject": rec["agent"],
                "Behavior": CLIP_MARKER,
                "Behavioral category": "",
                "Modifiers": rec["target"],
                "Comment": f"clip {rec['clip']}: label {rec['actions'].replace(';', ', ')} "
                           f"of {rec['agent']} -> {rec['target']}",
                "Image index": frame,
                "Status": status,
            })
    return pd.DataFrame(events, columns=list(BORIS_COLUMNS)).to_csv(index=False, lineterminator="\n")


def write_outputs(out: Path, clips: pd.DataFrame, files: dict[str, str], settings: dict[str, Any]) -> list[Path]:
    """Write ``clips.csv``, the templates and ``suggest.json`` into ``out`` (new or empty); return the paths."""
    check_out_dir(out)
    record = {"format": "mabe-suggest", "version": 1, "created_by": f"mabe {__version__}", **settings}
    texts = {
        CLIPS_FILE: clips.to_csv(index=False, lineterminator="\n"),
        **files,
        SETTINGS_FILE: json.dumps(record, indent=2) + "\n",
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        path = out / name
        if path.exists():  # another process wrote there since the check
            raise MabeError(f"{path}: already exists; refusing to replace it")
        atomic_write_text(path, text)
        written.append(path)
    return written
