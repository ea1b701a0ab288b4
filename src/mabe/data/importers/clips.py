"""Labelled clips (``mabe suggest``'s ``clips.csv`` + a label file) -> new videos of a dataset.

Each clip becomes its own video: the slice ``[video_start_frame,
video_stop_frame)`` of its source video's tracking (read from the dataset
named in ``suggest.json`` beside ``clips.csv``), with the source's metadata
row (new ``video_id``, duration and ``behaviors_labeled``) and, when the
source was imported, a ``sources.csv`` row saying which frames of the
recording it holds. Its ``behaviors_labeled`` is the clip's pair only, with
every action the label files annotate for pairs of its kind (self or two
mice; ``--behaviors`` sets them instead). So a clip's labels cover its frames
and its pair and nothing else: the source video keeps its own (often empty)
whitelist, its other frames stay unknown and never count as negatives.

Label rows are read as ``mabe import`` reads them
(:func:`~mabe.data.importers.boris.read_boris`,
:func:`~mabe.data.importers.intervals.read_intervals`), one
:class:`~mabe.data.importers.labels.RecordingInfo` per recording of
``clips.csv`` (named by its ``recording`` column, frames of the recording).
A row is kept for a clip when it names the clip's pair and overlaps its
frames (cut to them); rows with the marker action :data:`CLIP_MARKER`, and
rows about other pairs or frames outside every clip, are left out and counted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mabe.data import schema
from mabe.data.importers import boris, intervals, labels, sources
from mabe.data.importers.commit import appended_csv, commit, staging_dir
from mabe.data.importers.parquet import write_annotations, write_tracking
from mabe.data.io import MabeDataset
from mabe.data.types import VideoMeta
from mabe.errors import DataError, MabeError

CLIP_MARKER = "mabe-clip"
"""Action of the template rows / BORIS events that only mark where a clip is; ignored on import."""
SETTINGS_FILE = "suggest.json"
"""Written by ``mabe suggest`` beside ``clips.csv``: the run, the dataset (``data``) and the settings."""
CLIP_FORMATS: tuple[str, ...] = ("boris", "intervals")

CLIP_COLUMNS: tuple[str, ...] = (
    "clip", "video_id", "lab_id", "split", "recording", "source_file", "agent", "target",
    "agent_id", "target_id", "start_frame", "stop_frame", "start_s", "stop_s",
    "video_start_frame", "video_stop_frame", "fps", "actions",
    "score", "disagreement", "threshold", "rarity", "why", "why_action",
)
"""Columns of ``clips.csv`` (frames ``[start, stop)`` of the recording, ``video_*`` of the video)."""
_NEEDED = ("clip", "video_id", "recording", "agent_id", "target_id", "start_frame", "stop_frame",
           "video_start_frame", "video_stop_frame")


def recording_name(stem: str, video_id: int, lab_id: str) -> str:
    """Return a recording's name in the clip files: the pose file's stem, else ``video<id>_<lab>``.

    The lab after the id keeps one name from being the start of another
    (``video12_L``, ``video123_L``): BORIS files are matched to recordings
    by the longest common prefix.

    Examples
    --------
    >>> recording_name("", 12, "L"), recording_name("s1_DLC", 12, "L")
    ('video12_L', 's1_DLC')
    """
    return stem or f"video{int(video_id)}_{lab_id}"


@dataclass
class ImportedClip:
    """One clip added as a video."""

    clip: int
    video_id: int
    source_video: int
    first_frame: int
    n_frames: int
    pair: tuple[str, str]
    intervals: int
    behaviors: list[schema.Triple]


@dataclass
class ClipImport:
    """What :func:`import_clips` added; ``ignored_rows``: label rows outside every clip's pair and frames."""

    root: Path
    created: bool
    source: Path
    clips: list[ImportedClip]
    ignored_rows: int
    markers: int


def read_clips(path: Path) -> pd.DataFrame:
    """Read ``clips.csv`` with integer frame and id columns; ``DataError`` naming the line on a bad cell."""
    table = intervals.read_table(path)
    missing = [c for c in _NEEDED if c not in table.columns]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)}; is it a clips.csv of mabe suggest?")
    if table.empty:
        raise DataError(path, "no clip in the file")
    for column in (c for c in _NEEDED if c != "recording"):
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() | (values != values.round())
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise DataError(path, f"line {line}: {column} {table[column].iloc[line - 2]!r} is not a whole number")
        table[column] = values.astype(np.int64)
    bad = (table["stop_frame"] <= table["start_frame"]) | (
        table["video_stop_frame"] - table["video_start_frame"] != table["stop_frame"] - table["start_frame"]
    )
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise DataError(path, f"line {line}: the clip's frames are empty or disagree with its video frames")
    return table


