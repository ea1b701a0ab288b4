"""Pose files (and label files) of other tools -> new videos appended to a MABe dataset.

Composes :mod:`mabe.data.importers`: read every pose file through
``movement``, optionally cut each recording into consecutive videos, read and
check the labels, stage the parquet files and csv rows, and commit them all at
once. Nothing existing in the dataset is changed; a failure anywhere leaves it
as it was.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from mabe.data import schema
from mabe.data.importers import boris, frames, intervals, labels, sources
from mabe.data.importers.commit import appended_csv, commit, staging_dir
from mabe.data.importers.metadata_row import metadata_row
from mabe.data.importers.parquet import write_annotations, write_tracking
from mabe.data.importers.pose import PoseRecording, load_recording
from mabe.data.metadata import check_metadata, parse_lab_id
from mabe.errors import DataError, MabeError
from mabe.progress import track

ANNOTATION_FORMATS: tuple[str, ...] = ("boris", "intervals", "frames")


class ImportOptions(BaseModel):
    """Everything ``mabe import`` is told besides the files (see the CLI for meanings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lab: str
    source_software: str = "auto"
    fps: float | None = Field(default=None, gt=0)
    pix_per_cm: float | None = Field(default=None, gt=0)
    split: str = "train"
    min_confidence: float | None = None
    annotation_format: str | None = None
    behaviors: tuple[str, ...] | None = None
    agent: str | None = None
    target: str | None = None
    split_minutes: float | None = Field(default=None, gt=0)
    test_last: int = Field(default=0, ge=0)


@dataclass
class ImportedVideo:
    """One new video: where it lives, where it came from, what it holds."""

    video_id: int
    split: str
    source: Path
    first_frame: int
    n_frames: int
    individuals: tuple[str, ...]
    tracking_rows: int
    intervals: int | None
    behaviors: list[schema.Triple] = field(default_factory=list)


@dataclass
class ImportSummary:
    """What an import added (returned by :func:`import_poses`).

    ``low_confidence`` counts keypoints left out by ``--min-confidence``,
    ``no_confidence`` of them those without a confidence (NaN);
    ``skipped_label_rows`` the rows of each label file about recordings not
    in this import (files with none are not listed).
    """

    root: Path
    lab_id: str
    created: bool
    videos: list[ImportedVideo]
    low_confidence: int = 0
    clipped_intervals: int = 0
    no_confidence: int = 0
    skipped_label_rows: dict[Path, int] = field(default_factory=dict)


@dataclass
class _Piece:
    recording: int
    first: int
    stop: int
    split: str
    video_id: int = 0


def _existing_state(root: Path) -> tuple[set[int], set[tuple[str, str]], pd.DataFrame]:
    """Video ids in use, fingerprints already imported, the sources table."""
    if root.exists() and not root.is_dir():
        raise MabeError(f"{root}: exists and is not a directory")
    ids: set[int] = set()
    if root.is_dir() and any(root.iterdir()):
        csvs = [schema.metadata_path(root, s) for s in schema.SPLITS]
        if not any(p.is_file() for p in csvs):
            raise MabeError(
                f"{root}: not empty and not a MABe dataset (no train.csv or test.csv)"
            )
        for path in csvs:
            if path.is_file():
                checked = check_metadata(path)
                if checked.problems or checked.frame is None:
                    first = checked.problems[0] if checked.problems else "unreadable"
                    raise DataError(
                        path, f"{first}; fix the dataset before importing into it"
                    )
                ids |= {int(v) for v in checked.frame["video_id"]}
    table = sources.read_sources(root)
    ids |= {int(v) for v in table["video_id"]}
    seen = set(
        zip(
            table["source_size"].astype(str),
            table["source_sha256"].astype(str),
            strict=True,
        )
    )
    return ids, seen, table


def _cut(n_frames: int, fps: float, minutes: float | None) -> list[tuple[int, int]]:
    """Consecutive ``[first, stop)`` pieces of ``minutes``; a last piece under half merges back.

    Examples
    --------
    >>> _cut(5700, 30.0, 1.0)
    [(0, 1800), (1800, 3600), (3600, 5700)]
    >>> _cut(100, 30.0, None)
    [(0, 100)]
    """
    if minutes is None:
        return [(0, n_frames)]
    size = max(round(minutes * 60 * fps), 1)
    bounds = list(range(0, n_frames, size)) + [n_frames]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < size / 2:
        del bounds[-2]
    return list(itertools.pairwise(bounds))


def _read_labels(
    files: Sequence[Path],
    options: ImportOptions,
    infos: list[labels.RecordingInfo],
    video_ids: list[int | None],
    cut_ids: set[int],
) -> tuple[dict[int, pd.DataFrame], dict[int, list[schema.Triple]], dict[Path, int]]:
    """Resolve the intervals and whitelist per recording index (labelled recordings only).

    Also returns the rows skipped per file (about recordings not in this import).
    """
    per_rec: dict[int, list[pd.DataFrame]] = {}
    triples: dict[int, list[schema.Triple]] = {}
    skipped: dict[Path, int] = {}
    for path in files:
        if options.annotation_format == "boris":
            table = boris.read_boris(path, infos, options.agent, options.target)
        elif options.annotation_format == "intervals":
            table = intervals.read_intervals(path, infos, video_ids, cut_ids)
        else:
            table = frames.read_frames(
                path, infos, options.agent, options.target, options.behaviors
            )
        if table.skipped:
            skipped[path] = skipped.get(path, 0) + table.skipped
        resolved = labels.resolve(table, infos)
        declared = labels.declared_pairs(table, resolved, infos)
        recordings = {int(r) for r in resolved["recording"]} | {d[0] for d in declared}
        for rec in sorted(recordings):
            per_rec.setdefault(rec, []).append(resolved[resolved["recording"] == rec])
            whitelist = labels.behaviors_labeled(
                declared, rec, options.behaviors, table.skipped_actions
            )
            triples[rec] = list(dict.fromkeys([*triples.get(rec, []), *whitelist]))
    merged = {
        rec: pd.concat(parts, ignore_index=True) for rec, parts in per_rec.items()
    }
    return merged, triples, skipped


def _piece_annotations(
    ann: pd.DataFrame, first: int, stop: int, n_tracked: int
) -> tuple[pd.DataFrame, int]:
    """Intervals of one piece in its own frames; how many were cut short at the tracked end."""
    start = ann["start_frame"].to_numpy(np.int64) - first
    end = ann["stop_frame"].to_numpy(np.int64) - first
    keep = (end > 0) & (start < stop - first)
    start, end = np.clip(start[keep], 0, None), np.minimum(end[keep], stop - first)
    clipped = int((end > n_tracked).sum())
    end = np.minimum(end, n_tracked)
    valid = end > start
    out = ann.loc[keep, list(schema.ANNOTATION_COLUMNS)].copy()
    out["start_frame"], out["stop_frame"] = start, end
    out = out[valid].sort_values(
        ["start_frame", "agent_id", "target_id", "action"], kind="stable"
    )
    return out.astype(schema.ANNOTATION_DTYPES).reset_index(drop=True), clipped


def _stage_piece(
    stage: Path, rec: PoseRecording, piece: _Piece, lab: str
) -> tuple[int, int]:
    """Write the piece's tracking parquet; return (rows, frames up to the last tracked one)."""
    coords = rec.coords[piece.first : piece.stop]
    present = np.isfinite(coords).all(axis=-1)
    if not present.any():
        raise DataError(
            rec.path,
            f"frames {piece.first}-{piece.stop - 1}: no keypoint left (all missing or below "
            "--min-confidence)",
        )
    n_tracked = int(np.flatnonzero(present.any(axis=(1, 2)))[-1]) + 1
    path = schema.tracking_path(stage, piece.split, lab, piece.video_id)
    return write_tracking(path, coords, rec.keypoints), n_tracked


def import_poses(
    pose_files: Sequence[str | Path],
    out: str | Path,
    options: ImportOptions,
    annotations: Sequence[str | Path] = (),
    progress: bool = True,
) -> ImportSummary:
    """Import pose files (and labels) as new videos of the dataset ``out``.

    Parameters
    ----------
    pose_files
        One video per file (or several with ``options.split_minutes``).
    out
        The dataset directory; created if absent, appended to if it exists.
    options
        Lab id, frame rate, split, thresholds, label format, ...
    annotations
        Label files in ``options.annotation_format``.
    progress
        Show a progress bar over the pose files.

    Returns
    -------
    ImportSummary

    Raises
    ------
    MabeError
        For any problem with the inputs (one line naming the file and row);
        the dataset is then left exactly as it was.

    Examples
    --------
    >>> opts = ImportOptions(lab="mylab", fps=30)                 # doctest: +SKIP
    >>> import_poses(["s1_DLC.csv"], "data", opts).videos[0].video_id   # doctest: +SKIP
    1
    """
    root = Path(out).expanduser().resolve()
    try:
        lab = parse_lab_id(options.lab)
    except ValueError as exc:
        raise MabeError(f"--lab: {exc}") from None
    if options.split not in schema.SPLITS:
        raise MabeError(f"--split must be one of {', '.join(schema.SPLITS)}")
    if annotations and options.annotation_format not in ANNOTATION_FORMATS:
        raise MabeError(
            f"--annotation-format must be one of {', '.join(ANNOTATION_FORMATS)}"
        )
    if not pose_files:
        raise MabeError("no pose file given")
    if options.test_last and options.split_minutes is None:
        raise MabeError("--test-last needs --split-minutes (it picks among the pieces of a recording)")
    ids, seen, _ = _existing_state(root)
    created = not root.exists() or not any(root.iterdir())
    paths = [Path(p).expanduser().resolve() for p in pose_files]
    recordings: list[PoseRecording] = []
    prints: list[tuple[int, str, str]] = []
    for path in track(paths, "reading pose files") if progress else paths:
        if not path.is_file():
            raise DataError(path, "pose file not found")
        size, digest, scope = sources.fingerprint(path)
        if (str(size), digest) in seen:
            raise DataError(
                path,
                f"already imported into {root} (same size and sha256 in sources.csv)",
            )
        if any((size, digest) == (s, d) for s, d, _ in prints):
            raise DataError(
                path, "given twice (same content as another pose file of this import)"
            )
        prints.append((size, digest, scope))
        recordings.append(
            load_recording(
                path, options.source_software, options.fps, options.min_confidence
            )
        )
    pieces: list[_Piece] = []
    next_id = max(ids, default=0) + 1
    for index, rec in enumerate(recordings):
        cuts = _cut(rec.n_frames, rec.fps, options.split_minutes)
        if options.test_last and options.test_last >= len(cuts):
            raise MabeError(
                f"{rec.path}: --test-last {options.test_last} leaves no video for "
                f"{options.split} ({len(cuts)} piece(s)); use a smaller --split-minutes"
            )
        for k, (first, stop) in enumerate(cuts):
            split = "test" if k >= len(cuts) - options.test_last else options.split
            pieces.append(_Piece(index, first, stop, split, next_id))
            next_id += 1
    infos = [
        labels.RecordingInfo(r.path.stem, r.fps, r.n_frames, r.individuals)
        for r in recordings
    ]
    single_ids: list[int | None] = [
        next((p.video_id for p in pieces if p.recording == i), None)
        if sum(p.recording == i for p in pieces) == 1
        else None
        for i in range(len(recordings))
    ]
    cut_ids = {
        p.video_id for p in pieces if single_ids[p.recording] is None
    }
    ann_by_rec, whitelist, skipped = _read_labels(
        [Path(a) for a in annotations], options, infos, single_ids, cut_ids
    )
    summary = _write(
        root, lab, created, options, recordings, prints, pieces, ann_by_rec, whitelist
    )
    summary.skipped_label_rows = skipped
    return summary


def _write(
    root: Path,
    lab: str,
    created: bool,
    options: ImportOptions,
    recordings: list[PoseRecording],
    prints: list[tuple[int, str, str]],
    pieces: list[_Piece],
    ann_by_rec: dict[int, pd.DataFrame],
    whitelist: dict[int, list[schema.Triple]],
) -> ImportSummary:
    rows: dict[str, list[dict[str, object]]] = {}
    source_rows: list[dict[str, object]] = []
    videos: list[ImportedVideo] = []
    clipped_total = 0
    with staging_dir(root) as stage:
        for piece in pieces:
            rec = recordings[piece.recording]
            n_rows, n_tracked = _stage_piece(stage, rec, piece, lab)
            n_intervals = None
            if piece.recording in whitelist:
                ann, clipped = _piece_annotations(
                    ann_by_rec[piece.recording], piece.first, piece.stop, n_tracked
                )
                clipped_total += clipped
                write_annotations(
                    schema.annotation_path(stage, piece.split, lab, piece.video_id), ann
                )
                n_intervals = len(ann)
            behaviors = whitelist.get(piece.recording, [])
            rows.setdefault(piece.split, []).append(
                metadata_row(
                    lab,
                    piece.video_id,
                    rec.fps,
                    n_tracked,
                    len(rec.individuals),
                    rec.keypoints,
                    rec.software,
                    behaviors,
                    options.pix_per_cm,
                )
            )
            size, digest, scope = prints[piece.recording]
            source_rows.append(
                {
                    "video_id": piece.video_id,
                    "lab_id": lab,
                    "split": piece.split,
                    "source_file": str(rec.path),
                    "source_size": size,
                    "source_sha256": digest,
                    "sha256_of": scope,
                    "source_software": rec.software,
                    "fps": rec.fps,
                    "first_frame": piece.first,
                    "n_frames": n_tracked,
                    "individuals": _json(list(rec.individuals)),
                    "mouse_ids": _json(
                        {n: i + 1 for i, n in enumerate(rec.individuals)}
                    ),
                }
            )
            videos.append(
                ImportedVideo(
                    piece.video_id,
                    piece.split,
                    rec.path,
                    piece.first,
                    n_tracked,
                    rec.individuals,
                    n_rows,
                    n_intervals,
                    behaviors,
                )
            )
        tables = {
            schema.metadata_path(root, split).name: appended_csv(
                _bytes(schema.metadata_path(root, split)),
                schema.METADATA_COLUMNS,
                split_rows,
            )
            for split, split_rows in rows.items()
        }
        src = sources.sources_path(root)
        tables[src.name] = appended_csv(
            _bytes(src), sources.SOURCE_COLUMNS, source_rows
        )
        commit(root, stage, tables)
    low = sum(r.n_low_confidence for r in recordings)
    unscored = sum(r.n_no_confidence for r in recordings)
    return ImportSummary(
        root, lab, created, videos, low, clipped_total, no_confidence=unscored
    )


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _json(value: object) -> str:
    return json.dumps(value)
