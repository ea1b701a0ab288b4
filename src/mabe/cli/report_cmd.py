"""``mabe report``: a self-contained HTML page about a trained run."""

from __future__ import annotations

from pathlib import Path

import typer


def report(
    run: Path = typer.Argument(..., help="Run directory (single model or ensemble)."),
    data: Path = typer.Option(None, "--data", help="Dataset to predict for scores, ethograms and traces."),
    split: str = typer.Option("test", "--split", help="Split of --data: train or test."),
    out: Path = typer.Option(None, "--out", help="Report directory (default RUN/report)."),
    video: int = typer.Option(None, "--video", help="Video id for the probability traces."),
    which: str = typer.Option("best", "--checkpoint", help="best, last, or a checkpoint file name."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing report."),
) -> None:
    """Write one self-contained OUT/report.html: curves, scores, ethograms, traces, decoding checks."""
    from mabe.workflows.report_html import build_report

    result = build_report(run, out, data, split, video, which, overwrite)
    typer.echo(f"wrote {result.path} ({len(result.figures)} figures)")
    if result.findings is not None and len(result.findings):
        typer.echo(f"warning: decoding looks degenerate ({len(result.findings)} findings):", err=True)
        for detail in result.findings["detail"].head(10):
            typer.echo(f"  {detail}", err=True)