def source_dataset(clips_csv: Path, data: str | Path | None) -> Path:
    """Return the dataset holding the clips' tracking: ``data`` if given, else ``suggest.json``'s ``data``."""
    if data is not None:
        return Path(data)
    settings = clips_csv.parent / SETTINGS_FILE
    try:
        return Path(json.loads(settings.read_text())["data"])
    except (OSError, ValueError, KeyError, TypeError):
        raise DataError(settings, "cannot read the dataset the clips come from ('data'); "
                        "keep suggest.json beside clips.csv") from None


def _kind_actions(rows: pd.DataFrame, elsewhere: set[tuple[str, bool]], only: Sequence[str] | None) -> dict[bool, set[str]]:
    """Actions per pair kind (True: self) the label files annotate, or ``only`` (as :func:`labels.behaviors_labeled`)."""
    is_self = rows["agent_id"] == rows["target_id"]
    kinds = {True: set(rows.loc[is_self, "action"]), False: set(rows.loc[~is_self, "action"])}
    for action, self_kind in elsewhere:
        kinds[self_kind].add(action)
    if only is not None:
        chosen = list(dict.fromkeys(only))
        selfs = {a for a in chosen if a in kinds[True] or (a not in kinds[False] and a in schema.SELF_ACTIONS)}
        kinds = {True: selfs, False: set(chosen) - selfs}
    return kinds


def _ids_in_use(root: Path) -> set[int]:
    ids: set[int] = set()
    for split in schema.SPLITS:
        path = schema.metadata_path(root, split)
        if path.is_file():
            try:
                ids |= {int(v) for v in pd.read_csv(path, usecols=["video_id"])["video_id"]}
            except (ValueError, KeyError):
                raise DataError(path, "cannot read its video_id column; fix the dataset before importing into it") from None
    return ids | {int(v) for v in sources.read_sources(root)["video_id"]}


def _read_labels(
    files: Sequence[Path], fmt: str, infos: list[labels.RecordingInfo]
) -> tuple[pd.DataFrame, set[tuple[str, bool]], int]:
    """Read every label file: resolved rows (markers dropped), actions seen elsewhere, markers dropped."""
    parts, elsewhere, markers = [], set(), 0
    for path in files:
        table = boris.read_boris(path, infos) if fmt == "boris" else intervals.read_intervals(path, infos)
        marker = table.rows["action"].astype(str) == CLIP_MARKER
        markers += int(marker.sum())
        table.rows = table.rows[~marker].reset_index(drop=True)
        elsewhere |= {(a, s) for a, s in table.skipped_actions if a != CLIP_MARKER}
        parts.append(labels.resolve(table, infos))
    return pd.concat(parts, ignore_index=True), elsewhere, markers


