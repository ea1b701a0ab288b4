"""``mabe validate``: check a dataset and list every problem found."""

from __future__ import annotations

from pathlib import Path

import typer


def validate(
    data: Path = typer.Argument(..., help="Dataset directory in the Kaggle layout."),
) -> None:
    """Check every file of a dataset; list all problems; exit 1 if there are any."""
    from mabe.data.validate import validate_dataset

    problems = validate_dataset(data)
    if not problems:
        typer.echo(f"{data}: no problems found")
        return
    for problem in problems:
        typer.echo(str(problem), err=True)
    typer.echo(f"{data}: {len(problems)} problem(s) found", err=True)
    raise typer.Exit(code=1)
