"""``mabe score``: the MABe 2025 F-score of a submission against a split's labels."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def score(
    data: Path = typer.Option(..., "--data", help="Dataset directory with {split}_annotation/."),
    submission: Path = typer.Option(..., "--submission", help="submission.csv to score."),
    split: str = typer.Option("test", "--split", help="Which labels to score against: train or test."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    strict: bool = typer.Option(
        False, "--strict", help="Exit 2 if any row would be ignored or the submission is empty."
    ),
) -> None:
    """Score a submission as the competition does (lab-averaged interval F1).

    Every labelled video of the split counts, including videos without a bout
    (what is predicted there is a false positive). Rows that add no frame to
    the score (unknown video, agent/target not mouseN, triple not whitelisted,
    zero length) are counted on stderr; --strict makes them an error.
    """
    from mabe.data.io import MabeDataset
    from mabe.data.submission import read_submission
    from mabe.errors import InvalidSubmission, MabeError
    from mabe.metrics import score_report
    from mabe.metrics.mabe_score import IGNORED_REASONS

    if split not in ("train", "test"):
        raise MabeError(f"--split must be train or test, not {split!r}")
    dataset = MabeDataset(data)
    if not dataset.has_labels(split):
        raise MabeError(f"{data}: no {split}_annotation/ directory, so the {split} split cannot be scored")
    sub = read_submission(submission)  # before the (slower) solution: a bad file fails fast
    if sub.empty:
        message = f"{submission}: the submission is empty; Kaggle's own scorer rejects an empty submission"
        if strict:
            raise InvalidSubmission(f"{message} (--strict)")
        typer.echo(f"warning: {message}; here it scores 0 on every lab with a bout", err=True)
    solution = dataset.solution(split)
    try:
        report = score_report(solution, sub, allow_empty=True)
    except InvalidSubmission as exc:
        # name the file, as every other input error does (solution problems name the dataset)
        where = data if str(exc).startswith(("solution", "the solution")) else submission
        raise InvalidSubmission(f"{where}: {exc}") from None
    n_ignored = sum(report.ignored.values())
    if n_ignored:
        reasons = ", ".join(f"{n} {IGNORED_REASONS[k]}" for k, n in report.ignored.items() if n)
        message = f"{submission}: {n_ignored} of {report.n_rows} rows ignored ({reasons})"
        if strict:
            raise InvalidSubmission(f"{message} (--strict)")
        typer.echo(f"warning: {message}", err=True)
    per_lab = {str(lab): float(value) for lab, value in report.per_lab.items()}
    if as_json:
        payload = {
            "score": report.score,
            "per_lab": per_lab,
            "table": report.table.to_dict(orient="records"),
            "rows": report.n_rows,
            "ignored": report.ignored,
        }
        typer.echo(json.dumps(payload))
        return
    import pandas as pd

    from mabe.cli.tables import print_table

    print_table(report.table, title="per (lab, action)")
    print_table(pd.DataFrame({"lab_id": list(per_lab), "score": list(per_lab.values())}), title="per lab")
    typer.echo(f"score: {report.score:.6f}")
