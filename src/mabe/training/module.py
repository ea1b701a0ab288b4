"""The LightningModule: losses, optimiser, warm-up, schedulers, augmentation, validation metrics."""

from __future__ import annotations

import math
import warnings
from typing import Any

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from torchmetrics import MeanMetric

from mabe.config import Config
from mabe.features.mirror import pair_mirror_signs
from mabe.metrics.streaming import BinnedAveragePrecision, FrameMetricAccumulator, macro_average_precision
from mabe.models.blocks import call_with_context
from mabe.training.datamodule import IGNORE_INDEX
from mabe.training.network import build_network, model_kwargs  # noqa: F401 - re-exported

MONITOR = "val_score"
"""Logged validation macro-F1 at ``config.threshold`` with NaN (nothing to score) read as 0; drives
the scheduler, early stopping and ``best.ckpt``."""

RANKING = "val_ap"
"""Logged validation macro average precision: threshold-free (decoding tunes a threshold per action
afterwards), mean over the classes with a positive frame, NaN read as 0. Measured as the monitor on
2026-11-30 (``benchmarks/results/2026-11-30-monitor.md``): not better than :data:`MONITOR` on test
scores, so it is logged only."""


def flatten_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Flatten ``{"f1": {"Social": .5}}`` to ``{"f1/Social": .5}`` (scalars kept, ``support`` dropped)."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            if key == "support":
                continue
            for name, v in value.items():
                flat[f"{prefix}{key}/{name}"] = float(v)
        elif isinstance(value, (int, float, np.floating, np.integer)):
            flat[f"{prefix}{key}"] = float(value)
    return flat


