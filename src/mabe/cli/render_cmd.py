"""``mabe render``: one video's skeletons and bouts as an mp4 clip."""

from __future__ import annotations

from pathlib import Path

import typer


def render(
    data: Path = typer.Option(..., "--data", help="The dataset."),
    video_id: int = typer.Option(..., "--video-id", help="The video to draw."),
    out: Path = typer.Option(..., "--out", help="A new .mp4 file (never replaced)."),
    split: str | None = typer.Option(None, "--split", help="train or test (default: wherever the video is)."),
    submission: Path | None = typer.Option(None, "--submission", help="Draw this submission's intervals as 'pred' lanes."),
    labels: bool = typer.Option(False, "--labels", help="Draw the video's annotated bouts as 'true' lanes."),
    start: float = typer.Option(0.0, "--start", help="First second of the clip."),
    seconds: float = typer.Option(60.0, "--seconds", help="Length of the clip in seconds (ends early at the video's end)."),
    video: Path | None = typer.Option(
        None, "--video", help="The original recording to draw on (pixel coordinates must line up); default: a blank arena."
    ),
) -> None:
    """Draw a clip: each mouse's skeleton and name, and above it one lane per pair of true and predicted bouts."""
    from mabe.workflows.render import render_clip

    result = render_clip(data, video_id, out, split=split, submission=submission, labels=labels,
                         start=start, seconds=seconds, video=video)
    typer.echo(
        f"wrote {result.path}: video {result.video_id}, frames {result.first_frame}-"
        f"{result.first_frame + result.n_frames - 1} ({result.n_frames / result.fps:.1f} s at {result.fps:g} fps), "
        f"{result.width}x{result.height} px, {result.lanes} lane(s), drawn in {result.seconds:.1f} s"
    )
