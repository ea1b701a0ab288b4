"""``mabe info``: what a dataset holds, as tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def info(
    data: Path = typer.Argument(..., help="Dataset directory in the Kaggle layout."),
    details: bool = typer.Option(
        False, "--details", help="Also read every video's tracking: missing body parts and jumps, per mouse."
    ),
) -> None:
    """Print labs, videos, frames, mice, body parts, actions and bout counts.

    Mice are counted from the tracking files; videos whose csv lists another
    number are listed. ``--details`` adds, per lab, one row per (video,
    mouse): the percentage of frames each body part is missing and the
    frames where the mouse jumps implausibly far (likely identity swaps).
    """
    from mabe.cli.tables import print_table
    from mabe.data.io import MabeDataset
    from mabe.data.summary import summarize

    summary = summarize(MabeDataset(data))
    labs = summary.labs
    print_table(labs, title=f"{data}: videos per lab")
    totals = labs.groupby("split")[["videos", "frames", "minutes"]].sum().reset_index()
    print_table(totals, title="totals", floatfmt=".1f")
    if len(summary.mice_mismatch):
        print_table(
            summary.mice_mismatch,
            title="videos whose csv (mouseN_* columns) and tracking disagree on the mice; counted from the tracking",
        )
    if len(summary.actions):
        print_table(summary.actions, title="annotated bouts per lab and action")
    else:
        typer.echo("no annotations found")

    if details:
        from mabe.data.summary import tracking_quality

        _print_quality(tracking_quality(MabeDataset(data)))


def _print_quality(quality: Any) -> None:
    """Print :func:`mabe.data.summary.tracking_quality` as one table per lab, fractions as percentages."""
    from mabe.cli.tables import print_table
    from mabe.data.quality import JUMP_BODY_LENGTHS_PER_S
    from mabe.data.summary import MISSING_PREFIX

    if not len(quality):
        typer.echo("no tracking to describe")
        return
    for lab, rows in quality.groupby("lab_id", sort=True):
        rows = rows.dropna(axis=1, how="all")
        parts = [c for c in rows.columns if c.startswith(MISSING_PREFIX)]
        table = rows[["split", "video_id", "name", "frames"]].copy()
        table["% seen"] = (100 * rows["seen"]).round(1)
        table["body_len_px"] = rows["body_length_px"].round(0)
        table["max_bl_per_s"] = rows["max_speed"].round(1)
        table["jumps"] = rows["jumps"]
        table["jump_frames"] = rows["jump_frames"]
        table["swap_frames"] = rows["swap_frames"]
        for col in parts:
            table[f"% {col[len(MISSING_PREFIX):]}"] = (100 * rows[col]).round(1)
        print_table(
            table,
            title=f"{lab}: tracking per mouse: % of frames each body part is missing; jumps faster than "
            f"{JUMP_BODY_LENGTHS_PER_S:g} body lengths/s (swap: two mice jump in the same frame)",
            floatfmt=".1f",
        )