class BehaviourModule(L.LightningModule):
    """Trains a per-frame model on windows (seed4 classes or masked multi-label actions).

    Parameters
    ----------
    config
        The resolved config as a dict (stored in checkpoints).
    input_dim
        Model input width (features zero-padded to it).
    feature_width
        Real feature columns (noise augmentation leaves padding columns at 0).
    class_names
        seed4 class names or the action vocabulary.
    run_info
        What inference needs besides the config (label scheme, actions, dims);
        stored in every checkpoint's hyper-parameters.
    loss_weights
        seed4: cross-entropy weight per class; actions: BCE ``pos_weight`` per
        action; ``None``: unweighted.
    """

    loss_weights: torch.Tensor

    def __init__(
        self,
        config: dict[str, Any],
        input_dim: int,
        feature_width: int,
        class_names: list[str],
        run_info: dict[str, Any] | None = None,
        loss_weights: list[float] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.ckpt_info: dict[str, Any] = {}
        self.config = Config(**config)
        self.class_names = list(class_names)
        self.num_classes = len(self.class_names)
        self.feature_width = int(feature_width)
        self.model = build_network(self.config, int(input_dim), self.num_classes)
        self.weighted = loss_weights is not None
        weights = torch.tensor(loss_weights if loss_weights is not None else [1.0] * self.num_classes)
        if weights.shape != (self.num_classes,):
            raise ValueError(f"{len(weights)} loss weights for {self.num_classes} classes")
        self.register_buffer("loss_weights", weights.float(), persistent=False)
        # on-device accumulators, summed over processes by torchmetrics when computed
        # (their states are not part of the state_dict: checkpoints are unchanged)
        self.train_loss_mean = MeanMetric(nan_strategy="disable")
        self.val_loss_mean = MeanMetric(nan_strategy="disable")
        self.val_frame_metrics = FrameMetricAccumulator(
            self.class_names, multilabel=not self.is_seed4, threshold=self.config.threshold, ignore_index=IGNORE_INDEX
        )
        self.val_ranking = BinnedAveragePrecision(self.num_classes)
        self.val_metrics: dict[str, float] = {}
        self.train_loss_epoch = float("nan")
        self.val_loss_epoch = float("nan")

    @property
    def is_seed4(self) -> bool:
        """Whether the labels are seed4 classes (else multi-label actions)."""
        return self.config.is_seed4

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Record epoch and monitored metric so checkpoints can be listed without the trainer."""
        checkpoint["mabe"] = dict(self.ckpt_info)

    def forward(
        self,
        x: torch.Tensor,
        lab: torch.Tensor | None = None,
        log_fps: torch.Tensor | None = None,
        valid: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Map ``(batch, T, D)`` to ``(batch, T, C)`` logits; lab, log-fps and valid frames go to models that take them."""
        return call_with_context(self.model, x, lab, log_fps, valid)

    def _logits(self, batch: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return self(x, batch.get("lab"), batch.get("log_fps"), batch.get("valid"))

    # --- loss -------------------------------------------------------------
    def loss(self, logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Weighted cross-entropy over real frames (seed4) or masked BCE (actions)."""
        logits = logits.float()
        if self.is_seed4:
            return F.cross_entropy(
                logits.reshape(-1, self.num_classes),
                y.reshape(-1),
                weight=self.loss_weights if self.weighted else None,
                ignore_index=IGNORE_INDEX,
                label_smoothing=self.config.label_smoothing,
            )
        pos_weight = self.loss_weights if self.weighted else None
        raw = F.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight, reduction="none")
        mask = mask.to(raw.dtype)
        return (raw * mask).sum() / mask.sum().clamp(min=1.0)

    def _augment(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        if self.config.use_augmentation and self.config.mirror_augment and self.config.feature_set == "pair":
            # half the windows shown as their left/right mirror image (the odd pair-feature columns negated)
            signs = torch.from_numpy(pair_mirror_signs(x.shape[-1])).to(x)
            flip = torch.rand(len(x), device=x.device) < 0.5
            x = torch.where(flip[:, None, None], x * signs, x)
        if not (self.config.use_augmentation and self.config.noise_std > 0):
            return x
        noise = torch.randn_like(x[..., : self.feature_width]) * self.config.noise_std
        noise = noise * valid.unsqueeze(-1).to(x.dtype)
        return torch.cat([x[..., : self.feature_width] + noise, x[..., self.feature_width :]], dim=-1)

    # --- steps ------------------------------------------------------------
    def on_train_epoch_start(self) -> None:
        """Seed the epoch's window subset and start the epoch's training-loss mean."""
        sampler = getattr(getattr(self.trainer, "datamodule", None), "train_sampler", None)
        if sampler is not None:  # also when a distributed wrapper hides it from Lightning
            sampler.set_epoch(self.current_epoch)
        self.train_loss_mean.reset()

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        """Loss of one augmented batch (the epoch mean weighs batches by size)."""
        x = self._augment(batch["x"], batch["valid"])
        loss = self.loss(self._logits(batch, x), batch["y"], batch["mask"])
        self.train_loss_mean.update(loss.detach().float(), len(x))
        self.log("train_loss", loss, on_step=True, on_epoch=False, prog_bar=True, batch_size=len(x))
        return loss

    def on_validation_epoch_start(self) -> None:
        """Start the validation loss mean and frame counts afresh."""
        self.val_loss_mean.reset()
        self.val_frame_metrics.reset()
        self.val_ranking.reset()

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        """Add one batch to the validation loss and frame counts (on the device)."""
        logits = self._logits(batch, batch["x"]).float()
        loss = self.loss(logits, batch["y"], batch["mask"])
        self.val_loss_mean.update(loss.detach().float(), len(logits))
        if self.is_seed4:
            keep = batch["mask"].reshape(-1)
            y = batch["y"].reshape(-1)[keep]
            flat = logits.reshape(-1, self.num_classes)[keep]
            self.val_frame_metrics.update_classes(y, flat.argmax(-1))
            labelled = y >= 0  # a padded frame inside the mask would not one-hot
            onehot = F.one_hot(y[labelled].long(), self.num_classes)
            self.val_ranking.update(torch.softmax(flat[labelled], -1), onehot)
        else:
            mask = batch["mask"].reshape(-1, self.num_classes)
            rows = mask.any(dim=1)
            prob = torch.sigmoid(logits).reshape(-1, self.num_classes)[rows]
            target = batch["y"].reshape(-1, self.num_classes)[rows]
            self.val_frame_metrics.update_multilabel(target, prob, mask[rows])
            self.val_ranking.update(prob, target, mask[rows])

    def on_validation_epoch_end(self) -> None:
        """Compute the epoch's metrics over every process and log them."""
        if self.trainer.sanity_checking:
            return
        # collective calls: every process computes, torchmetrics sums the states over processes
        self.val_metrics = flatten_metrics(self.val_frame_metrics.compute())
        with warnings.catch_warnings():  # no batch in this process: its histogram is 0, which is right
            warnings.filterwarnings("ignore", message=r".*compute.*before the ``update``.*")
            # torchmetrics squeezes a one-element result to a scalar: one class must still be a list
            per_class_ap = self.val_ranking.compute().reshape(-1).tolist()
        self.val_metrics |= {f"ap/{n}": v for n, v in zip(self.class_names, per_class_ap, strict=True)}
        self.val_metrics["ap"] = macro_average_precision(torch.tensor(per_class_ap))
        self.val_loss_epoch = _mean(self.val_loss_mean)
        self.train_loss_epoch = _mean(self.train_loss_mean)
        score = self.val_metrics.get("macro_f1", float("nan"))
        ap = self.val_metrics["ap"]
        logged = {f"val_{k}": v for k, v in self.val_metrics.items() if "/" not in k and k not in ("macro_f1", "ap")}
        logged |= {"val_loss": self.val_loss_epoch, MONITOR: 0.0 if math.isnan(score) else score}
        logged |= {RANKING: 0.0 if math.isnan(ap) else ap}
        # every rank holds the same synced values; sync_dist only marks them as such for Lightning
        self.log_dict(logged, prog_bar=False, sync_dist=True)
        self.log("val_macro_f1", score, prog_bar=True, sync_dist=True)

    # --- optimisation -----------------------------------------------------
    def configure_optimizers(self) -> Any:
        """Build the configured optimiser and learning-rate scheduler."""
        cfg = self.config
        params = [p for p in self.parameters() if p.requires_grad]
        opt: torch.optim.Optimizer
        if cfg.optimizer == "adamw":
            opt = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
        elif cfg.optimizer == "adam":
            opt = torch.optim.Adam(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
        else:
            opt = torch.optim.SGD(params, lr=cfg.learning_rate, momentum=0.9, weight_decay=cfg.weight_decay)
        if cfg.scheduler == "plateau":
            plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
                opt, mode="max", factor=cfg.scheduler_factor, patience=cfg.scheduler_patience, min_lr=cfg.min_lr
            )
            return {"optimizer": opt, "lr_scheduler": {"scheduler": plateau, "monitor": MONITOR, "interval": "epoch"}}
        if cfg.scheduler == "cosine":
            floor = min(cfg.min_lr / cfg.learning_rate, 1.0)
            epochs = max(cfg.epochs, 1)

            def factor(epoch: int) -> float:
                return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(epoch, epochs) / epochs))

            sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}
        return opt

    def warmup_steps(self) -> int:
        """Optimiser steps of the linear warm-up (0 without warm-up)."""
        per_epoch = self.trainer.num_training_batches
        if self.config.warmup_epochs <= 0 or not math.isfinite(per_epoch):
            return 0
        return max(1, int(round(self.config.warmup_epochs * max(int(per_epoch), 1))))

    def optimizer_step(self, epoch: int, batch_idx: int, optimizer: Any, optimizer_closure: Any = None) -> None:
        """Step, after scaling the learning rate linearly during warm-up (per step)."""
        step, total = self.trainer.global_step, self.warmup_steps()
        if step < total:
            target = self.config.learning_rate * self._schedule_factor(epoch)
            for group in optimizer.param_groups:
                group["lr"] = target * (step + 1) / total
        optimizer.step(closure=optimizer_closure)

    def _schedule_factor(self, epoch: int) -> float:
        if self.config.scheduler != "cosine":
            return 1.0
        scheduler = self.lr_schedulers()
        if isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR):
            return float(scheduler.lr_lambdas[0](epoch))
        return 1.0

    def current_lr(self) -> float:
        """Learning rate of the first parameter group."""
        return float(self.trainer.optimizers[0].param_groups[0]["lr"])


def _mean(metric: MeanMetric) -> float:
    """Return the synced mean of a loss accumulator (NaN when it saw no batch)."""
    with warnings.catch_warnings():  # no batch in this process: its weight is 0, which is right
        warnings.filterwarnings("ignore", message=r".*compute.*before the ``update``.*")
        return float(metric.compute())
