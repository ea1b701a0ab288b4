"""``mabe stats``: per-animal behaviour statistics from predictions or labels, and their agreement.

One table, one row per unit (video, or source recording with ``per="recording"``)
× agent × target × action: bout count, total duration and fraction of the
time, latency to the first bout, mean / median / max bout duration, mean gap
between bouts (:mod:`mabe.metrics.bouts` defines them), with the agent's and
target's metadata and individual names. ``by`` adds a grouped summary and one
figure per action; ``agreement`` compares predicted and labelled numbers
(:mod:`mabe.metrics.agreement`). Which triples count on which video:
:mod:`mabe.workflows.stats_inputs`.

Files in ``out`` (never replacing one that exists):

- ``stats.csv`` / ``stats.parquet`` (with ``agreement``: ``predicted_stats.*`` and ``labelled_stats.*``);
- ``stats_by.csv`` / ``.parquet`` and ``plots/by_<action>.png`` with ``by``;
- ``agreement.csv`` (paired values), ``agreement_summary.csv`` and
  ``plots/agreement_<action>.png`` with ``agreement``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mabe.data.io import MabeDataset
from mabe.data.submission import read_submission
from mabe.errors import MabeError
from mabe.fileio import atomic_write_bytes, atomic_write_text
from mabe.metrics.agreement import agreement_summary, paired_stats
from mabe.metrics.bouts import grouped_summary, recording_stats, video_stats
from mabe.progress import status
from mabe.workflows.stats_inputs import add_metadata, oof_submission, video_units
from mabe.workflows.whitelist import run_actions

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PER_CHOICES: tuple[str, ...] = ("video", "recording")


@dataclass
class StatsResult:
    """What :func:`run_stats` computed and wrote.

    Attributes
    ----------
    tables
        ``{"stats"}`` or ``{"predicted", "labelled"}``, plus ``"by"``,
        ``"paired"`` and ``"agreement"`` when asked for.
    written
        Every file written.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


def compute_stats(
    dataset: MabeDataset,
    split: str,
    intervals: pd.DataFrame,
    predicted: bool,
    per: str = "video",
    vocabulary: Sequence[str] | None = None,
    extra: Sequence[str] = (),
) -> pd.DataFrame:
    """Return the statistics table of ``intervals`` on ``split``, with metadata (see the module docstring).

    ``per`` is ``"video"`` or ``"recording"``; ``extra`` names csv columns to
    add (for grouping).
    """
    units = video_units(dataset, split, intervals, predicted, vocabulary)
    table = (recording_stats if per == "recording" else video_stats)(intervals, units)
    table = add_metadata(table, dataset, split, units, extra)
    table = table.rename(columns={"unit": "recording" if per == "recording" else "video_id"})
    return table.reset_index(drop=True)


def labelled_intervals(dataset: MabeDataset, split: str) -> pd.DataFrame:
    """Return the split's labelled bouts (its solution without placeholder rows); an error if nothing is labelled."""
    if not dataset.has_labels(split):
        raise MabeError(f"{dataset.root}: the '{split}' split has no labels ({split}_annotation/ is missing)")
    if not any(m.behaviors_labeled for m in dataset.metas(split)):
        raise MabeError(f"{dataset.root}: no video of the '{split}' split lists behaviors_labeled; nothing is labelled")
    return dataset.solution(split, progress=False, include_boutless=False)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)) or "_"


