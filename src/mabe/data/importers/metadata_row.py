"""The 38 metadata columns of one imported video, filled from what is known."""

from __future__ import annotations

import json
from collections.abc import Sequence

from mabe.data import schema


def metadata_row(
    lab_id: str,
    video_id: int,
    fps: float,
    n_frames: int,
    n_mice: int,
    body_parts: Sequence[str],
    tracking_method: str,
    behaviors: Sequence[schema.Triple] = (),
    pix_per_cm: float | None = None,
    frame_size: tuple[int, int] | None = None,
) -> dict[str, object]:
    """One row of ``{split}.csv`` for an imported video.

    Known: lab, video id, frame rate, duration, body parts, tracking method,
    the whitelist, the number of mice (each listed mouse gets
    ``mouseN_id = N``, the only mouse field an import knows; nothing else about
    the animals is invented). Frame size and pixels per cm when given. Every
    other column is left empty.

    Examples
    --------
    >>> row = metadata_row("ethome", 1, 30.0, 5700, 2, ["nose", "tail"], "DeepLabCut")
    >>> row["video_duration_sec"], row["mouse2_id"], row["mouse3_id"], row["body_parts_tracked"]
    (190.0, 2, None, '["nose", "tail"]')
    >>> len(row) == len(schema.METADATA_COLUMNS)
    True
    """
    row: dict[str, object] = dict.fromkeys(schema.METADATA_COLUMNS)
    row.update(
        lab_id=lab_id,
        video_id=int(video_id),
        frames_per_second=float(fps),
        video_duration_sec=round(n_frames / float(fps), 6),
        body_parts_tracked=json.dumps(list(body_parts)),
        behaviors_labeled=schema.format_behaviors_labeled(list(behaviors))
        if behaviors
        else None,
        tracking_method=tracking_method,
    )
    for mouse in range(1, n_mice + 1):
        row[f"mouse{mouse}_id"] = mouse
    if pix_per_cm is not None:
        row["pix_per_cm_approx"] = float(pix_per_cm)
    if frame_size is not None:
        row["video_width_pix"], row["video_height_pix"] = (
            int(frame_size[0]),
            int(frame_size[1]),
        )
    return row
