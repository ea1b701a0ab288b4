"""An exponential moving average of the network's weights (``ema_decay`` in :class:`mabe.config.Config`).

After every optimiser step the average moves towards the current weights:
``ema = d * ema + (1 - d) * weights``, with ``d = min(ema_decay, (1 + n) / (10 + n))``
after ``n`` updates, so the first steps (random weights) are forgotten quickly.
Validation sees the averaged weights, so ``best.ckpt`` is chosen on them and
every checkpoint holds them as the model's weights: prediction needs nothing
new. Training continues on the raw weights, which the callback swaps back
before the next training batch; it keeps them (and the average) in its own
checkpoint state, so ``--resume`` continues exactly.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback


def ema_decay_at(decay: float, updates: int) -> float:
    """Return the decay used for update number ``updates`` (0-based): warmed up, never above ``decay``.

    Examples
    --------
    >>> ema_decay_at(0.999, 0), round(ema_decay_at(0.999, 90), 3), ema_decay_at(0.999, 10**6)
    (0.1, 0.91, 0.999)
    """
    return min(float(decay), (1.0 + updates) / (10.0 + updates))


class WeightEMA(Callback):
    """Keep an exponential moving average of ``pl_module.model``'s floating-point state and validate with it.

    Parameters
    ----------
    decay
        The decay once warmed up (e.g. 0.999), in ``(0, 1)``.
    """

    def __init__(self, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema decay must be in (0, 1), got {decay}")
        self.decay = float(decay)
        self.updates = 0
        self.average: dict[str, torch.Tensor] | None = None
        self.raw: dict[str, torch.Tensor] | None = None  # the training weights while the average is swapped in

    @staticmethod
    def _state(pl_module: L.LightningModule) -> dict[str, torch.Tensor]:
        model = getattr(pl_module, "model")  # noqa: B009 - BehaviourModule.model, the network
        return {k: v for k, v in model.state_dict().items() if v.is_floating_point()}

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Start the average at the initial weights (unless a resumed checkpoint restored one)."""
        if self.average is None:
            self.average = {k: v.detach().clone() for k, v in self._state(pl_module).items()}

    @torch.no_grad()
    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        """Put the raw training weights back if validation left the average in place."""
        if self.raw is not None:
            for key, value in self._state(pl_module).items():
                value.copy_(self.raw[key])
            self.raw = None

    @torch.no_grad()
    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        """Move the average towards the weights after the optimiser step."""
        assert self.average is not None
        d = ema_decay_at(self.decay, self.updates)
        for key, value in self._state(pl_module).items():
            self.average[key].mul_(d).add_(value.detach(), alpha=1.0 - d)
        self.updates += 1

    @torch.no_grad()
    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Swap the average in (it stays until the next training batch, so checkpoints hold it)."""
        if self.average is None or self.raw is not None:
            return
        state = self._state(pl_module)
        self.raw = {k: v.detach().clone() for k, v in state.items()}
        for key, value in state.items():
            value.copy_(self.average[key])

    def state_dict(self) -> dict[str, Any]:
        """Return the average, the update count and the raw weights (when swapped out), for ``--resume``."""
        return {"decay": self.decay, "updates": self.updates, "average": self.average, "raw": self.raw}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (the checkpoint's model weights are the average then)."""
        self.updates = int(state_dict.get("updates", 0))
        self.average = state_dict.get("average")
        self.raw = state_dict.get("raw")
