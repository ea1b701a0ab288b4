"""Multi-scale dilated TCN + BiGRU with lab conditioning (the ``tcn_bigru`` model).

Compared with :class:`~mabe.models.tcn_bilstm.TCNBiLSTM`:

- every residual block looks at several time scales at once (parallel
  dilated convolutions, concatenated and mixed by a 1x1 convolution), and the
  blocks' dilations grow, so the receptive field of the convolutions alone is
  ``1 + (kernel_size - 1) * max(scales) * sum(dilations)`` frames (121 frames,
  4 s at 30 fps, with the defaults);
- the network is told which lab recorded the video: a learned embedding of
  the lab (index 0 is a shared "unknown" slot, trained by replacing the lab
  with it at random with probability ``lab_dropout``) and the log of the
  video's native frame rate shift and scale the first hidden layer (FiLM);
- padding is invisible: a window's frames past its ``valid`` length are
  excluded from the input normalisation's statistics, held at zero between
  blocks and skipped by the GRU, and normalisation inside the blocks is
  per frame, so a 13-frame clip padded to 128 frames gets exactly the
  output it would get unpadded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from mabe.models.blocks import check_input, check_sizes, frames_first

UNKNOWN_LAB = 0
"""Lab index of a lab outside the run's vocabulary (and of lab dropout)."""