class _Outputs:
    """Files to write into ``out``, checked all at once before anything is written."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.files: dict[Path, bytes | str] = {}

    def table(self, name: str, table: pd.DataFrame) -> None:
        self.files[self.out / f"{name}.csv"] = table.to_csv(index=False, lineterminator="\n")
        buffer = io.BytesIO()
        table.to_parquet(buffer, index=False)
        self.files[self.out / f"{name}.parquet"] = buffer.getvalue()

    def figure(self, name: str, fig: Figure) -> None:
        from mabe.plots.common import figure_png  # heavy: matplotlib

        self.files[self.out / "plots" / f"{_slug(name)}.png"] = figure_png(fig)

    def write(self) -> list[Path]:
        if self.out.exists() and not self.out.is_dir():
            raise MabeError(f"{self.out}: exists and is not a directory; choose another --out")
        clashes = [p for p in self.files if p.exists()]
        if clashes:
            raise MabeError(f"{clashes[0]}: already exists; refusing to replace it (choose another --out)")
        for path, content in self.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                atomic_write_text(path, content)
            else:
                atomic_write_bytes(path, content)
        return list(self.files)


def _check(per: str, by: Sequence[str], sources: int, agreement: bool, labels: bool) -> None:
    if per not in PER_CHOICES:
        raise MabeError(f"--per must be one of {', '.join(PER_CHOICES)}, got {per!r}")
    if agreement and not (sources == 1 and labels):
        raise MabeError("--agreement compares predictions with labels: give --labels and one of --submission / --oof")
    if not agreement and sources + labels != 1:
        raise MabeError("give exactly one of --submission, --oof or --labels (both predictions and --labels need --agreement)")


def run_stats(
    data: str | Path,
    out: str | Path,
    split: str = "test",
    submission: str | Path | None = None,
    labels: bool = False,
    oof: str | Path | None = None,
    by: Sequence[str] = (),
    per: str = "video",
    agreement: bool = False,
    run: str | Path | None = None,
) -> StatsResult:
    """Compute and write behaviour statistics (and their agreement with labels).

    Parameters
    ----------
    data, split
        The dataset and split the intervals are about.
    out
        Directory for the files (created; existing files are never replaced).
    submission, oof, labels
        The intervals: a submission csv, the decoded out-of-fold predictions of
        a cross-fitted run (its training videos; :func:`~mabe.workflows.stats_inputs.oof_submission`),
        or the split's own labels.
    by
        Columns to group by: any column of the table (``agent_condition``,
        ``agent``, ``target``, ...) or of the split's csv (``mouse1_condition``).
    per
        ``"video"`` or ``"recording"`` (videos cut from one recording by
        ``mabe import --split-minutes`` put back together).
    agreement
        Compare the predictions with the labels (needs both).
    run
        The run that made the submission; its actions are the vocabulary of unlabelled videos.

    Raises
    ------
    MabeError
        Bad options, a missing split or labels, a video not in the split, an existing file.
    """
    _check(per, by, int(submission is not None) + int(oof is not None), agreement, labels)
    dataset = MabeDataset(data)
    if split not in dataset.splits():
        raise MabeError(f"{data}: no {split}.csv, so there is no '{split}' split")
    vocabulary = run_actions(run) if run is not None else (run_actions(oof) if oof is not None else None)
    result = StatsResult()
    files = _Outputs(Path(out))
    tables: dict[str, pd.DataFrame] = {}
    if submission is not None or oof is not None:
        if oof is not None:
            status(f"decoding the out-of-fold predictions of {oof}")
        predictions = read_submission(submission) if submission is not None else oof_submission(oof)  # type: ignore[arg-type]
        tables["predicted"] = compute_stats(dataset, split, predictions, True, per, vocabulary, by)
    if labels:
        tables["labelled"] = compute_stats(dataset, split, labelled_intervals(dataset, split), False, per, None, by)
    if not agreement:
        tables = {"stats": next(iter(tables.values()))}
    for name, table in tables.items():
        files.table(name if name == "stats" else f"{name}_stats", table)
    result.tables.update(tables)
    if by:
        main = tables.get("stats", tables.get("predicted"))
        assert main is not None
        _add_grouped(files, result, main, list(by))
    if agreement:
        paired = paired_stats(tables["predicted"].rename(columns=_unit_back(per)),
                              tables["labelled"].rename(columns=_unit_back(per)))
        summary = agreement_summary(paired) if len(paired) else pd.DataFrame()
        if paired.empty:
            raise MabeError(f"{data}: no (video, pair, action) is counted in both the predictions and the labels")
        paired = paired.rename(columns={"unit": "recording" if per == "recording" else "video_id"})
        result.tables.update(paired=paired, agreement=summary)
        files.files[files.out / "agreement.csv"] = paired.to_csv(index=False, lineterminator="\n")
        files.files[files.out / "agreement_summary.csv"] = summary.to_csv(index=False, lineterminator="\n")
        from mabe.plots.stats import agreement_scatter  # heavy: matplotlib

        for action in sorted(paired["action"].unique()):
            files.figure(f"agreement_{action}", agreement_scatter(paired, action, summary))
    result.written = files.write()
    return result


def _unit_back(per: str) -> dict[str, str]:
    return {"recording" if per == "recording" else "video_id": "unit"}


def _add_grouped(files: _Outputs, result: StatsResult, table: pd.DataFrame, by: list[str]) -> None:
    missing = [c for c in by if c not in table.columns]
    if missing:
        raise MabeError(f"--by {missing[0]}: no such column in the statistics or the csv")
    grouped = grouped_summary(table.rename(columns={"video_id": "unit", "recording": "unit"}), by)
    result.tables["by"] = grouped
    files.table("stats_by", grouped)
    from mabe.plots.stats import group_points  # heavy: matplotlib

    for action in sorted(table["action"].unique()):
        files.figure(f"by_{action}", group_points(table, by, action))
