"""Tune decoding parameters against the exact competition metric.

:func:`tune_decoding` runs coordinate ascent from the defaults (or a given
starting point): per (lab, action) the threshold, then per action the
smoothing window, the minimum bout length and the gap to bridge. Each
candidate value is scored with the MABe metric over the labs it affects,
decoding those labs' videos again; a value is kept only if it *raises* the
score, so the result never scores below the start on the tuning data.

The inner scorer works on integer-coded interval arrays (the same interval
arithmetic as :func:`mabe.metrics.mabe_score`, without DataFrames);
:func:`evaluate_decoding` gives the plain ``mabe_score`` of a decoding for
checking.

Every labelled video of the solution counts, including those without a bout
(placeholder rows, see :mod:`mabe.data.solution`, or the ``labelled``
argument): what is decoded there is a false positive, so tuning cannot make
"predict everything" free on negative videos. A lab with no bout and nothing
decoded scores 1, exactly as :func:`mabe.metrics.score_report` says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mabe.data.schema import Triple, mouse_name, parse_behaviors_labeled, target_name
from mabe.data.solution import add_boutless_videos, is_placeholder
from mabe.data.submission import assemble_submission, frame_column
from mabe.decode.intervals import (
    Pair,
    allowed_actions,
    assign_actions,
    bouts_to_frame,
    check_inputs,
    decode_bouts,
    labels_to_bouts,
    moving_average,
)
from mabe.decode.params import DecodeParams
from mabe.metrics.intervals import f_beta, overlap_per_interval, union_intervals
from mabe.metrics.mabe_score import score_report
from mabe.progress import track


@dataclass
class VideoProbs:
    """One video's model output, ready to decode.

    Attributes
    ----------
    video_id, lab_id
        As in the metadata / solution.
    probs
        ``(F, P, A)`` probabilities.
    pairs
        ``(agent_id, target_id)`` of the ``P`` columns (``target == agent`` for self).
    actions
        Names of the ``A`` actions.
    whitelist
        The video's ``behaviors_labeled`` triples.
    """

    video_id: int
    lab_id: str
    probs: np.ndarray
    pairs: list[Pair]
    actions: list[str]
    whitelist: set[Triple]


@dataclass(frozen=True)
class TuneGrid:
    """Candidate values tried by :func:`tune_decoding` (``max_gaps=(0,)``: not tuned)."""

    thresholds: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))
    windows: tuple[int, ...] = (1, 5, 11, 21)
    min_lengths: tuple[int, ...] = (1, 3, 6, 10)
    max_gaps: tuple[int, ...] = field(default=(0,))


def decode_videos(videos: Sequence[VideoProbs], params: DecodeParams) -> pd.DataFrame:
    """Decode every video into one submission table (with ``row_id``, not checked)."""
    frames = [
        bouts_to_frame(
            decode_bouts(v.probs, v.pairs, v.actions, v.whitelist, params, v.lab_id),
            v.pairs,
            v.actions,
            v.video_id,
        )
        for v in videos
    ]
    return assemble_submission(frames, check=False)


def evaluate_decoding(
    videos: Sequence[VideoProbs],
    solution: pd.DataFrame,
    params: DecodeParams,
    beta: float = 1.0,
    labelled: pd.DataFrame | None = None,
) -> float:
    """``mabe_score`` of the decoded videos (labs with a bout score 0 when nothing is decoded).

    ``labelled`` (``video_id``, ``lab_id``, ``behaviors_labeled``) adds
    labelled videos without a bout that ``solution`` lacks; see
    :func:`mabe.metrics.score_report`.
    """
    submission = decode_videos(videos, params)
    return score_report(solution, submission, beta, labelled=labelled, allow_empty=True).score


class _Lab:
    """Everything needed to re-score one lab quickly for many candidate settings.

    The committed state (smoothed probabilities, per-frame labels and kept
    bouts of every video) follows the accepted parameters. A trial changes
    the settings of one *focus* action only, so the best competing action of
    every frame (excluding the focus) is computed once per focus and each
    trial costs ``O(F * P)`` per video holding the focus action.
    """

    def __init__(self, lab_id: str, videos: list[VideoProbs], solution: pd.DataFrame, beta: float):
        self.lab_id = lab_id
        self.videos = videos
        self.beta = beta
        self.actions = sorted({a for v in videos for a in v.actions})
        key_ids: dict[tuple, int] = {}
        action_ids: dict[str, int] = {}

        def key_of(video: str, agent: str, target: str, action: str) -> int:
            action_ids.setdefault(action, len(action_ids))
            return key_ids.setdefault((video, agent, target, action), len(key_ids))

        rows = solution[solution["lab_id"].astype(str) == lab_id]
        bouts = rows[~is_placeholder(rows)]
        columns = (bouts[c].astype(str) for c in ("video_id", "agent_id", "target_id", "action"))
        self.label = (
            np.array([key_of(*k) for k in zip(*columns, strict=True)], dtype=np.int64),
            frame_column(bouts, "start_frame", "solution"),
            frame_column(bouts, "stop_frame", "solution"),
        )
        listed = _listed_triples(rows)  # placeholders carry the whitelist of bout-less videos
        self.slot_keys = [
            self._slot_keys(v, listed.get(str(v.video_id), set()), key_of) for v in videos
        ]
        self.n_keys, self.n_actions = len(key_ids), len(action_ids)
        self.key_action = np.zeros(self.n_keys, dtype=np.int64)
        for (_, _, _, action), k in key_ids.items():
            self.key_action[k] = action_ids[action]
        self.labelled_actions = np.zeros(self.n_actions, dtype=bool)
        self.labelled_actions[self.key_action[self.label[0]]] = True
        self._place_labels()
        self.allowed = [allowed_actions(v.pairs, v.actions, v.whitelist) for v in videos]
        self.raw = [np.nan_to_num(np.asarray(v.probs, dtype=np.float64)) for v in videos]
        self.smoothed = [r.copy() for r in self.raw]
        self.labels: list[np.ndarray] = []
        self.bouts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.focus: str | None = None
        self.rest: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @staticmethod
    def _slot_keys(v: VideoProbs, listed: set[Triple], key_of) -> np.ndarray:
        """Key of each (pair, action) slot, -1 where the metric would ignore it."""
        keys = np.full((len(v.pairs), len(v.actions)), -1, dtype=np.int64)
        for p, (a, t) in enumerate(v.pairs):
            for x, action in enumerate(v.actions):
                triple = (mouse_name(a), target_name(a, t), action)
                if triple in listed:
                    keys[p, x] = key_of(str(v.video_id), *triple)
        return keys

    def _decode(self, i: int, labels: np.ndarray, params: DecodeParams):
        actions = self.videos[i].actions
        pair, action, starts, stops = labels_to_bouts(
            labels,
            np.array([params.min_length_for(x) for x in actions], dtype=np.int64),
            np.array([params.max_gap_for(x) for x in actions], dtype=np.int64),
        )
        keys = self.slot_keys[i][pair, action]
        kept = keys >= 0
        return keys[kept], starts[kept], stops[kept]

    def _thresholds(self, i: int, params: DecodeParams) -> np.ndarray:
        return np.array([params.threshold_for(self.lab_id, x) for x in self.videos[i].actions])

    def commit_all(self, params: DecodeParams) -> float:
        """Smooth and decode every video from scratch under ``params``; returns the lab score."""
        for i, v in enumerate(self.videos):
            for x, action in enumerate(v.actions):
                self.smoothed[i][:, :, x] = moving_average(self.raw[i][:, :, x],
                                                           params.window_for(action))
        self.labels = [
            assign_actions(self.smoothed[i], self.allowed[i], self._thresholds(i, params))
            for i in range(len(self.videos))
        ]
        self.bouts = [self._decode(i, lab, params) for i, lab in enumerate(self.labels)]
        self.focus = None
        return self._score(self.bouts)

    def trial(self, params: DecodeParams, action: str, window: int | None = None):
        """Score ``params`` differing from the committed ones in ``action`` only.

        Returns ``(score, state)``; pass ``state`` to :meth:`accept` to commit.
        """
        if action != self.focus:
            self._prepare_focus(action, params)
        labels, bouts = list(self.labels), list(self.bouts)
        columns = {}
        for i, (rest_ratio, rest_label) in self.rest.items():
            x = self.videos[i].actions.index(action)
            q = self.smoothed[i][:, :, x]
            if window is not None:
                q = columns[i] = moving_average(self.raw[i][:, :, x], window)
            t = params.threshold_for(self.lab_id, action)
            ratio = np.where((q >= t) & self.allowed[i][None, :, x], q / t, -1.0)
            wins = (ratio > rest_ratio) | ((ratio == rest_ratio) & (ratio >= 0) & (x < rest_label))
            labels[i] = np.where(wins, x, rest_label)
            bouts[i] = self._decode(i, labels[i], params)
        return self._score(bouts), (labels, bouts, columns, action)

    def accept(self, state) -> None:
        """Commit a state returned by :meth:`trial`."""
        self.labels, self.bouts, columns, action = state
        for i, column in columns.items():
            self.smoothed[i][:, :, self.videos[i].actions.index(action)] = column

    def _prepare_focus(self, action: str, params: DecodeParams) -> None:
        """Best competing action (ratio, index; -1 for none) of every frame, without ``action``."""
        self.focus, self.rest = action, {}
        for i, v in enumerate(self.videos):
            if action not in v.actions:
                continue
            thresholds = self._thresholds(i, params)
            candidate = (self.smoothed[i] >= thresholds) & self.allowed[i][None]
            candidate[:, :, v.actions.index(action)] = False
            ratio = np.where(candidate, self.smoothed[i] / thresholds, -1.0)
            best = ratio.argmax(axis=2)
            best_ratio = np.take_along_axis(ratio, best[:, :, None], axis=2)[:, :, 0]
            self.rest[i] = (best_ratio, np.where(best_ratio >= 0, best, -1))

    def _place_labels(self) -> None:
        """Merge the labels once, on a number line wide enough for any decoded bout."""
        keys, starts, stops = self.label
        longest = max((v.probs.shape[0] for v in self.videos), default=0)
        self.lo = min(int(starts.min()) if starts.size else 0, 0)
        self.span = max(int(stops.max()) if stops.size else 0, longest) - self.lo + 1
        base = keys * self.span - self.lo
        self.label_line = union_intervals(base + starts, base + stops)
        ls, le = self.label_line
        self.labelled = np.bincount(ls // self.span, weights=le - ls, minlength=self.n_keys)

    def _score(self, bouts) -> float:
        """Lab score of decoded bouts (disjoint per key, so they need no merging)."""
        keys = np.concatenate([b[0] for b in bouts]) if bouts else np.zeros(0, np.int64)
        starts = np.concatenate([b[1] for b in bouts]) if bouts else keys
        stops = np.concatenate([b[2] for b in bouts]) if bouts else keys
        base = keys * self.span - self.lo
        tp_each = overlap_per_interval(base + starts, base + stops, *self.label_line)
        tp = np.bincount(keys, weights=tp_each, minlength=self.n_keys)
        predicted = np.bincount(keys, weights=stops - starts, minlength=self.n_keys)
        present = self.labelled_actions.copy()
        present[self.key_action[keys]] = True
        if not present.any():
            return 1.0  # no bout and nothing decoded: nothing to find, nothing found
        tp_a, fp_a, fn_a = (
            np.bincount(self.key_action, weights=w, minlength=self.n_actions)
            for w in (tp, predicted - tp, self.labelled - tp)
        )
        return float(f_beta(tp_a, fp_a, fn_a, beta=self.beta)[present].mean())


def _listed_triples(rows: pd.DataFrame) -> dict[str, set[Triple]]:
    """Whitelist of each video, from its first solution row (as the metric does)."""
    first = rows.drop_duplicates("video_id")
    return {
        str(v): set(parse_behaviors_labeled(text))
        for v, text in zip(first["video_id"], first["behaviors_labeled"], strict=True)
    }


def _with(params: DecodeParams, **changes) -> DecodeParams:
    """Return a copy of ``params`` with one table entry replaced, e.g. ``smoothing=("sniff", 5)``."""
    data = params.to_dict()
    for name, value in changes.items():
        if name == "thresholds":
            lab, action, t = value
            data["thresholds"].setdefault(lab, {})[action] = t
        else:
            action, v = value
            data[name][action] = v
    return DecodeParams.from_dict(data)


def tune_decoding(
    videos: Sequence[VideoProbs],
    solution: pd.DataFrame,
    grid: TuneGrid | None = None,
    base: DecodeParams | None = None,
    beta: float = 1.0,
    rounds: int = 1,
    labelled: pd.DataFrame | None = None,
) -> DecodeParams:
    """Coordinate-ascent search of decoding parameters maximising the MABe score.

    Parameters
    ----------
    videos
        Model outputs; videos absent from ``solution`` are ignored.
    solution
        Labels in the metric's solution format (``SOLUTION_COLUMNS``), with a
        placeholder row per labelled video without a bout
        (:meth:`mabe.data.io.MabeDataset.solution` writes them).
    grid
        Candidate values (default :class:`TuneGrid`).
    base
        Starting point (default ``DecodeParams()``); never scored worse than.
    beta
        Metric beta.
    rounds
        Passes over (thresholds, windows, minimum lengths, gaps).
    labelled
        Labelled videos (``video_id``, ``lab_id``, ``behaviors_labeled``)
        that ``solution`` lacks, scored as videos without a bout.

    Returns
    -------
    DecodeParams
        With a threshold for every (lab, action) seen and the chosen
        smoothing / min_length / max_gap per action.

    Raises
    ------
    ValueError
        If a video's ``lab_id`` disagrees with the solution's or its arrays are malformed.
    """
    grid = grid or TuneGrid()
    params = base or DecodeParams()
    if labelled is not None:
        solution = add_boutless_videos(solution, labelled)
    labs = _build_labs(videos, solution, beta)
    scores = {name: lab.commit_all(params) for name, lab in labs.items()}
    all_actions = sorted({a for lab in labs.values() for a in lab.actions})

    def attempt(trial: DecodeParams, action: str, affected: dict[str, _Lab], window=None) -> bool:
        """Score ``trial`` on the affected labs; commit it if the total rises."""
        nonlocal params
        results = {n: lab.trial(trial, action, window) for n, lab in affected.items()}
        if sum(r[0] for r in results.values()) <= sum(scores[n] for n in affected) + 1e-12:
            return False
        for n, (score, state) in results.items():
            affected[n].accept(state)
            scores[n] = score
        params = trial
        return True

    for _ in range(rounds):
        for name, lab in track(list(labs.items()), "tuning thresholds"):
            for action in lab.actions:
                current = params.threshold_for(name, action)
                params = _with(params, thresholds=(name, action, current))  # written out
                for t in map(float, grid.thresholds):
                    if t != params.threshold_for(name, action):
                        attempt(_with(params, thresholds=(name, action, t)), action, {name: lab})
        for table, values, attr in (
            ("smoothing", grid.windows, "window_for"),
            ("min_length", grid.min_lengths, "min_length_for"),
            ("max_gap", grid.max_gaps, "max_gap_for"),
        ):
            for action in track(all_actions, f"tuning {table}"):
                affected = {n: lab for n, lab in labs.items() if action in lab.actions}
                for value in map(int, values):
                    if value != getattr(params, attr)(action):
                        trial = _with(params, **{table: (action, value)})
                        attempt(trial, action, affected, value if table == "smoothing" else None)
    return params


def _build_labs(
    videos: Sequence[VideoProbs], solution: pd.DataFrame, beta: float
) -> dict[str, _Lab]:
    """One :class:`_Lab` per lab of the videos found in ``solution``."""
    first = solution.drop_duplicates("video_id")
    lab_of = dict(zip(first["video_id"].astype(str), first["lab_id"].astype(str), strict=True))
    grouped: dict[str, list[VideoProbs]] = {}
    for v in videos:
        check_inputs(np.asarray(v.probs), v.pairs, v.actions)
        known = lab_of.get(str(v.video_id))
        if known is None:
            continue
        if known != str(v.lab_id):
            raise ValueError(f"video {v.video_id}: lab_id {v.lab_id!r}, solution says {known!r}")
        grouped.setdefault(known, []).append(v)
    return {lab: _Lab(lab, vs, solution, beta) for lab, vs in grouped.items()}
