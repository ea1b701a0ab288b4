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
    actions: str = typer.Option(
        None, "--actions", help="Comma-separated actions to predict (default: all the model knows)."
    ),
    allow_empty: bool = typer.Option(
        False, "--allow-empty", help="Write the submission even if it holds no interval."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace --out if it exists."),
) -> None:
    """Predict intervals for every video of a split and write a validated submission.csv.

    Videos with an empty behaviors_labeled (new recordings) get every action
    the model learned, on every ordered pair of their mice.
    """
    from mabe.data.submission import write_submission
    from mabe.errors import MabeError
    from mabe.workflows.predict import predict_split_report
    from mabe.workflows.whitelist import parse_action_list

    if out.is_dir():
        raise MabeError(f"{out}: is a directory; give --out a file name such as submission.csv")
    if out.exists() and not overwrite:
        raise MabeError(f"{out}: already exists; choose another --out or pass --overwrite")
    result = predict_split_report(run, data, split, which=which, actions=parse_action_list(actions))
    submission, videos = result.table, result.videos
    if len(submission) == 0 and not allow_empty:
        raise MabeError(
            f"{out}: not written, the {len(videos)} videos of '{split}' yielded 0 intervals "
            "(thresholds in decode.json too high, or --actions too narrow?); "
            "pass --allow-empty to write it anyway"
        )
    write_submission(submission, out, overwrite=overwrite)
    if len(submission) == 0:
        typer.echo(f"warning: {out} holds 0 intervals (written because of --allow-empty)", err=True)
    n_videos = submission["video_id"].nunique()
    typer.echo(f"wrote {out}: {len(submission)} intervals for {n_videos} videos")
    n_open = int((~videos["labelled"]).sum())
    if n_open:
        typer.echo(f"{n_open} videos had no behaviors_labeled: predicted every model action on every pair")
    empty = result.empty_videos
    if empty:
        shown = ", ".join(str(v) for v in empty[:20]) + (", ..." if len(empty) > 20 else "")
        typer.echo(f"warning: {len(empty)} of {len(videos)} videos yielded no interval: {shown}", err=True)
