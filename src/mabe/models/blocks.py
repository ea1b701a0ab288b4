"""Pieces every per-frame sequence model shares: argument checks, the input check, the BiLSTM, the frame head.

The helpers return plain ``torch.nn`` layers that the models assign to their
own attributes (``self.lstm``, ``self.head``, ...), so parameter names in a
model's ``state_dict`` are the model's, as they always were, and checkpoints
of earlier versions load unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def check_sizes(input_dim: int, num_classes: int, kernel_size: int, dropout: float, **positive: int) -> None:
    """Refuse sizes no model can be built with (one line naming the argument).

    Parameters
    ----------
    input_dim, num_classes
        Must be positive.
    kernel_size
        Must be a positive odd number (``same`` padding keeps the length).
    dropout
        Must be in ``[0, 1)``.
    **positive
        Further sizes that must be positive (e.g. ``hidden=96``).

    Raises
    ------
    ValueError
        On the first bad value.

    Examples
    --------
    >>> check_sizes(10, 2, 3, 0.1, hidden=8)
    >>> check_sizes(10, 2, 4, 0.1)
    Traceback (most recent call last):
    ...
    ValueError: kernel_size must be a positive odd number, got 4
    """
    sizes = {"input_dim": input_dim, "num_classes": num_classes, **positive}
    if any(int(v) < 1 for v in sizes.values()):
        names = ", ".join(sizes)
        raise ValueError(f"{names} must be positive, got {', '.join(str(v) for v in sizes.values())}")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be a positive odd number, got {kernel_size}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")


def check_input(x: torch.Tensor, input_dim: int) -> None:
    """Refuse an input that is not ``(batch, seq_len, input_dim)``.

    Examples
    --------
    >>> check_input(torch.zeros(2, 5, 3), 4)
    Traceback (most recent call last):
    ...
    ValueError: expected input of shape (batch, seq_len, 4), got (2, 5, 3)
    """
    if x.ndim != 3 or x.shape[-1] != input_dim:
        raise ValueError(f"expected input of shape (batch, seq_len, {input_dim}), got {tuple(x.shape)}")


def bidirectional_lstm(input_size: int, hidden_size: int, num_layers: int, dropout: float) -> nn.LSTM:
    """Build a batch-first bidirectional LSTM, dropout between layers only when there are several.

    Output width is ``2 * hidden_size``.

    Examples
    --------
    >>> lstm = bidirectional_lstm(6, 4, 1, 0.3)
    >>> lstm(torch.zeros(2, 5, 6))[0].shape, lstm.dropout
    (torch.Size([2, 5, 8]), 0.0)
    """
    return nn.LSTM(
        input_size,
        hidden_size,
        num_layers=num_layers,
        batch_first=True,
        bidirectional=True,
        dropout=dropout if num_layers > 1 else 0.0,
    )


def frames_first(layers: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Apply channel-first 1-D layers (``Conv1d``, ``BatchNorm1d``) to ``(B, T, C)`` and return ``(B, T, C')``.

    Examples
    --------
    >>> frames_first(nn.Conv1d(3, 5, 1), torch.zeros(2, 7, 3)).shape
    torch.Size([2, 7, 5])
    """
    return layers(x.transpose(1, 2)).transpose(1, 2)


def call_with_context(
    model: nn.Module,
    x: torch.Tensor,
    lab: torch.Tensor | None = None,
    log_fps: torch.Tensor | None = None,
    valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """Run ``model`` on ``x``, passing lab, log-fps and valid frames if it takes them (``accepts_context``).

    Examples
    --------
    >>> call_with_context(nn.Linear(3, 2), torch.zeros(1, 4, 3), lab=torch.tensor([1])).shape
    torch.Size([1, 4, 2])
    """
    if getattr(model, "accepts_context", False):
        return model(x, lab=lab, log_fps=log_fps, valid=valid)
    return model(x)
