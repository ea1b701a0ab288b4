"""A submission -> files a person reviews: BORIS event tables or one interval table.

Times are given in seconds and in frames of the *source recording*: when the
dataset was made by ``mabe import`` (``sources.csv`` knows the video), mouse
ids become the pose file's individual names and a recording cut into several
videos is put back together, so the times match the original video file.
Otherwise videos are exported as they are, mice as ``mouseN``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mabe.data.importers.sources import individual_name, read_sources, source_of
from mabe.data.io import MabeDataset
from mabe.data.submission import read_submission
from mabe.errors import DataError, MabeError
from mabe.fileio import atomic_write_text

EXPORT_FORMATS: tuple[str, ...] = ("boris", "intervals")

INTERVAL_EXPORT_COLUMNS: tuple[str, ...] = (
    "video",
    "video_id",
    "agent",
    "target",
    "action",
    "start_frame",
    "stop_frame",
    "start_s",
    "stop_s",
    "video_start_frame",
    "video_stop_frame",
)
"""``video`` is the source file stem (empty if unknown); ``start_frame`` / ``stop_frame``
(exclusive) and the seconds are in the source recording's time; ``video_*`` in the MABe video's."""

BORIS_COLUMNS: tuple[str, ...] = (
    "Time",
    "Media file path",
    "Total length",
    "FPS",
    "Subject",
    "Behavior",
    "Behavioral category",
    "Modifiers",
    "Comment",
    "Image index",
    "Status",
)


@dataclass(frozen=True)
class _VideoSource:
    stem: str
    file: str
    fps: float
    offset: int
    total_frames: int
    names: tuple[str, ...]


def _video_sources(
    dataset: MabeDataset, sources: pd.DataFrame, video_ids: list[int]
) -> dict[int, _VideoSource]:
    """Where each video came from; videos unknown to ``sources.csv`` map to themselves."""
    metas = {m.video_id: m for split in dataset.splits() for m in dataset.metas(split)}
    ends = (
        sources.assign(
            end=sources["first_frame"].astype(int) + sources["n_frames"].astype(int)
        )
        .groupby("source_file")["end"]
        .max()
        .to_dict()
    )
    found = {}
    for vid in video_ids:
        if vid not in metas:
            raise DataError(
                dataset.root, f"the submission's video_id {vid} is not in this dataset"
            )
        meta = metas[vid]
        row = source_of(sources, vid)
        if row is None:
            duration = (
                meta.duration_sec if meta.duration_sec == meta.duration_sec else 0.0
            )
            found[vid] = _VideoSource(
                "", "", meta.fps, 0, round(duration * meta.fps), ()
            )
            continue
        file = str(row["source_file"])
        found[vid] = _VideoSource(
            stem=Path(file).stem,
            file=file,
            fps=float(row["fps"]),  # type: ignore[arg-type]
            offset=int(row["first_frame"]),  # type: ignore[call-overload]
            total_frames=int(ends[file]),
            names=tuple(row["individuals"]),  # type: ignore[arg-type]
        )
    return found


def intervals_table(
    submission: pd.DataFrame, sources: dict[int, _VideoSource]
) -> pd.DataFrame:
    """Return the submission as :data:`INTERVAL_EXPORT_COLUMNS`, sorted by video and start."""
    rows = []
    for rec in submission.to_dict("records"):
        src = sources[int(rec["video_id"])]
        start = int(rec["start_frame"]) + src.offset
        stop = int(rec["stop_frame"]) + src.offset
        target = str(rec["target_id"])
        rows.append(
            {
                "video": src.stem,
                "video_id": int(rec["video_id"]),
                "agent": individual_name(str(rec["agent_id"]), src.names),
                "target": "self" if target == "self" else individual_name(target, src.names),
                "action": str(rec["action"]),
                "start_frame": start,
                "stop_frame": stop,
                "start_s": round(start / src.fps, 4),
                "stop_s": round(stop / src.fps, 4),
                "video_start_frame": int(rec["start_frame"]),
                "video_stop_frame": int(rec["stop_frame"]),
            }
        )
    table = pd.DataFrame(rows, columns=list(INTERVAL_EXPORT_COLUMNS))
    return table.sort_values(
        ["video", "video_id", "start_frame", "agent", "action"], kind="stable"
    )


def boris_events(table: pd.DataFrame, src: _VideoSource) -> pd.DataFrame:
    """One recording's intervals as BORIS tabular events (START/STOP, seconds)."""
    events = []
    for rec in table.to_dict("records"):
        for status, frame in (
            ("START", rec["start_frame"]),
            ("STOP", rec["stop_frame"]),
        ):
            events.append(
                {
                    "Time": f"{frame / src.fps:.4f}",
                    "Media file path": src.file,
                    "Total length": f"{src.total_frames / src.fps:.3f}"
                    if src.total_frames
                    else "",
                    "FPS": f"{src.fps:g}",
                    "Subject": rec["agent"],
                    "Behavior": rec["action"],
                    "Behavioral category": "",
                    "Modifiers": rec["target"],
                    "Comment": "predicted by mabe",
                    "Image index": int(frame),
                    "Status": status,
                    "_order": (int(frame), status == "START"),
                }
            )
    frame = pd.DataFrame(events, columns=[*BORIS_COLUMNS, "_order"])
    frame = frame.sort_values("_order", kind="stable")
    return frame[list(BORIS_COLUMNS)]


