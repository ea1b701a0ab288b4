"""Out-of-fold probabilities on disk: one ``.npz`` per video per member under ``RUN/oof/``.

Layout::

    RUN/oof/<member>/<video_id>.npz   probs (F, P, A) float16, pairs (P, 2), actions,
                                      video_id, lab_id, fold, whitelist (JSON)

Each file is written atomically (:func:`mabe.fileio.atomic_write_bytes`), so a
killed run leaves whole files only and a rerun predicts just the missing ones.

Examples
--------
>>> import tempfile, numpy as np
>>> from mabe.decode import VideoProbs
>>> run = Path(tempfile.mkdtemp())
>>> vp = VideoProbs(7, "LabA", np.zeros((3, 1, 1), np.float32), [(1, 2)], ["sniff"], {("mouse1", "mouse2", "sniff")})
>>> _ = save_oof(run, "network", vp, fold=1)
>>> back, fold = load_oof(oof_path(run, "network", 7))
>>> (back.video_id, back.pairs, back.actions, fold)
(7, [(1, 2)], ['sniff'], 1)
"""

from __future__ import annotations

import io
import json
from collections.abc import Hashable
from pathlib import Path

import numpy as np

from mabe.decode import VideoProbs
from mabe.fileio import atomic_write_bytes

OOF_DIR = "oof"
"""Folder of a run holding the out-of-fold probabilities."""


def _video_number(video_id: Hashable) -> int:
    """Return an integer video id (out-of-fold files are named by it)."""
    if not isinstance(video_id, (int, np.integer)):
        raise ValueError(f"out-of-fold files need integer video ids, got {video_id!r}")
    return int(video_id)


def oof_path(run: str | Path, member: str, video_id: int) -> Path:
    """Return where one video's out-of-fold probabilities of ``member`` live."""
    return Path(run) / OOF_DIR / member / f"{_video_number(video_id)}.npz"


def save_oof(run: str | Path, member: str, vp: VideoProbs, fold: int) -> Path:
    """Write one video's out-of-fold probabilities (atomically); returns the path."""
    video_id = _video_number(vp.video_id)
    path = oof_path(run, member, video_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        probs=np.asarray(vp.probs, dtype=np.float16),
        pairs=np.asarray(vp.pairs, dtype=np.int64).reshape(-1, 2),
        actions=np.asarray(list(vp.actions), dtype=str),
        video_id=np.int64(video_id),
        lab_id=np.asarray(str(vp.lab_id)),
        fold=np.int64(fold),
        whitelist=np.asarray(json.dumps(sorted(list(t) for t in vp.whitelist))),
    )
    return atomic_write_bytes(path, buffer.getvalue())


def load_oof(path: str | Path) -> tuple[VideoProbs, int]:
    """Read one out-of-fold file: ``(VideoProbs with float32 probs, fold)``."""
    with np.load(path, allow_pickle=False) as data:
        vp = VideoProbs(
            video_id=int(data["video_id"]),
            lab_id=str(data["lab_id"]),
            probs=data["probs"].astype(np.float32),
            pairs=[(int(a), int(t)) for a, t in data["pairs"]],
            actions=[str(a) for a in data["actions"]],
            whitelist={tuple(t) for t in json.loads(str(data["whitelist"]))},
        )
        return vp, int(data["fold"])


def oof_videos(run: str | Path, member: str) -> list[int]:
    """Return the video ids with out-of-fold probabilities of ``member`` (sorted)."""
    folder = Path(run) / OOF_DIR / member
    return sorted(int(p.stem) for p in folder.glob("*.npz")) if folder.is_dir() else []
