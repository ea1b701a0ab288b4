"""``mabe predict``: write a submission for a dataset split."""

from __future__ import annotations

from pathlib import Path

import typer


def predict(
    run: Path = typer.Option(..., "--run", help="Run directory written by mabe train."),
    data: Path = typer.Option(..., "--data", help="Dataset directory."),
    split: str = typer.Option("test", "--split", help="Which videos to predict: train or test."),
    out: Path = typer.Option(Path("submission.csv"), "--out", help="Submission CSV to write."),
    which: str = typer.Option("best", "--checkpoint", help="best, last, or a checkpoint file name."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace --out if it exists."),
    workers: int = typer.Option(1, "--workers", min=1, help="Predict videos in N processes."),
) -> None:
    """Predict intervals for every video of a split and write a validated submission.csv."""
    from mabe.data.submission import write_submission
    from mabe.errors import MabeError
    from mabe.workflows.predict import predict_split

    if out.is_dir():
        raise MabeError(f"{out}: is a directory; give --out a file name such as submission.csv")
    if out.exists() and not overwrite:
        raise MabeError(f"{out}: already exists; choose another --out or pass --overwrite")
    submission = predict_split(run, data, split, which=which, workers=workers)
    write_submission(submission, out, overwrite=overwrite)
    n_videos = submission["video_id"].nunique()
    typer.echo(f"wrote {out}: {len(submission)} intervals for {n_videos} videos")
