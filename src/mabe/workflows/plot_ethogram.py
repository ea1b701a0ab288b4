"""``mabe plot ethogram``: one video's true and predicted bouts as a PNG."""

from __future__ import annotations

from pathlib import Path

from mabe.data.importers.sources import individual_names, read_sources
from mabe.data.io import MabeDataset
from mabe.data.submission import read_submission
from mabe.errors import MabeError
from mabe.plots import ethogram, save_figure


def write_ethogram(
    data_dir: str | Path,
    submission: str | Path,
    video: int,
    out: str | Path,
    split: str = "test",
    overwrite: bool = False,
) -> tuple[Path, int, int | None]:
    """Draw the ethogram of ``video`` from a submission file (and its labels, if any) to ``out``.

    Mice go by the individual names ``sources.csv`` records for the video
    (a dataset made by ``mabe import``), else by ``mouseN``.

    Returns
    -------
    path, n_predicted, n_true
        The PNG written, the number of predicted bouts and of labelled bouts
        (``None`` when the split has no labels).

    Raises
    ------
    MabeError
        Unknown split or video, unreadable submission or ``sources.csv``, or
        ``out`` exists (without ``overwrite``) or is not a ``.png``.
    """
    out = Path(out)
    if out.suffix.lower() != ".png":
        raise MabeError(f"{out}: give --out a .png file name")
    if out.is_dir():
        raise MabeError(f"{out}: is a directory; give --out a file name such as ethogram.png")
    if out.exists() and not overwrite:
        raise MabeError(f"{out}: already exists; choose another --out or pass --overwrite")
    dataset = MabeDataset(data_dir)
    if split not in dataset.splits():
        raise MabeError(f"{data_dir}: no {split}.csv, so there is no '{split}' split")
    metas = {m.video_id: m for m in dataset.metas(split)}
    if video not in metas:
        raise MabeError(f"{data_dir}: video {video} is not in the '{split}' split")
    meta = metas[video]
    names = individual_names(read_sources(dataset.root)).get(video, ())
    predicted = read_submission(submission)
    predicted = predicted[predicted["video_id"] == video]
    true = None
    if dataset.has_labels(split):
        solution = dataset.solution(split, progress=False)
        true = solution[solution["video_id"] == video]
    n_frames = dataset.load_video(meta).n_frames
    label = "true vs predicted" if true is not None else "predicted"
    fig = ethogram(
        predicted, meta.fps, n_frames, true, title=f"video {video} ({meta.lab_id}): {label} bouts",
        annotated={(a, t) for a, t, _ in meta.behaviors_labeled}, names=names,
    )
    return save_figure(fig, out), len(predicted), (len(true) if true is not None else None)
