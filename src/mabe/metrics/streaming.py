"""Frame metrics accumulated on the device, batch by batch, and synced across processes.

Training validates on many batches, possibly in several processes (DDP). A
:class:`FrameMetricAccumulator` keeps only per-class counts, in torchmetrics
``StatScores`` metrics (on the model's device, summed over processes by
torchmetrics when computed), and turns them into numbers with
:func:`mabe.metrics.frame.metrics_from_counts`, the same function the array
versions :func:`~mabe.metrics.frame.frame_metrics` and
:func:`~mabe.metrics.frame.multilabel_frame_metrics` use: same keys, same NaN
for a class absent from both truth and prediction (torchmetrics' own F1 would
give 0 there and count it in the macro average).

Imports torch and torchmetrics: not re-exported by :mod:`mabe.metrics`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torchmetrics import Metric
from torchmetrics.classification import MulticlassStatScores, MultilabelStatScores

from mabe.metrics.frame import MetricDict, metrics_from_counts

_UNLABELLED = -1
"""Target value marking a multi-label entry outside the mask (ignored by torchmetrics)."""


def float32_threshold(threshold: float) -> float:
    """Smallest float32 at or above ``threshold``.

    For a float32 (or float16) probability ``p``, ``p >= float32_threshold(t)``
    in float32 is exactly ``p >= t`` in float64, as the array metrics compare.

    Examples
    --------
    >>> float32_threshold(0.5), float32_threshold(0.3) >= 0.3
    (0.5, True)
    """
    value = np.float32(threshold)
    if float(value) < threshold:
        value = np.nextafter(value, np.float32(np.inf))
    return float(value)


class FrameMetricAccumulator(torch.nn.Module):
    """Per-class counts of frame predictions, on-device and DDP-aware (torchmetrics).

    Register it as an attribute of a ``LightningModule`` so it follows the
    module's device; its states are not saved in checkpoints.

    Parameters
    ----------
    class_names
        Classes (single-label) or actions (multi-label).
    multilabel
        ``False``: one class per frame (:meth:`update_classes`); ``True``:
        independent thresholded actions (:meth:`update_multilabel`).
    threshold
        Multi-label decision threshold: predicted where ``prob >= threshold``.
    ignore_index
        Single-label frames whose true class is this are skipped.

    Examples
    --------
    >>> acc = FrameMetricAccumulator(["a", "b", "c"], multilabel=False)
    >>> acc.update_classes(torch.tensor([0, 0, 1, -100]), torch.tensor([0, 1, 1, 2]))
    >>> m = acc.compute()
    >>> m["n"], m["f1"]["b"], m["f1"]["c"]
    (3, 0.6666666666666666, nan)
    """

    def __init__(
        self, class_names: Sequence[str], multilabel: bool, threshold: float = 0.5, ignore_index: int = -100
    ) -> None:
        super().__init__()
        self.class_names = [str(n) for n in class_names]
        self.multilabel = bool(multilabel)
        self.threshold = float(threshold)
        self._threshold32 = float32_threshold(self.threshold)
        c = len(self.class_names)
        self.stats: MulticlassStatScores | MultilabelStatScores
        if self.multilabel:
            self.stats = MultilabelStatScores(c, average=None, ignore_index=_UNLABELLED, validate_args=False)
        else:
            self.stats = MulticlassStatScores(c, average=None, ignore_index=ignore_index, validate_args=False)

    def update_classes(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
        """Count single-label frames: true and predicted class per frame (any shape, flattened)."""
        if self.multilabel:
            raise ValueError("update_classes on a multi-label accumulator")
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"y_true has {y_true.numel()} values, y_pred {y_pred.numel()}")
        if y_true.numel():
            self.stats.update(y_pred.long(), y_true.long())

    def update_multilabel(self, y_true: torch.Tensor, y_prob: torch.Tensor, mask: torch.Tensor) -> None:
        """Count multi-label entries: ``(N, C)`` truth in {0, 1}, probabilities and bool mask of labelled entries."""
        if not self.multilabel:
            raise ValueError("update_multilabel on a single-label accumulator")
        c = len(self.class_names)
        if y_true.shape != y_prob.shape or y_true.shape != mask.shape or y_true.ndim != 2 or y_true.shape[1] != c:
            raise ValueError(
                f"y_true {tuple(y_true.shape)}, y_prob {tuple(y_prob.shape)} and mask {tuple(mask.shape)} "
                f"must share one (N, {c}) shape"
            )
        if not y_true.shape[0]:
            return
        pred = (y_prob.float() >= self._threshold32).long()
        target = torch.where(mask.bool(), (y_true > 0).long(), torch.full_like(pred, _UNLABELLED))
        self.stats.update(pred, target)

    def counts(self) -> dict[str, np.ndarray]:
        """``tp``, ``fp``, ``tn``, ``fn`` per class, summed over every process (a collective call under DDP)."""
        with warnings.catch_warnings():  # no batch in this process: the counts are 0, which is right
            warnings.filterwarnings("ignore", message=r".*compute.*before the ``update``.*")
            stats = self.stats.compute()
        table = stats.detach().reshape(-1, 5).cpu().numpy().astype(np.int64)
        return {"tp": table[:, 0], "fp": table[:, 1], "tn": table[:, 2], "fn": table[:, 3]}

    def compute(self) -> MetricDict:
        """Compute the metrics of everything counted since the last :meth:`reset` (see :func:`metrics_from_counts`)."""
        c = self.counts()
        tn = c["tn"] if self.multilabel else None
        return metrics_from_counts(c["tp"], c["fp"], c["fn"], tn, self.class_names)

    def reset(self) -> None:
        """Forget every count."""
        self.stats.reset()


class BinnedAveragePrecision(Metric):
    """Per-class average precision of scores, from fixed-width score bins (threshold-free, DDP-exact).

    Every labelled entry adds one to the histogram of its class, score bin
    (``bins`` equal bins of ``[0, 1]``) and truth, so memory is ``classes x bins x 2``
    counts whatever the number of frames, and processes sync by summing them
    (the same numbers as one process seeing every entry). Average precision
    is then exact for the thresholds ``0, 1/bins, ..., 1`` (``p >= k / bins``
    predicted): each positive is credited with the precision of the threshold
    at its bin; entries sharing a bin are tied.

    Parameters
    ----------
    num_classes
        Number of classes (columns of the scores).
    bins
        Score bins (``bins + 1`` thresholds); 100 gives the 101 thresholds
        ``0.00, 0.01, ..., 1.00``.

    Examples
    --------
    >>> ap = BinnedAveragePrecision(2)
    >>> ap.update(torch.tensor([[0.30, 0.9], [0.10, 0.8], [0.05, 0.1]]), torch.tensor([[1, 1], [0, 0], [0, 0]]))
    >>> ap.compute().tolist()  # class 0: all below 0.5 but ranked right
    [1.0, 1.0]
    >>> ap.update(torch.tensor([[0.2, 0.5]]), torch.tensor([[1, 0]]), torch.tensor([[True, False]]))
    >>> [round(v, 4) for v in ap.compute().tolist()]
    [1.0, 1.0]
    """

    full_state_update = False
    hist: torch.Tensor

    def __init__(self, num_classes: int, bins: int = 100) -> None:
        super().__init__()
        if num_classes < 1 or bins < 1:
            raise ValueError(f"num_classes ({num_classes}) and bins ({bins}) must be positive")
        self.num_classes, self.bins = int(num_classes), int(bins)
        self.add_state("hist", default=torch.zeros(self.num_classes, self.bins, 2, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, scores: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> None:
        """Count ``(N, C)`` scores in ``[0, 1]`` with truth in {0, 1}; entries where ``mask`` is False are skipped."""
        c = self.num_classes
        if scores.ndim != 2 or scores.shape[1] != c or target.shape != scores.shape:
            raise ValueError(f"scores {tuple(scores.shape)} and target {tuple(target.shape)} must share one (N, {c}) shape")
        if mask is not None and mask.shape != scores.shape:
            raise ValueError(f"mask {tuple(mask.shape)} must have the scores' shape {tuple(scores.shape)}")
        bin_index = (scores.float() * self.bins).floor().long().clamp_(0, self.bins - 1)
        column = torch.arange(c, device=scores.device).expand_as(bin_index)
        flat = (column * self.bins + bin_index) * 2 + (target > 0).long()
        if mask is not None:
            flat = flat[mask.bool()]
        self.hist += torch.bincount(flat.reshape(-1), minlength=c * self.bins * 2).reshape(c, self.bins, 2)

    def compute(self) -> torch.Tensor:
        """Average precision per class (float64); NaN for a class without a positive entry."""
        # counts at or above each threshold, highest bin first
        above = self.hist.flip(1).cumsum(1).double()
        tp, fp = above[..., 1], above[..., 0]
        new_tp = self.hist.flip(1)[..., 1].double()
        precision = tp / (tp + fp).clamp(min=1.0)
        positives = tp[:, -1]
        ap = (new_tp * precision).sum(1) / positives.clamp(min=1.0)
        return torch.where(positives > 0, ap, torch.full_like(ap, float("nan")))


def macro_average_precision(per_class: torch.Tensor | np.ndarray) -> float:
    """Mean of the per-class average precisions that are defined (NaN: no class had a positive).

    Examples
    --------
    >>> macro_average_precision(np.array([1.0, np.nan, 0.5]))
    0.75
    """
    values = np.asarray(per_class.detach().cpu() if isinstance(per_class, torch.Tensor) else per_class, dtype=np.float64)
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")
