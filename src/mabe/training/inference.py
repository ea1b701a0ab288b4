"""Loading a trained run and predicting whole videos with overlapping windows."""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mabe.config import Config
from mabe.data.types import Pose, Video
from mabe.errors import DataError
from mabe.features.mirror import mirror_coords, pair_mirror_signs
from mabe.training.labels import Pair
from mabe.training.network import build_network
from mabe.training.run import Run
from mabe.training.runfiles import refused_checkpoint
from mabe.training.samples import bind_context, video_inputs
from mabe.training.windows import grid_positions, window_starts


@dataclass
class Prediction:
    """Per-frame probabilities of one video.

    Attributes
    ----------
    probs
        seed4: ``(F, C)`` class probabilities (rows sum to 1). actions:
        ``(F, P, A)`` independent sigmoid probabilities.
    classes
        seed4 class names, or the action vocabulary.
    pairs
        actions: the ``(agent_id, target_id)`` of each ``P`` column (self pairs
        have ``target_id == agent_id``); seed4: ``[]``.
    label_scheme
        ``"seed4"`` or ``"actions"``.
    """

    probs: np.ndarray
    classes: list[str]
    pairs: list[Pair] = field(default_factory=list)
    label_scheme: str = "actions"

    @property
    def actions(self) -> list[str]:
        """The action vocabulary (same as ``classes``)."""
        return self.classes


