"""``mabe bundle``: a trained run + wheels + script, ready for an offline Kaggle notebook."""

from __future__ import annotations

from pathlib import Path

import typer


def bundle(
    run: Path = typer.Option(..., "--run", help="Finished run directory (single model or ensemble)."),
    out: Path = typer.Option(..., "--out", help="New bundle directory."),
    wheels: Path | None = typer.Option(None, "--wheels", help="Reuse wheels from this directory (e.g. an older bundle's wheels/)."),
    python_version: str | None = typer.Option(None, "--python-version", help="Kaggle's Python, e.g. 3.11, if not this one's."),
    platform: str | None = typer.Option(None, "--platform", help="Wheel platform tag, e.g. manylinux_2_28_x86_64."),
    measure: bool = typer.Option(True, "--measure/--no-measure", help="Time prediction on synthetic videos."),
) -> None:
    """Write OUT with the run, wheels of mabe and its prediction dependencies, predict_kaggle.py and a notebook."""
    from mabe.platform.bundle import build_bundle

    info = build_bundle(run, out, wheels, python_version, platform, measure)
    typer.echo(
        f"wrote {out}: {info.size_bytes / 1e6:.1f} MB, {len(info.wheels)} wheels for Python {info.python}, "
        f"{len(info.copied)} run files, in {info.build_seconds:.0f} s"
    )
    if info.throughput is not None:
        typer.echo(f"prediction: {info.throughput.text()}")
    typer.echo(f"next: upload {out} as a Kaggle dataset and run {out / 'mabe_predict.ipynb'} (see {out / 'README.md'})")
