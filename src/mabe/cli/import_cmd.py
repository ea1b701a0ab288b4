"""``mabe import``: pose files of DeepLabCut, SLEAP, LightningPose, Anipose or NWB -> a dataset."""

from __future__ import annotations

from pathlib import Path

import typer


def import_(
    pose_files: list[Path] = typer.Argument(None, help="Pose files, one video each (none with --clips)."),
    out: Path = typer.Option(
        ..., "--out", help="Dataset directory (created, or appended to)."
    ),
    lab: str = typer.Option(None, "--lab", help="lab_id of the new videos (required without --clips)."),
    source_software: str = typer.Option(
        "auto",
        "--source-software",
        help="auto, DeepLabCut, SLEAP, LightningPose, Anipose or NWB.",
    ),
    fps: float = typer.Option(
        None,
        "--fps",
        help="Frames per second; required unless the file records it (NWB).",
    ),
    pix_per_cm: float = typer.Option(
        None, "--pix-per-cm", help="Pixels per cm, if known."
    ),
    split: str = typer.Option("train", "--split", help="train or test."),
    min_confidence: float = typer.Option(
        None,
        "--min-confidence",
        help="Keypoints with a lower confidence become absent.",
    ),
    annotations: list[Path] = typer.Option(
        None, "--annotations", help="Label files (repeat the option for several)."
    ),
    annotation_format: str = typer.Option(
        None, "--annotation-format", help="boris, intervals or frames."
    ),
    behaviors: str = typer.Option(
        None,
        "--behaviors",
        help="Comma-separated actions the labels cover (default: those seen).",
    ),
    agent: str = typer.Option(
        None, "--agent", help="Agent of per-frame labels / subject-less events."
    ),
    target: str = typer.Option(
        None,
        "--target",
        help="Target when the labels do not name one ('self' for self actions).",
    ),
    split_minutes: float = typer.Option(
        None,
        "--split-minutes",
        help="Cut each recording into consecutive videos of M minutes.",
    ),
    test_last: int = typer.Option(
        0,
        "--test-last",
        help="With --split-minutes: put the last K videos of each recording in test.",
    ),
    clips: Path = typer.Option(
        None,
        "--clips",
        help="clips.csv of mabe suggest: add its labelled clips (one video each; see README).",
    ),
) -> None:
    """Import pose files (and their labels) as new videos of a MABe-layout dataset."""
    from mabe.errors import MabeError
    from mabe.workflows.import_ import ImportOptions, import_poses

    if clips is not None:
        if pose_files:
            raise MabeError("--clips takes no pose files: the clips' tracking comes from the dataset they were suggested on")
        _import_clips(clips, annotations or [], annotation_format, out, behaviors, split)
        return
    if lab is None:
        raise MabeError("--lab is required when importing pose files")
    try:
        options = ImportOptions(
            lab=lab,
            source_software=source_software,
            fps=fps,
            pix_per_cm=pix_per_cm,
            split=split,
            min_confidence=min_confidence,
            annotation_format=annotation_format,
            behaviors=tuple(b.strip() for b in behaviors.split(",") if b.strip())
            if behaviors
            else None,
            agent=agent,
            target=target,
            split_minutes=split_minutes,
            test_last=test_last,
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        first = (
            exc.errors()[0]
            if hasattr(exc, "errors")
            else {"loc": ("?",), "msg": str(exc)}
        )
        raise MabeError(
            f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}"
        ) from None
    summary = import_poses(pose_files, out, options, annotations or ())
    verb = "created" if summary.created else "appended to"
    for video in summary.videos:
        labels = (
            "unlabelled" if video.intervals is None else f"{video.intervals} intervals"
        )
        typer.echo(
            f"video {video.video_id} ({video.split}): {video.source.name} frames "
            f"{video.first_frame}-{video.first_frame + video.n_frames - 1}, "
            f"{len(video.individuals)} mice ({', '.join(video.individuals)}), {labels}"
        )
    if summary.low_confidence:
        unscored = (
            f" ({summary.no_confidence} of them without a confidence)"
            if summary.no_confidence
            else ""
        )
        typer.echo(
            f"{summary.low_confidence} keypoints below --min-confidence left out{unscored}"
        )
    if summary.skipped_label_rows:
        counts = summary.skipped_label_rows
        where = ", ".join(f"{p.name}: {n}" for p, n in counts.items())
        typer.echo(
            f"{sum(counts.values())} label row(s) about recordings not in this import "
            f"skipped ({where})"
        )
    if summary.clipped_intervals:
        typer.echo(
            f"{summary.clipped_intervals} intervals cut at the last tracked frame"
        )
    typer.echo(
        f"{verb} {summary.root}: {len(summary.videos)} video(s) of lab {summary.lab_id}"
    )


def _import_clips(
    clips: Path, annotations: list[Path], annotation_format: str | None, out: Path, behaviors: str | None, split: str
) -> None:
    """``mabe import --clips``: labelled clips of ``mabe suggest`` become videos of ``out``."""
    from mabe.data.importers.clips import import_clips

    only = [b.strip() for b in behaviors.split(",") if b.strip()] if behaviors else None
    summary = import_clips(clips, annotations, annotation_format or "", out, only, split=split)
    for clip in summary.clips:
        typer.echo(
            f"video {clip.video_id}: clip {clip.clip} of video {clip.source_video} "
            f"({clip.pair[0]} -> {clip.pair[1]}, {clip.n_frames} frames), {clip.intervals} intervals, "
            f"{len(clip.behaviors)} labelled triples"
        )
    if summary.ignored_rows:
        typer.echo(f"{summary.ignored_rows} label row(s) outside every clip's pair and frames left out")
    verb = "created" if summary.created else "appended to"
    typer.echo(f"{verb} {summary.root}: {len(summary.clips)} clip video(s) from {summary.source}")