def export_submission(
    submission: str | Path, data: str | Path, format: str, out: str | Path
) -> list[tuple[Path, int]]:
    """Write a submission for review.

    Parameters
    ----------
    submission
        A submission csv.
    data
        The dataset it predicts (metadata and, if imported, ``sources.csv``).
    format
        ``"boris"``: one BORIS tabular events csv per source recording (or per
        video when the source is unknown). ``"intervals"``: one csv with every
        interval (:data:`INTERVAL_EXPORT_COLUMNS`), readable back by
        ``mabe import --annotation-format intervals``.
    out
        Directory for the files; created if needed. Existing files are never replaced.

    Returns
    -------
    list of (path, intervals written)

    Raises
    ------
    MabeError
        Unknown format, a file that already exists, a video not in ``data``.
    """
    if format not in EXPORT_FORMATS:
        raise MabeError(f"--format must be one of {', '.join(EXPORT_FORMATS)}")
    sub = read_submission(submission)
    if sub.empty:
        raise DataError(
            submission, "the submission holds no interval; nothing to export"
        )
    dataset = MabeDataset(data)
    video_ids = sorted({int(v) for v in sub["video_id"]})
    sources = _video_sources(dataset, read_sources(dataset.root), video_ids)
    table = intervals_table(sub, sources)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise MabeError(f"{out}: exists and is not a directory")
    outputs: dict[Path, tuple[str, int]] = {}
    if format == "intervals":
        outputs[out / f"{Path(submission).stem}_intervals.csv"] = (
            table.to_csv(index=False, lineterminator="\n"),
            len(table),
        )
    else:
        groups = table.groupby(
            table["video"].where(table["video"] != "", table["video_id"].astype(str))
        )
        for key, part in groups:
            src = sources[int(part["video_id"].iloc[0])]
            text = boris_events(part, src).to_csv(index=False, lineterminator="\n")
            outputs[out / f"{key}_predicted_boris.csv"] = (text, len(part))
    clashes = [p for p in outputs if p.exists()]
    if clashes:
        raise MabeError(
            f"{clashes[0]}: already exists; refusing to replace it (choose another --out)"
        )
    out.mkdir(parents=True, exist_ok=True)
    for path, (text, _) in outputs.items():
        atomic_write_text(path, text)
    return [(path, n) for path, (_, n) in outputs.items()]
