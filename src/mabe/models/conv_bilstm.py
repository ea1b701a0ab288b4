"""The reference per-frame model: a Conv1D stack followed by a bidirectional LSTM.

This is the V5/V6 architecture of the reference notebooks; with the default
sizes it has exactly 2,783,556 parameters for 144 inputs and 4 classes
(2,811,204 for 288 inputs).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from mabe.models.blocks import bidirectional_lstm, check_input, check_sizes, frames_first


class ConvBiLSTM(nn.Module):
    """Conv1D feature extractor + BiLSTM + per-frame linear head.

    ``(batch, seq_len, input_dim) -> (batch, seq_len, num_classes)`` logits.

    Each entry of ``conv_channels`` adds ``Conv1d(kernel_size, same padding) ->
    BatchNorm1d -> ReLU -> Dropout`` over time; the LSTM (``lstm_layers``
    layers, bidirectional, ``dropout`` between layers) reads the last conv
    output, and a dropout + linear layer maps every frame to logits.

    Parameters
    ----------
    input_dim
        Feature columns per frame.
    num_classes
        Output logits per frame.
    conv_channels
        Output channels of the successive conv blocks (at least one).
    lstm_hidden
        Hidden size per direction.
    lstm_layers
        Stacked LSTM layers.
    dropout
        Dropout after every conv block, between LSTM layers (when more than
        one) and before the head.
    kernel_size
        Odd temporal kernel size of the convolutions (padding keeps the length).

    Examples
    --------
    >>> model = ConvBiLSTM(144, 4)
    >>> model(torch.zeros(2, 16, 144)).shape
    torch.Size([2, 16, 4])
    """

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        conv_channels: Sequence[int] = (64, 128, 256),
        lstm_hidden: int = 256,
        lstm_layers: int = 2,
        dropout: float = 0.3,
        kernel_size: int = 3,
    ) -> None:
        super().__init__()
        channels = [int(c) for c in conv_channels]
        if not channels or min(channels) < 1:
            raise ValueError(f"conv_channels must be a non-empty list of positive ints, got {channels}")
        check_sizes(input_dim, num_classes, kernel_size, dropout, lstm_hidden=lstm_hidden, lstm_layers=lstm_layers)

        self.input_dim = int(input_dim)
        self.num_classes = int(num_classes)
        blocks: list[nn.Module] = []
        in_ch = self.input_dim
        for out_ch in channels:
            blocks += [
                nn.Conv1d(in_ch, out_ch, kernel_size, padding=kernel_size // 2),
                nn.BatchNorm1d(out_ch),
                nn.ReLU(),
                nn.Dropout(dropout),
            ]
            in_ch = out_ch
        self.conv = nn.Sequential(*blocks)
        self.lstm = bidirectional_lstm(in_ch, lstm_hidden, lstm_layers, dropout)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * lstm_hidden, self.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame logits for ``x`` of shape ``(batch, seq_len, input_dim)``."""
        check_input(x, self.input_dim)
        h, _ = self.lstm(frames_first(self.conv, x))
        return self.head(self.dropout(h))
