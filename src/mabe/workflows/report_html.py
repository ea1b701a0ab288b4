"""``mabe report``: one self-contained HTML page about a trained run.

What the run directory alone holds (learning curves from every
``metrics.csv`` under it, the summary, the decoding parameters) is always
shown. With a dataset, the run predicts the split through
:mod:`mabe.workflows.predict` (so single-model and ensemble runs alike) and
the page adds the per-(lab, action) scores, an ethogram per video,
probability traces of one video and the checks of
:func:`mabe.workflows.decoding_checks.degenerate_decoding`. Ethograms and
traces call mice by the individual names of the dataset's ``sources.csv``
(made by ``mabe import``) where it knows them.

Figures are embedded as base64 PNGs (one file to mail) and also written to
``OUT/figures/``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mabe.data.importers.sources import individual_names, read_sources
from mabe.data.io import MabeDataset
from mabe.data.quality import JUMP_BODY_LENGTHS_PER_S
from mabe.data.summary import quality_overview, tracking_quality
from mabe.data.types import VideoMeta
from mabe.decode import DecodeParams
from mabe.errors import InvalidSubmission, MabeError
from mabe.fileio import atomic_write_text, current_umask
from mabe.metrics import score_report
from mabe.plots import (
    decode_params_frame,
    ethogram,
    figure_png,
    learning_curves,
    probability_traces,
    score_bars,
    score_table,
)
from mabe.training.run import Run
from mabe.workflows.decoding_checks import degenerate_decoding
from mabe.workflows.predict import iter_video_probs, load_decode_params, predict_split_report
from mabe.workflows.report_page import Section, render_page
from mabe.workflows.report_stats import stats_section
from mabe.workflows.whitelist import decoding_whitelist, run_actions

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REPORT_FILE = "report.html"
"""The page inside the report directory."""


@dataclass
class Report:
    """What :func:`build_report` wrote and found.

    Attributes
    ----------
    path
        The HTML page.
    figures
        ``{name: png path}`` of every figure on the page.
    findings
        :func:`~mabe.workflows.decoding_checks.degenerate_decoding` rows (``None`` without data).
    scores
        Per-(lab, action) ``f, precision, recall, tp, fp, fn``, or ``None``.
    notes
        Sentences shown at the top of the page (what is missing and why).
    """

    path: Path
    figures: dict[str, Path] = field(default_factory=dict)
    findings: pd.DataFrame | None = None
    scores: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def find_metrics(run_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Read every ``metrics.csv`` of a run, labelled by its folder relative to the run.

    A single-model run gives ``{"run": RUN/metrics.csv}``; an ensemble one
    table per fold model (``"members/net/fold0"``). Unreadable files are skipped.
    """
    run = Path(run_dir)
    out: dict[str, pd.DataFrame] = {}
    for path in sorted(run.rglob(Run(run).metrics_path.name)):
        rel = path.parent.relative_to(run)
        try:
            table = pd.read_csv(path)
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            continue
        if "epoch" in table.columns and len(table):
            out["run" if str(rel) == "." else rel.as_posix()] = table
    return out


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _duration(seconds: object) -> str:
    try:
        s = float(seconds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(seconds)
    h, rem = divmod(round(s), 3600)
    m, sec = divmod(rem, 60)
    return f"{h}h {m:02d}m {sec:02d}s" if h else f"{m}m {sec:02d}s" if m else f"{s:.1f}s"


def _member_text(member: object) -> str:
    if not isinstance(member, dict):
        return str(member)
    folds = member.get("folds")
    n = len(folds) if isinstance(folds, (list, tuple)) else folds
    return f"{member.get('name')} ({member.get('kind')}, {n} folds)"


def run_summary(run_dir: str | Path) -> pd.DataFrame:
    """Return the key facts of a run as ``item, value`` rows (model, epochs, time, ensemble members).

    Reads ``summary.json`` and, for an ensemble, ``ensemble.json`` and
    ``cv.json``, leniently: a missing or partial file leaves its rows out.
    """
    run = Run(run_dir)
    summary = _read_json(run.summary_path)
    ensemble = _read_json(run.ensemble_path)
    rows: list[tuple[str, str]] = [("run", str(run.path))]
    if ensemble:
        members = ensemble.get("members") or []
        text = ", ".join(_member_text(m) for m in members)
        rows.append(("ensemble members", text or "?"))
    for key, label in (
        ("status", "status"), ("model_type", "model"), ("label_scheme", "label scheme"),
        ("feature_set", "features"), ("parameters", "parameters"),
    ):
        if key in summary:
            rows.append((label, str(summary[key])))
    if "epochs_completed" in summary:
        epochs = f"{summary['epochs_completed']} of {summary.get('epochs_configured', '?')}"
        if summary.get("stopped_early"):
            epochs += " (stopped early)"
        rows.append(("epochs", epochs))
    if "best_epoch" in summary:
        best = summary.get("best_metrics") or {}
        f1 = best.get("val_macro_f1")
        rows.append(("best epoch", f"{summary['best_epoch']}" + (f" (validation macro F1 {f1:.4f})" if isinstance(f1, float) else "")))
    for key, label in (("wall_time_sec", "wall time"), ("train_time_sec", "training time")):
        if key in summary:
            rows.append((label, _duration(summary[key])))
    if "device" in summary:
        rows.append(("device", str(summary["device"])))
    data = summary.get("data") or {}
    if "videos_train" in data:
        rows.append(("videos", f"{data['videos_train']} training, {data.get('videos_val', '?')} validation"))
    actions = summary.get("actions") or ensemble.get("actions")
    if actions:
        rows.append(("actions", ", ".join(map(str, actions))))
    cv = _read_json(run.cv_path)
    for key, value in cv.items():
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            rows.append((f"cv {key}", f"{value:.4f}" if isinstance(value, float) else str(value)))
    return pd.DataFrame(rows, columns=["item", "value"])


def _check_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise MabeError(f"{out}: exists and is not a directory; choose another --out")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise MabeError(f"{out}: already exists; choose another --out or pass --overwrite")
        if not (out / REPORT_FILE).is_file():
            raise MabeError(f"{out}: not a report directory (no {REPORT_FILE}); refusing to replace it")


def _publish(staging: Path, out: Path) -> None:
    """Move a finished report from ``staging`` into ``out`` (its page and figures only)."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / "figures", ignore_errors=True)
    os.replace(staging / "figures", out / "figures")
    os.chmod(staging / REPORT_FILE, 0o666 & ~current_umask())  # what the umask gives a new file, as the README promises
    os.replace(staging / REPORT_FILE, out / REPORT_FILE)
    shutil.rmtree(staging, ignore_errors=True)


class _Figures:
    """Render, save and remember figures; closes nothing (no pyplot state)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths: dict[str, Path] = {}
        self.encoded: dict[str, str] = {}

    def add(self, name: str, fig: Figure) -> str:
        data = figure_png(fig)
        path = self.folder / f"{name}.png"
        path.write_bytes(data)
        self.paths[name] = path
        self.encoded[name] = base64.b64encode(data).decode("ascii")
        return name


def build_report(
    run_dir: str | Path,
    out: str | Path | None = None,
    data_dir: str | Path | None = None,
    split: str = "test",
    video: int | None = None,
    which: str = "best",
    overwrite: bool = False,
    max_ethograms: int = 12,
) -> Report:
    """Write ``OUT/report.html`` (and ``OUT/figures/*.png``) about a run.

    Parameters
    ----------
    run_dir
        A single-model or ensemble run directory.
    out
        Report directory (default ``RUN/report``); refused if it exists and is
        not empty, unless ``overwrite`` (and then only if it holds a report).
    data_dir, split
        Dataset and split to predict; ``None``: only what the run holds.
    video
        Video of the probability traces (default: the one with the most
        labelled, else predicted, bouts).
    which
        Checkpoint of a single-model run.
    overwrite
        Replace an existing report.
    max_ethograms
        Draw ethograms of at most this many videos (the traced one first)
        when the split is labelled; of every video when it is not.

    Raises
    ------
    MabeError
        Missing run, existing report, unknown split or video.
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise MabeError(f"{run}: run directory not found")
    out = Path(out) if out is not None else run / "report"
    params = load_decode_params(run)
    dataset, metas = None, {}
    if data_dir is not None:
        dataset = MabeDataset(data_dir)
        if split not in dataset.splits():
            raise MabeError(f"{data_dir}: no {split}.csv, so there is no '{split}' split to report on")
        metas = {m.video_id: m for m in dataset.metas(split)}
        if video is not None and video not in metas:
            raise MabeError(f"{data_dir}: video {video} is not in the '{split}' split")
    _check_out(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        report = _write(staging, run, dataset, metas, split, video, which, params, max_ethograms)
        _publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.path = out / REPORT_FILE
    report.figures = {name: out / "figures" / path.name for name, path in report.figures.items()}
    return report


def _write(
    staging: Path,
    run: Path,
    dataset: MabeDataset | None,
    metas: dict[int, VideoMeta],
    split: str,
    video: int | None,
    which: str,
    params: DecodeParams,
    max_ethograms: int,
) -> Report:
    (staging / "figures").mkdir()
    figs = _Figures(staging / "figures")
    report = Report(path=staging / REPORT_FILE)
    sections: list[Section] = [Section("Run", tables=[run_summary(run)])]

    curves = find_metrics(run)
    if curves:
        sections.append(Section("Learning curves", figures=[figs.add("learning_curves", learning_curves(curves))]))
    else:
        report.notes.append("No metrics.csv in the run: no learning curves.")

    actions = run_actions(run)
    labs = sorted(set(params.thresholds) | {m.lab_id for m in metas.values()}) or None
    decode_table = decode_params_frame(params, actions, labs)
    decode_path = Run(run).decode_path
    sections.append(Section(
        "Decoding parameters",
        text=f"From {decode_path}" if decode_path.is_file() else f"{decode_path.name} missing: defaults in use.",
        tables=[decode_table],
    ))
    if dataset is not None:
        sections += _prediction_sections(report, figs, run, dataset, metas, split, video, which, params, actions, max_ethograms)
        quality = tracking_quality(dataset, list(metas.values()), progress=False)
        sections.append(Section("Tracking quality", tables=[quality_overview(quality)], text=(
            f"Per mouse: frames with at least one keypoint, body length (median keypoint extent), jumps faster than "
            f"{JUMP_BODY_LENGTHS_PER_S:g} body lengths per second (likely identity swaps or lost tracks) and the body "
            "parts missing most often. Misclassifications often start here.")))
    else:
        report.notes.append("No --data given: no scores, ethograms, probability traces or decoding checks.")
    report.figures = figs.paths
    html = render_page(f"mabe report: {run.name}", sections, figs.encoded, report.notes, report.findings)
    atomic_write_text(report.path, html)
    return report


def _choose_video(videos: pd.DataFrame, solution: pd.DataFrame | None, table: pd.DataFrame) -> Any:
    counts = pd.Series(0, index=videos["video_id"].tolist())
    if solution is not None and len(solution):
        counts = counts.add(solution["video_id"].value_counts(), fill_value=0)
    if not counts.any():
        counts = counts.add(table["video_id"].value_counts(), fill_value=0)
    return counts.idxmax() if len(counts) else None


def _prediction_sections(
    report: Report,
    figs: _Figures,
    run: Path,
    dataset: MabeDataset,
    metas: dict[int, VideoMeta],
    split: str,
    video: int | None,
    which: str,
    params: DecodeParams,
    actions: list[str] | None,
    max_ethograms: int,
) -> list[Section]:
    individuals = individual_names(read_sources(dataset.root))
    result = predict_split_report(run, dataset.root, split, which)
    table, videos = result.table, result.videos
    solution = None
    labelled = set(videos.loc[videos["labelled"], "video_id"])
    if labelled and dataset.has_labels(split):
        # only videos with a whitelist have labels worth comparing to
        solution = dataset.solution(split, progress=False)
        solution = solution[solution["video_id"].isin(labelled)].reset_index(drop=True)
    sections: list[Section] = []

    # scores
    if solution is None:
        report.notes.append(f"The '{split}' split has no labels (or no behaviors_labeled): no scores; ethograms show predictions only.")
    else:
        try:
            scored = score_report(solution, table)
            report.scores = score_table(scored.table)
            text = f"MABe score {scored.score:.4f} on the {len(labelled)} labelled {split} videos (mean over labs of the mean F over actions)."
            sections.append(Section("Scores per lab and action", text=text,
                                    tables=[report.scores.round(4)],
                                    figures=[figs.add("scores", score_bars(report.scores))]))
        except InvalidSubmission as exc:
            report.notes.append(f"Not scored: {exc}")

    # decoding checks
    n_frames = dict(zip(videos["video_id"], videos["n_frames"], strict=True))
    possible = set(actions or table["action"].unique())
    if videos["labelled"].all():
        possible &= {a for m in metas.values() for (_, _, a) in m.behaviors_labeled}
    report.findings = degenerate_decoding(table, n_frames, sorted(possible))
    empty = result.empty_videos
    if empty:
        report.notes.append(f"{len(empty)} of {len(videos)} videos yielded no interval: {', '.join(map(str, empty[:20]))}.")

    # ethograms
    chosen = video if video is not None else _choose_video(videos, solution, table)
    order = [chosen] + [v for v in videos["video_id"] if v != chosen]
    shown = [v for v in order if v is not None][: max_ethograms if solution is not None else None]
    names = []
    for vid in shown:
        meta = metas[vid]
        true = solution[solution["video_id"] == vid] if solution is not None and vid in labelled else None
        fig = ethogram(table[table["video_id"] == vid], meta.fps, int(n_frames[vid]), true,
                       title=f"video {vid} ({meta.lab_id}): {'true vs ' if true is not None else ''}predicted bouts",
                       annotated={(a, t) for a, t, _ in meta.behaviors_labeled}, names=individuals.get(vid, ()))
        names.append(figs.add(f"ethogram_{vid}", fig))
    more = f" Showing {len(shown)} of {len(videos)} videos." if len(shown) < len(videos) else ""
    sections.append(Section("Ethograms", text="Bouts per (agent → target) pair over time." + more, figures=names))
    sections.append(stats_section(figs.add, run, dataset, split, table)[0])

    # probability traces of the chosen video
    if chosen is not None:
        meta = metas[chosen]
        vp = next(iter(iter_video_probs(run, dataset, [meta], which, "probabilities for the report")))
        whitelist = decoding_whitelist(vp.whitelist, vp.pairs, vp.actions)
        fig = probability_traces(vp.probs, vp.pairs, vp.actions, params, vp.lab_id, meta.fps, whitelist,
                                 title=f"video {chosen} ({meta.lab_id}): smoothed probabilities and thresholds",
                                 names=individuals.get(chosen, ()))
        sections.append(Section("Probability traces", figures=[figs.add(f"traces_{chosen}", fig)],
                                text="Each action smoothed as decoding smooths it; dashed: its threshold in this lab."))
    return sections
