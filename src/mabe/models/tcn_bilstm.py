"""A stronger per-frame model for the pairwise ``actions`` path.

Input normalisation (BatchNorm over feature columns, so features in cm, cm/s
and unit-free ratios need no external scaling), a pointwise projection, a stack of residual dilated temporal convolutions (a TCN
with a receptive field of
``1 + (kernel_size - 1) * (sum(dilations) + len(dilations))`` frames, 39 with
the defaults), then a BiLSTM for longer context and a
per-frame linear head.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from mabe.models.blocks import bidirectional_lstm, check_input, check_sizes, frames_first


def _groups(channels: int, wanted: int = 8) -> int:
    """Largest divisor of ``channels`` not above ``wanted`` (GroupNorm groups)."""
    for g in range(min(wanted, channels), 0, -1):
        if channels % g == 0:
            return g
    return 1


class ResidualTemporalBlock(nn.Module):
    """``x + Dropout(GELU(GN(Conv(GELU(GN(DilatedConv(x)))))))`` over ``(batch, C, T)``.

    Parameters
    ----------
    channels
        Input and output channels.
    dilation
        Dilation of the first convolution (the second has dilation 1).
    kernel_size
        Odd kernel size; padding keeps the length.
    dropout
        Dropout inside the block.
    """

    def __init__(self, channels: int, dilation: int, kernel_size: int = 3, dropout: float = 0.1) -> None:
        super().__init__()
        pad = dilation * (kernel_size // 2)
        self.body = nn.Sequential(
            nn.Conv1d(channels, channels, kernel_size, padding=pad, dilation=dilation),
            nn.GroupNorm(_groups(channels), channels),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2),
            nn.GroupNorm(_groups(channels), channels),
            nn.GELU(),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x + body(x)`` over ``(batch, channels, T)``."""
        return x + self.body(x)


class TCNBiLSTM(nn.Module):
    """Input BatchNorm + projection + residual dilated TCN + BiLSTM + per-frame linear head.

    ``(batch, seq_len, input_dim) -> (batch, seq_len, num_classes)`` logits.

    Parameters
    ----------
    input_dim
        Feature columns per frame.
    num_classes
        Output logits per frame.
    hidden
        Channels of the TCN and hidden size per LSTM direction.
    dilations
        One residual block per dilation.
    kernel_size
        Odd temporal kernel size.
    rnn_layers
        BiLSTM layers after the TCN (0 disables the LSTM).
    dropout
        Dropout in the blocks and before the head.

    Examples
    --------
    >>> model = TCNBiLSTM(60, 37, hidden=32)
    >>> model(torch.zeros(2, 9, 60)).shape
    torch.Size([2, 9, 37])
    """

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        hidden: int = 128,
        dilations: Sequence[int] = (1, 2, 4, 8),
        kernel_size: int = 3,
        rnn_layers: int = 1,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        check_sizes(input_dim, num_classes, kernel_size, dropout, hidden=hidden)
        if any(int(d) < 1 for d in dilations):
            raise ValueError(f"dilations must be positive, got {list(dilations)}")
        if rnn_layers < 0:
            raise ValueError(f"rnn_layers must be >= 0, got {rnn_layers}")

        self.input_dim = int(input_dim)
        self.num_classes = int(num_classes)
        self.input_norm = nn.BatchNorm1d(self.input_dim)
        self.proj = nn.Sequential(nn.Conv1d(self.input_dim, hidden, 1), nn.GELU())
        self.blocks = nn.Sequential(
            *(ResidualTemporalBlock(hidden, int(d), kernel_size, dropout) for d in dilations)
        )
        self.lstm: nn.LSTM | None = None
        out = hidden
        if rnn_layers > 0:
            self.lstm = bidirectional_lstm(hidden, hidden, rnn_layers, dropout)
            out = 2 * hidden
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(out, self.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame logits for ``x`` of shape ``(batch, seq_len, input_dim)``."""
        check_input(x, self.input_dim)
        h = frames_first(lambda c: self.blocks(self.proj(self.input_norm(c))), x)
        if self.lstm is not None:
            h, _ = self.lstm(h)
        return self.head(self.dropout(h))