class MaskedInputNorm(nn.Module):
    """BatchNorm over feature columns whose statistics use real frames only.

    Parameters
    ----------
    num_features
        Feature columns ``D``.
    momentum
        Running-statistics momentum (as :class:`torch.nn.BatchNorm1d`).
    eps
        Added to the variance.
    """

    running_mean: torch.Tensor
    running_var: torch.Tensor

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` ``(B, T, D)``; ``mask`` ``(B, T)`` bool marks real frames."""
        if self.training:
            m = mask.unsqueeze(-1).to(x.dtype)
            n = m.sum().clamp(min=1.0)
            mean = (x * m).sum(dim=(0, 1)) / n
            var = (((x - mean) ** 2) * m).sum(dim=(0, 1)) / n
            with torch.no_grad():
                unbiased = var * n / (n - 1).clamp(min=1.0)
                self.running_mean.lerp_(mean.detach().to(self.running_mean.dtype), self.momentum)
                self.running_var.lerp_(unbiased.detach().to(self.running_var.dtype), self.momentum)
        else:
            mean, var = self.running_mean.to(x.dtype), self.running_var.to(x.dtype)
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias


class ChannelNorm(nn.LayerNorm):
    """LayerNorm over the channels of a ``(B, C, T)`` tensor, frame by frame."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``(B, C, T)`` over ``C`` at every frame."""
        return frames_first(super().forward, x)


class MultiScaleBlock(nn.Module):
    """``x + Dropout(Mix(GELU(Norm(concat_s DilatedConv_{d*s}(x)))))`` over ``(B, C, T)``.

    Parameters
    ----------
    channels
        Input and output channels.
    dilation
        Base dilation of the block.
    scales
        One parallel branch per scale, with dilation ``dilation * scale``.
    kernel_size
        Odd kernel size; padding keeps the length.
    dropout
        Dropout before the residual sum.
    """

    def __init__(
        self, channels: int, dilation: int, scales: Sequence[int], kernel_size: int = 3, dropout: float = 0.1
    ) -> None:
        super().__init__()
        width = max(1, channels // len(scales))
        self.branches = nn.ModuleList(
            nn.Conv1d(channels, width, kernel_size, padding=dilation * s * (kernel_size // 2), dilation=dilation * s)
            for s in scales
        )
        self.norm = ChannelNorm(width * len(scales))
        self.mix = nn.Conv1d(width * len(scales), channels, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` plus the mixed multi-scale branches, over ``(B, C, T)``."""
        h = torch.cat([branch(x) for branch in self.branches], dim=1)
        return x + self.dropout(self.mix(F.gelu(self.norm(h))))


class PrefixBiGRU(nn.Module):
    """Bidirectional GRU over ``(B, T, C)`` whose backward pass starts at each sequence's own end.

    Padding follows the real frames, so the forward direction never sees it
    before a real frame; the backward direction reads each real prefix
    reversed in place (padding left at the end). Same result as a packed
    sequence, at the speed of an unpacked one.

    Parameters
    ----------
    input_size, hidden_size
        Input channels; hidden size per direction (output ``2 * hidden_size``).
    num_layers
        Stacked layers (each reads both directions of the previous one).
    dropout
        Dropout between layers.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)
        self.forward_rnns = nn.ModuleList(nn.GRU(n, hidden_size, batch_first=True) for n in sizes)
        self.backward_rnns = nn.ModuleList(nn.GRU(n, hidden_size, batch_first=True) for n in sizes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` with ``lengths`` ``(B,)`` real frames -> ``(B, T, 2 * hidden)``."""
        steps = x.shape[1]
        t = torch.arange(steps, device=x.device).unsqueeze(0)
        last = lengths.to(x.device).unsqueeze(1) - 1
        order = torch.where(t <= last, last - t, t)  # an involution: reverses each prefix

        def flip(h: torch.Tensor) -> torch.Tensor:
            return h.gather(1, order.unsqueeze(-1).expand(-1, -1, h.shape[-1]))

        h = x
        for k, (fwd, bwd) in enumerate(zip(self.forward_rnns, self.backward_rnns, strict=True)):
            if k:
                h = self.dropout(h)
            ahead, _ = fwd(h)
            behind, _ = bwd(flip(h))
            h = torch.cat([ahead, flip(behind)], dim=-1)
        return h


class MultiScaleTCNBiGRU(nn.Module):
    """Masked input BatchNorm + lab/fps FiLM + multi-scale dilated TCN + BiGRU + per-frame head.

    ``forward(x, lab=None, log_fps=None, valid=None)``: ``(B, T, input_dim)``
    features -> ``(B, T, num_classes)`` logits.

    Parameters
    ----------
    input_dim
        Feature columns per frame.
    num_classes
        Output logits per frame.
    hidden
        Channels of the TCN; hidden size per GRU direction.
    dilations
        One multi-scale block per entry (its base dilation).
    scales
        Parallel branches of every block (dilation ``base * scale``).
    kernel_size
        Odd temporal kernel size.
    rnn_layers
        BiGRU layers after the TCN (0: none; the head reads the TCN).
    dropout
        Dropout in the blocks, between GRU layers and before the head.
    n_labs
        Labs of the vocabulary (embedding slots ``1..n_labs``; slot 0 is unknown).
    lab_embedding_dim
        Size of the lab embedding (0 disables lab conditioning, log-fps included).
    lab_dropout
        Training-time probability of replacing a sample's lab by the unknown slot.

    Examples
    --------
    >>> model = MultiScaleTCNBiGRU(60, 3, hidden=24, n_labs=2).eval()
    >>> x = torch.zeros(2, 9, 60)
    >>> model(x, lab=torch.tensor([1, 0]), log_fps=torch.zeros(2)).shape
    torch.Size([2, 9, 3])
    """

    accepts_context = True
    """The training module passes ``lab``, ``log_fps`` and ``valid`` to :meth:`forward`."""
    padding_invariant = True
    """Outputs on real frames do not depend on how much padding follows them."""

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        hidden: int = 96,
        dilations: Sequence[int] = (1, 2, 4, 8),
        scales: Sequence[int] = (1, 2, 4),
        kernel_size: int = 3,
        rnn_layers: int = 1,
        dropout: float = 0.2,
        n_labs: int = 0,
        lab_embedding_dim: int = 8,
        lab_dropout: float = 0.1,
    ) -> None:
        super().__init__()
        check_sizes(input_dim, num_classes, kernel_size, dropout, hidden=hidden)
        if not dilations or any(int(d) < 1 for d in dilations):
            raise ValueError(f"dilations must be a non-empty list of positive ints, got {list(dilations)}")
        if not scales or any(int(s) < 1 for s in scales) or len(scales) > hidden:
            raise ValueError(f"scales must be 1..hidden positive ints, got {list(scales)}")
        if rnn_layers < 0 or n_labs < 0 or lab_embedding_dim < 0:
            raise ValueError(
                f"rnn_layers, n_labs and lab_embedding_dim must be >= 0, got {rnn_layers}, {n_labs}, {lab_embedding_dim}"
            )
        if not 0.0 <= lab_dropout <= 1.0:
            raise ValueError(f"lab_dropout must be in [0, 1], got {lab_dropout}")

        self.input_dim = int(input_dim)
        self.num_classes = int(num_classes)
        self.n_labs = int(n_labs)
        self.lab_dropout = float(lab_dropout)
        self.receptive_field = 1 + (kernel_size - 1) * max(int(s) for s in scales) * sum(int(d) for d in dilations)
        self.input_norm = MaskedInputNorm(self.input_dim)
        self.proj = nn.Conv1d(self.input_dim, hidden, 1)
        self.lab_embedding: nn.Embedding | None = None
        self.film: nn.Linear | None = None
        if lab_embedding_dim > 0:
            self.lab_embedding = nn.Embedding(self.n_labs + 1, lab_embedding_dim)
            self.film = nn.Linear(lab_embedding_dim + 1, 2 * hidden)
            nn.init.zeros_(self.film.weight)  # start as the unconditioned network
            nn.init.zeros_(self.film.bias)
        self.blocks = nn.ModuleList(
            MultiScaleBlock(hidden, int(d), [int(s) for s in scales], kernel_size, dropout) for d in dilations
        )
        self.gru: PrefixBiGRU | None = None
        out = hidden
        if rnn_layers > 0:
            self.gru = PrefixBiGRU(hidden, hidden, rnn_layers, dropout)
            out = hidden + 2 * hidden  # the head reads the TCN and the GRU
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(out, self.num_classes)

    def _context(
        self, lab: torch.Tensor | None, log_fps: torch.Tensor | None, batch: int, device: torch.device
    ) -> torch.Tensor:
        """``(B, E + 1)``: the lab embedding (unknown when ``lab`` is None) and log-fps."""
        assert self.lab_embedding is not None
        if lab is None:
            lab = torch.full((batch,), UNKNOWN_LAB, dtype=torch.long, device=device)
        lab = lab.to(device=device, dtype=torch.long).reshape(batch)
        lab = torch.where((lab < 0) | (lab > self.n_labs), torch.full_like(lab, UNKNOWN_LAB), lab)
        if self.training and self.lab_dropout > 0:
            drop = torch.rand(batch, device=device) < self.lab_dropout
            lab = torch.where(drop, torch.full_like(lab, UNKNOWN_LAB), lab)
        fps = torch.zeros(batch, device=device) if log_fps is None else log_fps.to(device).float().reshape(batch)
        return torch.cat([self.lab_embedding(lab), fps.unsqueeze(-1)], dim=-1)

    def forward(
        self,
        x: torch.Tensor,
        lab: torch.Tensor | None = None,
        log_fps: torch.Tensor | None = None,
        valid: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Per-frame logits.

        Parameters
        ----------
        x
            ``(B, T, input_dim)`` features, padding at the end of a window.
        lab
            ``(B,)`` lab indices (0 or out of range: unknown); None: unknown.
        log_fps
            ``(B,)`` ``log(native fps / 30)``; None: 0.
        valid
            ``(B, T)`` bool, real frames (a prefix of each window); None: up to
            the last frame with a non-zero feature.
        """
        check_input(x, self.input_dim)
        batch, steps = x.shape[:2]
        if valid is None:
            valid = x.detach().ne(0).any(dim=-1)
        # real frames are a prefix: everything up to the last valid one
        positions = torch.arange(1, steps + 1, device=x.device)
        lengths = (valid.to(x.device).bool() * positions).amax(dim=1).clamp(min=1)
        mask = positions.unsqueeze(0) <= lengths.unsqueeze(1)  # (B, T)
        keep = mask.unsqueeze(1).to(x.dtype)  # (B, 1, T)

        h = self.proj(self.input_norm(x, mask).transpose(1, 2))
        if self.film is not None:
            gamma, beta = self.film(self._context(lab, log_fps, batch, x.device)).to(h.dtype).chunk(2, dim=-1)
            h = h * (1 + gamma.unsqueeze(-1)) + beta.unsqueeze(-1)
        h = F.gelu(h) * keep
        for block in self.blocks:
            h = block(h) * keep
        h = h.transpose(1, 2)  # (B, T, C)
        if self.gru is not None:
            h = torch.cat([h, self.gru(h, lengths).to(h.dtype)], dim=-1)
        return self.head(self.dropout(h))


def log_fps(fps: float, reference: float = 30.0) -> float:
    """Return the frame-rate input of the lab conditioning: ``log(fps / reference)`` (0 for a bad fps).

    Examples
    --------
    >>> round(log_fps(60.0), 4), log_fps(float("nan"))
    (0.6931, 0.0)
    """
    fps = float(fps)
    return math.log(fps / reference) if math.isfinite(fps) and fps > 0 else 0.0


class WithContext(nn.Module):
    """A context-taking model with one video's lab and frame rate bound: ``forward(x)`` only.

    Inference code that calls ``model(x)`` on windows of one video can use it
    unchanged; real frames are found as those up to the last non-zero row.

    Examples
    --------
    >>> net = MultiScaleTCNBiGRU(6, 2, hidden=8, n_labs=1).eval()
    >>> bound = WithContext(net, lab=1, log_fps=0.0)
    >>> bool(torch.equal(bound(torch.ones(1, 4, 6)), net(torch.ones(1, 4, 6), lab=torch.tensor([1]))))
    True
    """

    def __init__(self, model: nn.Module, lab: int, log_fps: float) -> None:
        super().__init__()
        self.model = model
        self.training = model.training  # the flag only: model.train(...) is not called
        self.lab = int(lab)
        self.log_fps = float(log_fps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of ``x`` ``(B, T, D)`` with the bound lab and frame rate."""
        batch = x.shape[0]
        lab = torch.full((batch,), self.lab, dtype=torch.long, device=x.device)
        fps = torch.full((batch,), self.log_fps, dtype=torch.float32, device=x.device)
        return self.model(x, lab=lab, log_fps=fps)
