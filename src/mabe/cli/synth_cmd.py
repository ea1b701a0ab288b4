"""``mabe synth``: write a synthetic dataset in the Kaggle layout."""

from __future__ import annotations

from pathlib import Path

import typer

from mabe.errors import MabeError


def _parse_labs(labs: str | None) -> list[str] | None:
    if labs is None:
        return None
    names = [name.strip() for name in labs.split(",") if name.strip()]
    if not names:
        raise MabeError("--labs: give at least one lab name, e.g. --labs CalMS21_task1,CRIM13")
    return names


def synth(
    out: Path = typer.Option(..., "--out", help="New directory to write the dataset into."),
    videos: int = typer.Option(40, "--videos", min=1, help="Number of videos (train + test)."),
    seed: int = typer.Option(0, "--seed", help="Random seed; same seed, same files."),
    labs: str | None = typer.Option(
        None, "--labs", help="Comma-separated lab ids from the catalog (default: all 19)."
    ),
    minutes: float | None = typer.Option(
        None, "--minutes", min=0.05, help="Length of every video (default: the lab's real lengths)."
    ),
    test_fraction: float = typer.Option(
        0.25, "--test-fraction", min=0.0, max=0.9, help="Share of videos in the test split."
    ),
) -> None:
    """Write a synthetic dataset in the Kaggle MABe layout, with held-back test labels."""
    from mabe.data.synth import synthesize

    summary = synthesize(
        out,
        n_videos=videos,
        seed=seed,
        labs=_parse_labs(labs),
        minutes=minutes,
        test_fraction=test_fraction,
    )
    typer.echo(str(summary))