def import_clips(
    clips_csv: str | Path,
    annotations: Sequence[str | Path],
    annotation_format: str,
    out: str | Path,
    behaviors: Sequence[str] | None = None,
    data: str | Path | None = None,
    split: str = "train",
) -> ClipImport:
    """Add labelled clips to the dataset ``out`` (created if absent), one video per clip.

    Raises
    ------
    MabeError
        Bad files (one line naming file and row), a clip whose kind no label
        file annotates (pass ``behaviors``), a clip outside its video; the
        dataset is then left exactly as it was.
    """
    clips_csv = Path(clips_csv).expanduser().resolve()
    if not annotations:
        raise MabeError("--clips needs the labels: --annotations FILE --annotation-format boris|intervals")
    if annotation_format not in CLIP_FORMATS:
        raise MabeError(f"--annotation-format with --clips must be one of {', '.join(CLIP_FORMATS)}")
    if split not in schema.SPLITS:
        raise MabeError(f"--split must be one of {', '.join(schema.SPLITS)}")
    if not clips_csv.is_file():
        raise DataError(clips_csv, "clips file not found")
    table = read_clips(clips_csv)
    src_root = source_dataset(clips_csv, data)
    src = MabeDataset(src_root)
    metas = {m.video_id: m for s in src.splits() for m in src.metas(s)}
    known = sources.read_sources(src.root)
    poses = {}
    for rec in table.to_dict("records"):
        vid = int(rec["video_id"])
        if vid not in metas:
            raise DataError(clips_csv, f"clip {rec['clip']}: video {vid} is not in {src_root}")
        if vid not in poses:
            poses[vid] = src.load_pose(metas[vid])
        if not 0 <= rec["video_start_frame"] < rec["video_stop_frame"] <= poses[vid].n_frames:
            raise DataError(clips_csv, f"clip {rec['clip']}: frames beyond video {vid} ({poses[vid].n_frames} frames)")
    names = sorted(set(table["recording"].astype(str)))
    infos = [_recording_info(name, table, metas, poses, known) for name in names]
    rows, elsewhere, markers = _read_labels([Path(a) for a in annotations], annotation_format, infos)
    kinds = _kind_actions(rows, elsewhere, behaviors)
    root = Path(out).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise MabeError(f"{root}: exists and is not a directory")
    created = not root.exists() or not any(root.iterdir())
    if not created and not any(schema.metadata_path(root, s).is_file() for s in schema.SPLITS):
        raise MabeError(f"{root}: not empty and not a MABe dataset (no train.csv or test.csv)")
    next_id = max(_ids_in_use(root), default=0) + 1 if not created else 1
    used = np.zeros(len(rows), bool)
    added: list[ImportedClip] = []
    meta_rows: list[dict[str, object]] = []
    source_rows: list[dict[str, object]] = []
    raw = {s: pd.read_csv(schema.metadata_path(src.root, s), dtype=str, keep_default_na=False) for s in src.splits()}
    with staging_dir(root) as stage:
        for rec in table.to_dict("records"):
            meta = metas[int(rec["video_id"])]
            agent, target = int(rec["agent_id"]), int(rec["target_id"])
            triples = [(schema.mouse_name(agent), schema.target_name(agent, target), a) for a in sorted(kinds[agent == target])]
            if not triples:
                kind = "self" if agent == target else "two-mouse"
                raise DataError(clips_csv, f"clip {rec['clip']}: the label files annotate no {kind} action, so it "
                                "would stay unlabelled; pass --behaviors")
            rec_index = names.index(str(rec["recording"]))
            start, stop = int(rec["start_frame"]), int(rec["stop_frame"])
            hit = ((rows["recording"] == rec_index) & (rows["agent_id"] == agent) & (rows["target_id"] == target)
                   & (rows["start_frame"] < stop) & (rows["stop_frame"] > start)).to_numpy()
            used |= hit
            ann = rows.loc[hit, list(schema.ANNOTATION_COLUMNS)].copy()
            ann["start_frame"] = np.clip(ann["start_frame"].astype(np.int64) - start, 0, stop - start)
            ann["stop_frame"] = np.clip(ann["stop_frame"].astype(np.int64) - start, 0, stop - start)
            ann = ann.sort_values(["start_frame", "action"], kind="stable").astype(schema.ANNOTATION_DTYPES)
            vs, ve = int(rec["video_start_frame"]), int(rec["video_stop_frame"])
            pose = poses[meta.video_id]
            write_tracking(schema.tracking_path(stage, split, meta.lab_id, next_id), pose.coords[vs:ve], pose.body_parts)
            write_annotations(schema.annotation_path(stage, split, meta.lab_id, next_id), ann)
            row = _source_row(raw[meta.split], meta.video_id)
            row.update(video_id=next_id, video_duration_sec=round((ve - vs) / meta.fps, 6),
                       behaviors_labeled=schema.format_behaviors_labeled(triples))
            meta_rows.append(row)
            origin = sources.source_of(known, meta.video_id)
            if origin is not None:
                source_rows.append(_clip_source(known, meta.video_id, next_id, split, int(str(origin["first_frame"])) + vs, ve - vs))
            added.append(ImportedClip(int(rec["clip"]), next_id, meta.video_id, start, stop - start,
                                      (str(rec.get("agent", "")), str(rec.get("target", ""))), len(ann), triples))
            next_id += 1
        metadata = schema.metadata_path(root, split)
        tables = {metadata.name: appended_csv(_bytes(metadata), schema.METADATA_COLUMNS, meta_rows)}
        if source_rows:
            path = sources.sources_path(root)
            tables[path.name] = appended_csv(_bytes(path), sources.SOURCE_COLUMNS, source_rows)
        commit(root, stage, tables)
    return ClipImport(root, created, src.root, added, int((~used).sum()), markers)


def _recording_info(name: str, table: pd.DataFrame, metas: dict[int, VideoMeta], poses: dict,
                    known: pd.DataFrame) -> labels.RecordingInfo:
    """One recording of ``clips.csv``: its frame rate, frames (up to the end of its last video) and mice."""
    first = int(table.loc[table["recording"].astype(str) == name, "video_id"].iloc[0])
    meta, origin = metas[first], sources.source_of(known, first)
    if origin is None:
        mice = tuple(schema.mouse_name(i) for i in range(1, meta.n_mice + 1))
        return labels.RecordingInfo(name, meta.fps, poses[first].n_frames, mice)
    same = known[known["source_file"] == origin["source_file"]]
    end = int((same["first_frame"].astype(int) + same["n_frames"].astype(int)).max())
    return labels.RecordingInfo(name, float(origin["fps"]), end, tuple(origin["individuals"]))  # type: ignore[arg-type]


def _source_row(raw: pd.DataFrame, video_id: int) -> dict[str, object]:
    """Return the source video's metadata row as written (text cells), to copy."""
    hits = raw[raw["video_id"].astype(str).str.strip() == str(video_id)]
    return dict(hits.iloc[0])


def _clip_source(known: pd.DataFrame, source_video: int, video_id: int, split: str, first: int, n: int) -> dict[str, object]:
    """Return the source video's ``sources.csv`` row for a clip of it: its id, split and frames of the recording."""
    row = dict(known[known["video_id"].astype(str) == str(source_video)].iloc[0])
    row.update(video_id=video_id, split=split, first_frame=first, n_frames=n)
    return row


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None
