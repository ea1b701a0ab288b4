"""``mabe suggest``: rank windows of unlabelled videos by what labelling them would teach the run.

One prediction pass over the videos: every fold model of every member of an
ensemble run predicts each video (:meth:`~mabe.workflows.ensemble.EnsemblePredictor.predict_folds`),
their blend is the run's prediction; a single-model run is one model (no
disagreement term). The scoring and the selection are the pure functions of
:mod:`mabe.decode.suggest` (the score and the diversity rule are documented
there); this module loads, aligns and writes (:mod:`mabe.workflows.suggest_files`).

Candidates are the (pair, action) entries a video's ``behaviors_labeled`` does
not list (self actions on self pairs only): an unlabelled video offers all of
them, a partly labelled one the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mabe.data.importers.sources import read_sources, source_of
from mabe.data.io import MabeDataset
from mabe.data.schema import SPLITS, mouse_name, target_name
from mabe.data.types import Video, VideoMeta
from mabe.decode import DecodeParams, VideoProbs
from mabe.decode.suggest import (
    disagreement,
    frame_terms,
    rarity_weights,
    score_windows,
    select_clips,
)
from mabe.errors import MabeError
from mabe.features.shared_pairs import shared_pair_features
from mabe.progress import status, track
from mabe.training.run import Run
from mabe.workflows.ensemble import EnsemblePredictor, is_ensemble_run
from mabe.workflows.predict import load_decode_params, load_video_predictor
from mabe.workflows.suggest_files import ClipSource, check_out_dir, clip_tables, write_outputs
from mabe.workflows.whitelist import model_whitelist, run_actions

DEFAULT_SECONDS = 5.0
"""Default clip length in seconds (the same span of time at any frame rate)."""

ModelOutputs = Callable[[Video], tuple[VideoProbs, list[VideoProbs], list[str]]]
"""One video -> (blend, each model's probabilities, each model's member name)."""


@dataclass
class SuggestResult:
    """What ``mabe suggest`` chose and wrote.

    Attributes
    ----------
    clips
        The rows of ``clips.csv``, best first.
    files
        Every file written.
    n_videos, n_windows
        Videos with a candidate entry, and windows scored over them.
    """

    clips: pd.DataFrame
    files: list[Path]
    n_videos: int
    n_windows: int


def _model_outputs(run: Path) -> tuple[ModelOutputs, dict[str, dict[str, float]]]:
    """Load the run once; return the per-video function and the blend weights."""
    if is_ensemble_run(run):
        ensemble = EnsemblePredictor(run)

        def outputs(video: Video) -> tuple[VideoProbs, list[VideoProbs], list[str]]:
            with shared_pair_features():  # the folds and members share one video's pair features
                per_fold = ensemble.predict_folds(video)
            names = [name for name, folds in per_fold.items() for _ in folds]
            return ensemble.blend(per_fold), [vp for folds in per_fold.values() for vp in folds], names

        return outputs, ensemble.record.weights
    predict = load_video_predictor(run)

    def single(video: Video) -> tuple[VideoProbs, list[VideoProbs], list[str]]:
        vp = predict(video)
        return vp, [vp], ["model"]

    return single, {}


def aligned(vp: VideoProbs, pairs: Sequence[tuple[int, int]], actions: Sequence[str]) -> np.ndarray:
    """Return ``vp``'s probabilities on ``(pairs, actions)`` (matched by value), NaN where it has none.

    Examples
    --------
    >>> vp = VideoProbs(1, "L", np.ones((2, 1, 1), np.float32), [(1, 2)], ["sniff"], set())
    >>> aligned(vp, [(2, 1), (1, 2)], ["attack", "sniff"])[0].tolist()
    [[nan, nan], [nan, 1.0]]
    """
    out = np.full((vp.probs.shape[0], len(pairs), len(actions)), np.nan, np.float32)
    rows = {(int(a), int(t)): i for i, (a, t) in enumerate(vp.pairs)}
    cols = {a: x for x, a in enumerate(vp.actions)}
    for p, pair in enumerate(pairs):
        if pair not in rows:
            continue
        for x, action in enumerate(actions):
            if action in cols:
                out[:, p, x] = vp.probs[:, rows[pair], cols[action]]
    return out


def candidate_entries(vp: VideoProbs) -> np.ndarray:
    """Return ``(P, A)`` booleans: the entries of a video not whitelisted yet (self actions on self pairs).

    Examples
    --------
    >>> vp = VideoProbs(1, "L", np.zeros((1, 2, 1), np.float32), [(1, 2), (2, 1)], ["sniff"],
    ...                 {("mouse1", "mouse2", "sniff")})
    >>> candidate_entries(vp).tolist()
    [[False], [True]]
    """
    pairs = [(int(a), int(t)) for a, t in vp.pairs]
    open_ = model_whitelist(pairs, vp.actions) - set(vp.whitelist)
    return np.array(
        [[(mouse_name(a), target_name(a, t), action) in open_ for action in vp.actions] for a, t in pairs],
        dtype=bool,
    ).reshape(len(pairs), len(vp.actions))


def fully_labelled(meta: VideoMeta, actions: Sequence[str] | None) -> bool:
    """Tell whether a video's whitelist already holds every triple the run predicts (no need to predict it).

    Examples
    --------
    >>> meta = VideoMeta("train", "L", 1, 30.0, 1, ("nose",), (("mouse1", "self", "rear"),))
    >>> fully_labelled(meta, ["rear"]), fully_labelled(meta, ["rear", "dig"]), fully_labelled(meta, None)
    (True, False, False)
    """
    if not actions:
        return False
    mice = range(1, meta.n_mice + 1)
    return not model_whitelist([(a, t) for a in mice for t in mice], actions) - set(meta.behaviors_labeled)


def training_counts(run: Path, dataset: MabeDataset) -> dict[str, float]:
    """Positive frames per action in the run's training labels (``summary.json`` says where).

    Falls back to ``dataset``'s labelled training videos when the run's data
    is not there; empty when neither has labels (every action then weighs 1).
    """
    try:  # an ensemble's summary.json is not a RunSummary: read only its "data" record
        data = json.loads(Run(run).summary_path.read_text()).get("data") or {}
        root, ids = Path(str(data.get("data_dir") or "")), {int(v) for v in data.get("train_video_ids") or []}
    except (OSError, ValueError, TypeError, AttributeError):
        root, ids = Path(""), set()
    source = MabeDataset(root) if data_dir_ok(root) else dataset
    if "train" not in source.splits() or not source.has_labels("train"):
        return {}
    counts: dict[str, float] = {}
    for meta in source.metas("train"):
        if not meta.behaviors_labeled or (ids and source is not dataset and meta.video_id not in ids):
            continue
        ann = source.load_annotations(meta)
        if ann is None or ann.empty:
            continue
        lengths = (ann["stop_frame"].astype(np.int64) - ann["start_frame"].astype(np.int64)).groupby(ann["action"]).sum()
        for action, frames in lengths.items():
            counts[str(action)] = counts.get(str(action), 0.0) + float(frames)
    return counts


def data_dir_ok(root: Path) -> bool:
    """Tell whether ``root`` looks like a dataset (a ``train.csv`` is there)."""
    return str(root) not in ("", ".") and (root / "train.csv").is_file()


def _video_windows(
    vp: VideoProbs,
    models: list[VideoProbs],
    names: list[str],
    weights: dict[str, dict[str, float]],
    params: DecodeParams,
    counts: dict[str, float],
    length: int,
) -> pd.DataFrame:
    """Scored windows of one video (pair indices and action indices resolved to names)."""
    candidate = candidate_entries(vp)
    if not candidate.any():
        return pd.DataFrame()
    pairs = [(int(a), int(t)) for a, t in vp.pairs]
    actions = list(vp.actions)
    # a model counts for an action when the blend uses its member there (blend_probs' rule)
    use = np.array(
        [[weights.get(a, {}).get(n, 1.0 if a not in weights else 0.0) > 0 for a in actions] for n in names], bool
    )
    spread = disagreement([aligned(m, pairs, actions) for m in models], use)
    thresholds = np.array([params.threshold_for(vp.lab_id, a) for a in actions], np.float32)
    terms = frame_terms(vp.probs, spread, thresholds, rarity_weights(counts, actions))
    table = score_windows(terms, candidate, length)
    table["agent_id"] = [pairs[p][0] for p in table["pair"]]
    table["target_id"] = [pairs[p][1] for p in table["pair"]]
    table["why_action"] = [actions[x] for x in table["action"]]
    open_actions = {p: ";".join(a for x, a in enumerate(actions) if candidate[p, x]) for p in range(len(pairs))}
    table["actions"] = [open_actions[p] for p in table["pair"]]
    return table.drop(columns=["action"])


def suggest_clips(
    run: str | Path,
    data: str | Path,
    out: str | Path,
    n_clips: int,
    seconds: float = DEFAULT_SECONDS,
    split: str | None = None,
    max_per_recording: int | None = None,
    max_per_pair: int | None = None,
) -> SuggestResult:
    """Choose the ``n_clips`` windows of ``seconds`` most worth labelling and write them to ``out``.

    Parameters
    ----------
    run
        A trained run (ensemble or single model).
    data
        The dataset whose videos are ranked.
    out
        A new or empty directory for ``clips.csv``, ``intervals.csv``, one
        ``<recording>_clips_boris.csv`` per recording and ``suggest.json``
        (:mod:`mabe.workflows.suggest_files`); nothing is ever replaced.
    n_clips, seconds
        How many clips, and their length in seconds.
    split
        ``train`` or ``test``; ``None``: every split of ``data``.
    max_per_recording, max_per_pair
        Caps of :func:`mabe.decode.suggest.select_clips` (default there).

    Raises
    ------
    MabeError
        A bad option, an ``out`` that holds files, a missing split, or no
        video with an entry left to label.
    """
    run, out = Path(run), Path(out)
    if n_clips < 1:
        raise MabeError(f"--clips must be at least 1, got {n_clips}")
    if not seconds > 0:
        raise MabeError(f"--seconds must be positive, got {seconds}")
    check_out_dir(out)
    Run(run).require()
    dataset = MabeDataset(data)
    if split is not None and split not in SPLITS:
        raise MabeError(f"--split must be one of {', '.join(SPLITS)}")
    splits = [split] if split is not None else dataset.splits()
    if split is not None and split not in dataset.splits():
        raise MabeError(f"{data}: no {split}.csv, so there is no '{split}' split")
    known_actions = run_actions(run)
    metas = [m for s in splits for m in dataset.metas(s) if not fully_labelled(m, known_actions)]
    outputs, weights = _model_outputs(run)
    params = load_decode_params(run)
    counts = training_counts(run, dataset)
    sources = read_sources(dataset.root)
    parts: list[pd.DataFrame] = []
    origin: dict[int, ClipSource] = {}
    for meta in track(metas, "scoring videos"):
        video = dataset.load_video(meta)
        vp, models, names = outputs(video)
        length = max(1, round(seconds * meta.fps))
        table = _video_windows(vp, models, names, weights, params, counts, length)
        if table.empty:
            continue
        origin[meta.video_id] = ClipSource.of(meta, source_of(sources, meta.video_id))
        table.insert(0, "video", meta.video_id)
        table.insert(1, "group", origin[meta.video_id].recording_key)
        parts.append(table)
    if not parts:
        raise MabeError(f"{data}: no video of {', '.join(splits)} has an entry left to label (all whitelisted)")
    windows = pd.concat(parts, ignore_index=True)
    chosen = select_clips(windows, n_clips, max_per_recording, max_per_pair)
    if len(chosen) < n_clips:
        status(f"only {len(chosen)} non-overlapping clips of {seconds:g} s fit in {len(parts)} videos")
    clips, files = clip_tables(chosen, origin, dataset)
    settings = {
        "run": str(run.resolve()),
        "data": str(Path(dataset.root).resolve()),
        "split": split,
        "clips": n_clips,
        "seconds": seconds,
        "max_per_recording": max_per_recording,
        "max_per_pair": max_per_pair,
    }
    written = write_outputs(out, clips, files, settings)
    return SuggestResult(clips, written, len(parts), len(windows))
