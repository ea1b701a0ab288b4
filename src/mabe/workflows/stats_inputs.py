"""What ``mabe stats`` computes from: the videos, which triples count in each, and who the mice are.

- :func:`video_units`: one :class:`~mabe.metrics.bouts.VideoUnit` per video of a
  split, with its length, its source recording (``sources.csv``) and the
  triples counted in it;
- :func:`add_metadata`: the agent's and target's metadata columns of the
  csv and their individual names from ``sources.csv``;
- :func:`oof_submission`: the out-of-fold predictions of a cross-fitted run,
  decoded, so a run's own training videos can be compared with their labels.

Which triples count: on a labelled video (``behaviors_labeled`` not empty),
its whitelist, for labels and predictions alike (a prediction outside it is
not counted, as the scorer ignores it). On an unlabelled video, predictions
count for every triple the model could have predicted there: the triples the
submission holds for the video, plus every ordered pair of its mice × the
action vocabulary (the run's actions when known, else every action the
submission predicts on unlabelled videos of that lab), self actions on the
self pair only (:func:`mabe.workflows.whitelist.model_whitelist`). ``mabe
predict`` decodes exactly those on a new recording, so a 0 there means the
model looked and found nothing. Labels of an unlabelled video count nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mabe.data.importers.sources import individual_name, read_sources, source_of
from mabe.data.io import MabeDataset
from mabe.data.schema import MOUSE_FIELDS, Triple, mouse_number
from mabe.data.submission import assemble_submission
from mabe.data.types import VideoMeta
from mabe.errors import MabeError
from mabe.metrics.bouts import VideoUnit
from mabe.workflows.blend import blend_probs
from mabe.workflows.ensemble import EnsembleRecord
from mabe.workflows.oof import load_oof, oof_path, oof_videos
from mabe.workflows.predict import decode_one, load_decode_params
from mabe.workflows.whitelist import model_whitelist

MOUSE_COLUMN_NAMES: dict[str, str] = {field: "mouse_id" if field == "id" else field for field in MOUSE_FIELDS}
"""A ``mouseN_<field>`` column becomes ``agent_<name>`` / ``target_<name>`` (``id`` -> ``mouse_id``,
the lab's own id of the animal, so it is not taken for the ``mouseN`` number)."""


def _n_frames(dataset: MabeDataset, meta: VideoMeta, source: dict | None) -> int:
    """Return the video's length: ``sources.csv``, else ``video_duration_sec`` x fps, else its tracking file."""
    if source is not None and int(source["n_frames"]) > 0:
        return int(source["n_frames"])
    if meta.duration_sec == meta.duration_sec and meta.duration_sec > 0:
        return max(1, round(meta.duration_sec * meta.fps))
    return dataset.load_pose(meta).n_frames


def _pairs(n_mice: int) -> list[tuple[int, int]]:
    return [(a, t) for a in range(1, n_mice + 1) for t in range(1, n_mice + 1)]


def _open_vocabulary(metas: Sequence[VideoMeta], intervals: pd.DataFrame) -> dict[str, set[str]]:
    """Per lab: the actions the submission predicts on its unlabelled videos."""
    lab = {m.video_id: m.lab_id for m in metas if not m.behaviors_labeled}
    rows = intervals[intervals["video_id"].isin(list(lab))]
    out: dict[str, set[str]] = {}
    for vid, action in rows[["video_id", "action"]].drop_duplicates().itertuples(index=False):
        out.setdefault(lab[int(vid)], set()).add(str(action))
    return out


def video_units(
    dataset: MabeDataset,
    split: str,
    intervals: pd.DataFrame,
    predicted: bool,
    vocabulary: Sequence[str] | None = None,
) -> list[VideoUnit]:
    """Describe every video of ``split`` for :func:`mabe.metrics.bouts.video_stats`.

    Parameters
    ----------
    dataset, split
        Where the videos are.
    intervals
        The intervals (a submission, or the labels) the statistics are about.
    predicted
        ``True`` for predictions: unlabelled videos count what a model
        decodes there (see the module docstring); ``False`` for labels.
    vocabulary
        The run's actions, when known (predictions only).

    Raises
    ------
    MabeError
        If ``intervals`` name a video that is not in the split.
    """
    metas = dataset.metas(split)
    known = {m.video_id for m in metas}
    stray = sorted(set(intervals["video_id"].astype(int)) - known)
    if stray:
        raise MabeError(f"{dataset.root}: video_id {stray[0]} of the intervals is not in the '{split}' split")
    sources = read_sources(dataset.root)
    open_actions = _open_vocabulary(metas, intervals) if predicted else {}
    present: dict[int, set[Triple]] = {}
    for vid, agent, target, action in intervals[["video_id", "agent_id", "target_id", "action"]].drop_duplicates().itertuples(index=False):
        present.setdefault(int(vid), set()).add((str(agent), str(target), str(action)))
    units = []
    for meta in metas:
        source = source_of(sources, meta.video_id)
        counted: set[Triple] = set(meta.behaviors_labeled)
        if not counted and predicted:
            actions = set(vocabulary) if vocabulary else open_actions.get(meta.lab_id, set())
            counted = present.get(meta.video_id, set()) | model_whitelist(_pairs(meta.n_mice), sorted(actions))
        units.append(VideoUnit(
            video_id=meta.video_id, lab_id=meta.lab_id, fps=meta.fps,
            n_frames=_n_frames(dataset, meta, source), n_mice=meta.n_mice, counted=frozenset(counted),
            recording=str(source["source_file"]) if source else "",
            first_frame=int(source["first_frame"]) if source else 0,  # type: ignore[call-overload]
        ))
    return units


def _mouse_columns(row: dict, mouse: str, prefix: str, names: list[str]) -> dict[str, object]:
    number = mouse_number(mouse)
    out: dict[str, object] = {f"{prefix}_name": individual_name(mouse, names) if names else ""}
    for field, name in MOUSE_COLUMN_NAMES.items():
        value = row.get(f"mouse{number}_{field}", "")
        out[f"{prefix}_{name}"] = "" if value is None or value != value else value
    return out


def add_metadata(table: pd.DataFrame, dataset: MabeDataset, split: str, units: Sequence[VideoUnit],
                 extra: Sequence[str] = ()) -> pd.DataFrame:
    """Add the agent's and target's metadata, their individual names and the csv columns ``extra``.

    ``unit`` is a video id or a recording (the first of its videos, in time,
    gives the metadata). A self action's target columns are the agent's.
    """
    csv = dataset.metadata(split).set_index("video_id")
    produced = {f"{side}_{name}" for side in ("agent", "target") for name in ("name", *MOUSE_COLUMN_NAMES.values())}
    extra = [c for c in extra if c not in produced and c not in table.columns and c not in ("video_id", "recording")]
    unknown = [c for c in extra if c not in csv.columns]
    if unknown:
        raise MabeError(f"{dataset.root}: --by {unknown[0]} is neither a column of the statistics nor of {split}.csv")
    sources = read_sources(dataset.root)
    first: dict[object, int] = {}
    for unit in sorted(units, key=lambda u: u.first_frame):
        first.setdefault(unit.video_id, unit.video_id)
        first.setdefault(unit.recording_key, unit.video_id)
    rows = []
    for rec in table[["unit", "agent", "target"]].itertuples(index=False):
        vid = first[rec.unit]
        row = csv.loc[vid].to_dict()
        source = source_of(sources, vid)
        names = list(source["individuals"]) if source else []  # type: ignore[call-overload]
        target = rec.agent if rec.target == "self" else rec.target
        rows.append({
            **_mouse_columns(row, rec.agent, "agent", names),
            **_mouse_columns(row, target, "target", names),
            **{c: row.get(c) for c in extra},
        })
    meta = pd.DataFrame(rows, index=table.index)
    return pd.concat([table, meta], axis=1)


def oof_submission(run: str | Path) -> pd.DataFrame:
    """Decode a cross-fitted run's out-of-fold probabilities (``RUN/oof/``) into a submission.

    Every training video is predicted by the fold models that never saw it,
    blended with the run's weights and decoded with its decoding parameters.
    Those parameters were tuned on these same probabilities, so numbers from
    this are slightly optimistic (``RUN/cv.json`` holds the honest scores).

    Raises
    ------
    MabeError
        If ``run`` is not an ensemble run or holds no out-of-fold files.
    """
    record = EnsembleRecord.load(run)
    params = load_decode_params(run)
    members = [m.name for m in record.active_members()]
    videos = sorted(set.intersection(*(set(oof_videos(run, m)) for m in members))) if members else []
    if not videos:
        raise MabeError(f"{run}: no out-of-fold probabilities (RUN/oof/) of its members; was it trained with mabe train?")
    parts = []
    for vid in videos:
        probs = {m: load_oof(oof_path(run, m, vid))[0] for m in members}
        part, _ = decode_one(blend_probs(probs, record.weights), params)
        parts.append(part)
    return assemble_submission(parts)
