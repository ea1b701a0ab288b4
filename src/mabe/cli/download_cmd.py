"""``mabe download``: fetch the Kaggle competition data, check it, summarise it."""

from __future__ import annotations

from pathlib import Path

import typer

SHOWN_PROBLEMS = 20


def download(
    out: Path = typer.Option(..., "--out", help="Dataset directory to fill (created if absent)."),
    files: list[str] = typer.Option(
        [], "--files", help="Only files matching this pattern, e.g. 'train.csv' or 'test_tracking/*' (repeatable)."
    ),
) -> None:
    """Download MABe-mouse-behavior-detection from Kaggle into OUT, then validate and summarise it.

    Needs KAGGLE_USERNAME + KAGGLE_KEY (or KAGGLE_API_TOKEN, or ~/.kaggle/kaggle.json) and the
    competition rules accepted on kaggle.com. Files already complete are not fetched again;
    existing files are never replaced.
    """
    from mabe.cli.info_cmd import info
    from mabe.platform.kaggle_download import download as fetch

    result = fetch(out, files)
    mb = result.bytes_fetched / 1e6
    typer.echo(
        f"{out}: fetched {len(result.fetched)} files ({mb:.1f} MB), "
        f"{len(result.complete)} already complete"
    )
    for name, local, remote in result.kept:
        typer.echo(
            f"{out / name}: kept your file ({local} bytes; Kaggle's has {remote}); delete it to fetch Kaggle's",
            err=True,
        )
    for problem in result.problems[:SHOWN_PROBLEMS]:
        typer.echo(str(problem), err=True)
    if len(result.problems) > SHOWN_PROBLEMS:
        typer.echo(f"... and {len(result.problems) - SHOWN_PROBLEMS} more (mabe validate {out} lists all)", err=True)
    if result.problems:
        typer.echo(f"{out}: {len(result.problems)} problem(s) found", err=True)
    else:
        typer.echo(f"{out}: no problems found")
        info(out)
    if result.problems or result.kept:
        raise typer.Exit(code=1)
