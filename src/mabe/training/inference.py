"""Loading a trained run and predicting whole videos with overlapping windows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mabe.config import Config, load_config
from mabe.data.types import Video
from mabe.errors import MabeError
from mabe.training.labels import Pair
from mabe.training.samples import bind_context, video_inputs
from mabe.training.windows import grid_positions, overlap_average, window_starts


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


def checkpoint_dir(run_dir: str | Path, config: Config | None = None) -> Path:
    """Where a run keeps its checkpoints (``checkpoint_dir`` relative to the run)."""
    run = Path(run_dir)
    if config is None:
        config_file = run / "config.yaml"
        config = load_config(config_file) if config_file.is_file() else None
    sub = Path(config.checkpoint_dir if config is not None else "checkpoints")
    return sub if sub.is_absolute() else run / sub


def resolve_checkpoint(run_dir: str | Path, which: str = "best") -> Path:
    """Path of ``"best"``, ``"last"``, an epoch number or a file name of the run.

    Raises
    ------
    MabeError
        If the run or the checkpoint does not exist.
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise MabeError(f"{run}: run directory not found")
    directory = checkpoint_dir(run)
    text = str(which)
    if text.isdigit():
        name = f"epoch={int(text):03d}.ckpt"
    else:
        name = text if text.endswith(".ckpt") else f"{text}.ckpt"
    path = Path(name) if Path(name).is_absolute() else directory / name
    if not path.is_file() and text == "best":
        path = directory / "last.ckpt"  # a run without validation improvement yet
    if not path.is_file():
        available = sorted(p.name for p in directory.glob("*.ckpt")) if directory.is_dir() else []
        hint = f"; available: {', '.join(available)}" if available else "; the run has no checkpoints"
        raise MabeError(f"{path}: checkpoint not found{hint}")
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint on the CPU (memory-mapped, so listing many is cheap)."""
    try:
        return torch.load(path, map_location="cpu", mmap=True, weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a user-facing problem
        raise MabeError(f"{path}: not a readable checkpoint ({exc})") from None


def load_trained(run_dir: str | Path, which: str = "best", device: str | None = None) -> tuple[nn.Module, Config, dict[str, Any]]:
    """The trained model of a run, its config and what inference needs to know.

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
    from mabe.training.module import build_network

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


@torch.no_grad()
def window_probs(
    model: nn.Module, sequences: list[np.ndarray], starts: np.ndarray, length: int, batch_size: int, seed4: bool
) -> list[np.ndarray]:
    """Overlap-averaged probabilities of equally long ``(n, D)`` sequences.

    The windows of all sequences (e.g. all pairs of a video) share batches.
    Returns one ``(n, C)`` array per sequence.
    """
    device = next(model.parameters()).device
    n = len(sequences[0])
    size = max(n, int(starts[-1]) + length)
    padded = np.zeros((len(sequences), size, sequences[0].shape[1]), dtype=np.float32)
    for k, seq in enumerate(sequences):
        padded[k, :n] = seq
    jobs = [(k, int(s)) for k in range(len(sequences)) for s in starts]
    outs = []
    for b in range(0, len(jobs), batch_size):
        batch = np.stack([padded[k, s : s + length] for k, s in jobs[b : b + batch_size]])
        logits = model(torch.from_numpy(batch).to(device)).float()
        probs = torch.softmax(logits, dim=-1) if seed4 else torch.sigmoid(logits)
        outs.append(probs.cpu().numpy())
    per_window = np.concatenate(outs).reshape(len(sequences), len(starts), length, -1)
    return [overlap_average(n, starts, w) for w in per_window]


def predict_video(
    model: nn.Module, config: Config, run_info: dict[str, Any], video: Video, batch_size: int | None = None
) -> Prediction:
    """Per-frame probabilities over a whole video of any length.

    Windows of ``sequence_length`` grid points overlap by ``predict_stride``
    and their probabilities are averaged; a video shorter than a window is
    padded. Grid predictions are mapped back to every original frame.
    """
    seed4 = config.is_seed4
    classes = list(run_info["class_names"])
    feats, grid, pairs = video_inputs(video, config, int(run_info["input_dim"]))
    model = bind_context(model, video, config)  # lab-conditioned models: this video's lab and fps
    n_frames = video.n_frames
    if n_frames == 0 or len(grid) == 0:
        shape = (0, len(classes)) if seed4 else (0, len(pairs), len(classes))
        return Prediction(np.zeros(shape, np.float32), classes, pairs, config.label_scheme or "")
    length = config.sequence_length
    starts = window_starts(len(grid), length, config.inference_stride)
    back = grid_positions(n_frames, grid)
    bs = batch_size or config.batch_size
    was_training = model.training
    model.eval()
    try:
        if seed4:
            probs = window_probs(model, [feats], starts, length, bs, True)[0][back]
        elif pairs:
            per_pair = window_probs(model, list(feats), starts, length, bs, False)
            probs = np.stack(per_pair, axis=1)[back]
        else:
            probs = np.zeros((n_frames, 0, len(classes)), np.float32)
    finally:
        model.train(was_training)
    return Prediction(probs.astype(np.float32, copy=False), classes, pairs, config.label_scheme or "")
