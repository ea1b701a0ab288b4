"""``mabe suggest``: the clips of unlabelled videos most worth labelling next."""

from __future__ import annotations

from pathlib import Path

import typer


def suggest(
    run: Path = typer.Option(..., "--run", help="Run directory written by mabe train."),
    data: Path = typer.Option(..., "--data", help="Dataset whose videos are ranked."),
    split: str = typer.Option(None, "--split", help="train or test (default: every split)."),
    clips: int = typer.Option(20, "--clips", help="How many clips to suggest."),
    seconds: float = typer.Option(5.0, "--seconds", help="Clip length in seconds."),
    out: Path = typer.Option(..., "--out", help="New or empty directory for clips.csv and the templates."),
) -> None:
    """Rank windows by model disagreement, closeness to the tuned threshold and rare predicted actions.

    Writes clips.csv, intervals.csv (rows to fill in), a BORIS events table per
    recording and suggest.json; label the clips, then add them with
    mabe import --clips OUT/clips.csv --annotations FILE --annotation-format F --out DATA.
    """
    from mabe.workflows.suggest import suggest_clips

    result = suggest_clips(run, data, out, clips, seconds, split)
    typer.echo(f"scored {result.n_windows} windows of {result.n_videos} videos")
    for rec in result.clips.to_dict("records"):
        typer.echo(
            f"clip {rec['clip']}: {rec['recording']} {rec['agent']} -> {rec['target']} "
            f"{rec['start_s']:.2f}-{rec['stop_s']:.2f} s, score {rec['score']:.3f} ({rec['why']}: {rec['why_action']})"
        )
    for path in result.files:
        typer.echo(f"wrote {path}")