def resolve_checkpoint(run_dir: str | Path, which: str = "best") -> Path:
    """Path of ``"best"``, ``"last"``, an epoch number or a file name of the run.

    Raises
    ------
    MabeError
        If the run or the checkpoint does not exist.
    """
    return Run(run_dir).checkpoint(which)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint on the CPU as weights only (memory-mapped, so listing many is cheap).

    A checkpoint is data, whoever wrote it: it is read with
    ``torch.load(weights_only=True)``, which rebuilds tensors and plain
    containers and never calls anything the file names. mabe's own
    checkpoints hold nothing else (random states included, see
    :mod:`mabe.training.callbacks`).

    Raises
    ------
    DataError
        If the file is not a readable checkpoint, or it needs arbitrary
        unpickling (it names a global such as a class or function that
        weights-only loading does not rebuild): such a file is refused, never
        executed.
    """
    try:
        return torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise _checkpoint_refusal(path, exc) from None
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a user-facing problem
        raise DataError(path, f"not a readable checkpoint ({' '.join(str(exc).split())})") from None


def _checkpoint_refusal(path: str | Path, exc: pickle.UnpicklingError) -> DataError:
    """Return the one-line error for a checkpoint that weights-only loading rejected.

    torch says why in a long, multi-line message; the part kept is the
    global the file asked for (a refused checkpoint) or the unpickler's
    own complaint (a damaged one).
    """
    text = " ".join(str(exc).split())
    named = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if named is not None:
        return refused_checkpoint(path, named.group(1))
    reason = text.split("WeightsUnpickler error:", 1)[-1].split(" Check the documentation", 1)[0].strip()
    return DataError(path, f"not a readable checkpoint ({reason or 'unpickling failed'})")


def load_trained(run_dir: str | Path, which: str = "best", device: str | None = None) -> tuple[nn.Module, Config, dict[str, Any]]:
    """Load the trained model of a run, its config and what inference needs to know.

    Parameters
    ----------
    run_dir
        A run written by :func:`mabe.training.fit.fit`.
    which
        ``"best"``, ``"last"``, an epoch number or a checkpoint file name.
    device
        Where to put the model (default CPU).

    Returns
    -------
    model
        The ``nn.Module`` in eval mode, ``(batch, T, input_dim) -> (batch, T, C)``.
    config
        The run's resolved config.
    run_info
        ``label_scheme``, ``class_names``, ``actions``, ``input_dim``,
        ``feature_width``, ``checkpoint``, ``epoch``, ``metric``.
    """
    path = resolve_checkpoint(run_dir, which)
    ckpt = read_checkpoint(path)
    hp = ckpt.get("hyper_parameters", {})
    config = Config(**hp["config"])
    info = dict(hp.get("run_info") or {})
    info |= {
        "class_names": list(hp["class_names"]),
        "input_dim": int(hp["input_dim"]),
        "feature_width": int(hp["feature_width"]),
        "label_scheme": config.label_scheme,
        "checkpoint": str(path),
        **{k: v for k, v in ckpt.get("mabe", {}).items() if k in ("epoch", "metric")},
    }
    model = build_network(config, info["input_dim"], len(info["class_names"]))
    state = {k.removeprefix("model."): v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    model.load_state_dict(state)
    model.to(device or "cpu").eval()
    return model, config, info


def window_probs(
    model: nn.Module, sequences: list[np.ndarray] | np.ndarray, starts: np.ndarray, length: int, batch_size: int, seed4: bool
) -> np.ndarray:
    """Overlap-averaged probabilities of equally long ``(n, D)`` sequences.

    The windows of all sequences (e.g. all pairs of a video) share batches,
    in (sequence, start) order. Windows are gathered straight from one padded
    tensor (a strided view, no per-window copies in Python) and each batch's
    output is added to a running float64 sum at once, so memory stays at the
    sequences plus one batch whatever the video's length.

    Returns
    -------
    numpy.ndarray
        ``(len(sequences), n, C)`` float32, the mean over the windows covering
        each point (one ``(n, C)`` row per sequence).
    """
    device = next(model.parameters()).device
    first = np.asarray(sequences[0])
    n, width, n_seq = len(first), first.shape[1], len(sequences)
    size = max(n, int(starts[-1]) + length)
    padded = torch.zeros((n_seq, size, width), dtype=torch.float32)
    for k, seq in enumerate(sequences):
        padded[k, :n] = torch.from_numpy(np.asarray(seq, dtype=np.float32))
    view = padded.as_strided((n_seq, size - length + 1, length, width), (size * width, width, width, 1))
    starts = np.asarray(starts, dtype=np.int64)
    seq_of = np.repeat(np.arange(n_seq), len(starts))
    start_of = np.tile(starts, n_seq)
    total: np.ndarray | None = None
    count = np.zeros(n, dtype=np.float64)
    for s in starts:
        count[s : min(int(s) + length, n)] += 1
    with torch.inference_mode():
        for b in range(0, len(seq_of), batch_size):
            ks, ss = seq_of[b : b + batch_size], start_of[b : b + batch_size]
            batch = view[torch.from_numpy(ks), torch.from_numpy(ss)].to(device)
            logits = model(batch).float()
            probs = (torch.softmax(logits, dim=-1) if seed4 else torch.sigmoid(logits)).cpu().numpy()
            if total is None:
                total = np.zeros((n_seq, n, probs.shape[-1]), dtype=np.float64)
            for k, s, out in zip(ks, ss, probs, strict=True):
                stop = min(int(s) + length, n)
                total[k, s:stop] += out[: stop - s]
    assert total is not None
    if (count == 0).any():
        raise ValueError("windows do not cover every point")
    return (total / count[None, :, None]).astype(np.float32)


def inference_window(config: Config, n_points: int) -> int:
    """Grid points per inference window for a video of ``n_points`` grid points.

    Without ``predict_length`` this is ``sequence_length`` (shorter videos are
    zero-padded up to it, as in training). With ``predict_length``, a video
    shorter than it gets one window of its own length instead of padding up
    to ``predict_length`` (padding would only cost time), but never shorter
    than ``sequence_length``.

    Examples
    --------
    >>> cfg = Config(sequence_length=128, predict_length=1024)
    >>> inference_window(cfg, 5000), inference_window(cfg, 300), inference_window(cfg, 50)
    (1024, 300, 128)
    >>> inference_window(Config(sequence_length=128), 50)
    128
    """
    if config.predict_length is None:
        return config.sequence_length
    return min(config.predict_length, max(int(n_points), config.sequence_length))


def predict_video(
    model: nn.Module, config: Config, run_info: dict[str, Any], video: Video, batch_size: int | None = None
) -> Prediction:
    """Per-frame probabilities over a whole video of any length.

    Windows of :func:`inference_window` grid points start every
    ``config.inference_stride`` points and their probabilities are averaged;
    a video shorter than a window is padded. Grid predictions are mapped back
    to every original frame.
    """
    seed4 = config.is_seed4
    classes = list(run_info["class_names"])
    feats, grid, pairs = video_inputs(video, config, int(run_info["input_dim"]))
    model = bind_context(model, video, config)  # lab-conditioned models: this video's lab and fps
    n_frames = video.n_frames
    if n_frames == 0 or len(grid) == 0:
        shape = (0, len(classes)) if seed4 else (0, len(pairs), len(classes))
        return Prediction(np.zeros(shape, np.float32), classes, pairs, config.label_scheme or "")
    length = inference_window(config, len(grid))
    starts = window_starts(len(grid), length, config.inference_stride)
    back = grid_positions(n_frames, grid)
    if not seed4 and not pairs:
        return Prediction(np.zeros((n_frames, 0, len(classes)), np.float32), classes, pairs, config.label_scheme or "")
    bs = batch_size or config.batch_size
    was_training = model.training
    model.eval()
    try:
        # seed4 (n, C); actions (P, n, C)
        probs = window_probs(model, [feats] if seed4 else feats, starts, length, bs, seed4)
        if config.mirror_tta:
            mirrored = mirrored_inputs(video, config, int(run_info["input_dim"]), feats)
            probs = 0.5 * (probs + window_probs(model, [mirrored] if seed4 else mirrored, starts, length, bs, seed4))
    finally:
        model.train(was_training)
    probs = probs[0][back] if seed4 else probs[:, back].transpose(1, 0, 2)
    return Prediction(probs.astype(np.float32, copy=False), classes, pairs, config.label_scheme or "")


def mirrored_inputs(video: Video, config: Config, input_dim: int, feats: np.ndarray) -> np.ndarray:
    """Return the network inputs of the left/right mirror image of ``video`` (same layout as ``feats``).

    Pair features: the odd columns negated (:func:`mabe.features.mirror.pair_mirror_signs`,
    exact for them and free); other feature sets: computed again from the mirrored pose.
    """
    if config.feature_set == "pair":
        return feats * pair_mirror_signs(feats.shape[-1])
    axis = video.meta.video_width / 2 if np.isfinite(video.meta.video_width) else None
    pose = Pose(mirror_coords(video.pose.coords, video.pose.body_parts, axis), video.pose.body_parts)
    mirrored, _, _ = video_inputs(replace(video, pose=pose), config, input_dim)
    return mirrored
