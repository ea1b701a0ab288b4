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
    from mabe.workflows.scoring import score_submission

    scored = score_submission(data, submission, split, strict=strict)
    for warning in scored.warnings:
        typer.echo(f"warning: {warning}", err=True)
    report = scored.report
    per_lab = {str(lab): float(value) for lab, value in report.per_lab.items()}
    if as_json:
        payload = {k: v for k, v in scored.to_dict().items() if k != "warnings"}  # warnings went to stderr
        typer.echo(json.dumps(payload))
        return
    import pandas as pd

    from mabe.cli.tables import print_table

    print_table(report.table, title="per (lab, action)")
    print_table(pd.DataFrame({"lab_id": list(per_lab), "score": list(per_lab.values())}), title="per lab")
    typer.echo(f"score: {report.score:.6f}")
