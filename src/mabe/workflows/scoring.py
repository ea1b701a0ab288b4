"""Scoring a submission file against a dataset split's labels: the one policy of ``mabe score`` and the Modal scorer.

Both read the split's solution and the submission here and get the same
answer to the same questions: is the split scorable, is an empty submission an
error or a warning, are ignored rows (unknown video, not ``mouseN``, not
whitelisted, zero length) an error or a warning, and which file is at fault
when scoring fails. ``strict`` turns every warning into an error, as Kaggle's
own scorer would have refused or silently dropped those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mabe.data.io import MabeDataset
from mabe.data.schema import SPLITS
from mabe.data.submission import read_submission
from mabe.errors import InvalidSolution, InvalidSubmission, MabeError
from mabe.metrics import ScoreReport, score_report
from mabe.metrics.mabe_score import IGNORED_REASONS

__all__ = ["EmptySubmission", "IgnoredRows", "Scored", "score_submission"]


class EmptySubmission(InvalidSubmission):
    """A strict scoring refused an empty submission (Kaggle's scorer rejects one)."""


class IgnoredRows(InvalidSubmission):
    """A strict scoring refused a submission with rows that add no frame to the score."""


@dataclass
class Scored:
    """What :func:`score_submission` found.

    Attributes
    ----------
    report
        The score and its breakdown (per lab, per (lab, action), ignored rows).
    warnings
        One line each, naming the submission file: what a strict scoring
        would have refused (``[]`` for a clean submission).
    """

    report: ScoreReport
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the score, per-lab scores, (lab, action) table, row counts and warnings as plain values."""
        report = self.report
        return {
            "score": float(report.score),
            "per_lab": {str(lab): float(value) for lab, value in report.per_lab.items()},
            "table": report.table.to_dict(orient="records"),
            "rows": int(report.n_rows),
            "ignored": {k: int(v) for k, v in report.ignored.items()},
            "warnings": list(self.warnings),
        }


def score_submission(
    data: str | Path,
    submission: str | Path | pd.DataFrame,
    split: str = "test",
    strict: bool = False,
    progress: bool = True,
) -> Scored:
    """Score the submission file against the labels of a dataset split.

    Parameters
    ----------
    data
        Dataset directory with ``{split}_annotation/``.
    submission
        The submission CSV, or its table (messages then say "the submission").
    split
        ``"train"`` or ``"test"``.
    strict
        Refuse an empty submission and any ignored row instead of warning.
    progress
        Show a progress bar while the solution is read.

    Returns
    -------
    Scored

    Raises
    ------
    MabeError
        If ``split`` is not a split or has no labels.
    DataError
        If the submission file is missing or unreadable.
    InvalidSolution
        If the split's labels cannot be scored against (names ``data``).
    InvalidSubmission
        If the submission cannot be scored (names the file);
        :class:`EmptySubmission` / :class:`IgnoredRows` when ``strict``
        refuses it.
    """
    data = Path(data)
    if split not in SPLITS:
        raise MabeError(f"--split must be train or test, not {split!r}")
    dataset = MabeDataset(data)
    if not dataset.has_labels(split):
        raise MabeError(f"{data}: no {split}_annotation/ directory, so the {split} split cannot be scored")
    if isinstance(submission, pd.DataFrame):
        sub, submission = submission, "the submission"
    else:
        submission = Path(submission)
        sub = read_submission(submission)  # before the (slower) solution: a bad file fails fast
    warnings = []
    if sub.empty:
        message = f"{submission}: the submission is empty; Kaggle's own scorer rejects an empty submission"
        if strict:
            raise EmptySubmission(f"{message} (--strict)")
        warnings.append(f"{message}; here it scores 0 on every lab with a bout")
    solution = dataset.solution(split, progress=progress)
    try:
        report = score_report(solution, sub, allow_empty=True)
    except InvalidSolution as exc:
        raise InvalidSolution(f"{data}: {exc}") from None
    except InvalidSubmission as exc:
        raise InvalidSubmission(f"{submission}: {exc}") from None
    n_ignored = sum(report.ignored.values())
    if n_ignored:
        reasons = ", ".join(f"{n} {IGNORED_REASONS[k]}" for k, n in report.ignored.items() if n)
        message = f"{submission}: {n_ignored} of {report.n_rows} rows ignored ({reasons})"
        if strict:
            raise IgnoredRows(f"{message} (--strict)")
        warnings.append(message)
    return Scored(report, warnings)
