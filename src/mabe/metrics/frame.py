"""Frame-level metrics for per-frame classifiers.

These judge a classifier before decoding, frame by frame. They are not the
competition score (see :mod:`mabe.metrics.mabe_score`).

Conventions, for both functions:

* precision is ``tp / (tp + fp)``, recall ``tp / (tp + fn)`` and F1
  ``2 tp / (2 tp + fp + fn)``; a ratio whose denominator is 0 is 0;
* a class *absent from both truth and prediction* (no tp, fp or fn) has
  undefined scores: it is reported as NaN and left out of the macro averages,
  so that classes a split happens not to contain do not drag the mean to 0;
* with nothing left to average, macro values (and accuracy) are NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MetricDict = dict[str, float | int | dict[str, float]]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _names(num_classes: int, class_names: Sequence[str] | None) -> list[str]:
    if class_names is None:
        return [str(i) for i in range(num_classes)]
    if len(class_names) != num_classes:
        raise ValueError(f"{len(class_names)} class names for {num_classes} classes")
    return [str(n) for n in class_names]


def metrics_from_counts(
    tp: np.ndarray,
    fp: np.ndarray,
    fn: np.ndarray,
    tn: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
) -> MetricDict:
    """Compute the frame metrics of per-class counts: the one place the numbers are defined.

    :func:`frame_metrics`, :func:`multilabel_frame_metrics` and the
    on-device accumulator of training (:mod:`mabe.metrics.streaming`) all
    count, then call this.

    Parameters
    ----------
    tp, fp, fn
        ``(C,)`` true positives, false positives and false negatives per class.
    tn
        ``(C,)`` true negatives for multi-label counts (each entry is one
        (frame, class) decision); ``None`` for single-label classes (each frame
        is one decision among the classes).
    class_names
        Names of the ``C`` classes (default ``"0"``, ``"1"``, ...).

    Returns
    -------
    dict
        See :func:`frame_metrics` (``tn`` is ``None``) and
        :func:`multilabel_frame_metrics` (``tn`` given; adds ``micro_f1``).

    Examples
    --------
    >>> m = metrics_from_counts(np.array([2, 0]), np.array([1, 0]), np.array([0, 0]))
    >>> m["accuracy"], m["f1"]["1"], m["macro_f1"]
    (1.0, nan, 0.8)
    """
    tp, fp, fn = (np.asarray(v, dtype=np.int64).reshape(-1) for v in (tp, fp, fn))
    if not tp.shape == fp.shape == fn.shape:
        raise ValueError(f"tp, fp and fn have {tp.size}, {fp.size} and {fn.size} classes")
    names = _names(tp.size, class_names)
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    present = (tp + fp + fn) > 0
    for values in (precision, recall, f1):
        values[~present] = np.nan

    def macro(values: np.ndarray) -> float:
        return float(values[present].mean()) if present.any() else float("nan")

    head: MetricDict
    if tn is None:  # one decision per frame: n frames, right where the class is a true positive
        n = int((tp + fn).sum())
        head = {"accuracy": float(tp.sum() / n) if n else float("nan"), "n": n}
    else:  # one decision per (frame, class) entry
        tn = np.asarray(tn, dtype=np.int64).reshape(-1)
        n = int((tp + fp + fn + tn).sum())
        micro = _ratio(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum())
        correct = n - int(fp.sum() + fn.sum())
        head = {"accuracy": correct / n if n else float("nan"), "micro_f1": float(micro), "n": n}
    return {
        **head,
        "macro_f1": macro(f1),
        "macro_precision": macro(precision),
        "macro_recall": macro(recall),
        "f1": dict(zip(names, f1.tolist(), strict=True)),
        "precision": dict(zip(names, precision.tolist(), strict=True)),
        "recall": dict(zip(names, recall.tolist(), strict=True)),
        "support": dict(zip(names, (tp + fn).astype(int).tolist(), strict=True)),
    }


def frame_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    num_classes: int,
    class_names: Sequence[str] | None = None,
    ignore_index: int = -100,
) -> MetricDict:
    """Accuracy and per-class / macro precision, recall and F1 of class labels.

    Parameters
    ----------
    y_true, y_pred
        Integer class per frame, same shape (any shape; flattened).
    num_classes
        Classes are ``0..num_classes-1``.
    class_names
        Names used as keys of the per-class dicts (default ``"0"``, ``"1"``, ...).
    ignore_index
        Frames whose *true* label equals this are skipped.

    Returns
    -------
    dict
        ``accuracy``, ``macro_f1``, ``macro_precision``, ``macro_recall``,
        ``n`` (frames counted) and per-class dicts ``f1``, ``precision``,
        ``recall``, ``support``. Classes absent from both truth and
        prediction are NaN and excluded from the macro averages.

    Raises
    ------
    ValueError
        On mismatched shapes or labels outside ``0..num_classes-1``.

    Examples
    --------
    >>> m = frame_metrics(np.array([0, 0, 1, 1, -100]), np.array([0, 1, 1, 1, 2]), 3,
    ...                   class_names=["other", "sniff", "attack"])
    >>> m["accuracy"], m["n"], round(m["macro_f1"], 4)
    (0.75, 4, 0.7333)
    >>> m["f1"]["attack"]
    nan
    """
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} values, y_pred {y_pred.size}")
    names = _names(num_classes, class_names)
    keep = y_true != ignore_index
    y_true, y_pred = y_true[keep].astype(np.int64), y_pred[keep].astype(np.int64)
    for what, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= num_classes):
            raise ValueError(f"{what} has labels outside 0..{num_classes - 1}")
    confusion = np.bincount(
        y_true * num_classes + y_pred, minlength=num_classes * num_classes
    ).reshape(num_classes, num_classes)
    tp = np.diag(confusion)
    return metrics_from_counts(tp, confusion.sum(axis=0) - tp, confusion.sum(axis=1) - tp, None, names)


def multilabel_frame_metrics(
    y_true: np.ndarray,
    y_prob: np.ndarray,
    mask: np.ndarray,
    threshold: float = 0.5,
    class_names: Sequence[str] | None = None,
) -> MetricDict:
    """Per-class and macro precision, recall, F1 of thresholded multi-label scores.

    Parameters
    ----------
    y_true
        ``(N, C)`` in {0, 1}.
    y_prob
        ``(N, C)`` probabilities; a class is predicted where ``y_prob >= threshold``.
    mask
        ``(N, C)`` bool: which entries are labelled (e.g. whitelisted); the
        others are ignored.
    threshold
        Decision threshold.
    class_names
        Names of the ``C`` classes (default ``"0"``, ``"1"``, ...).

    Returns
    -------
    dict
        ``accuracy`` (share of counted entries predicted right), ``micro_f1``,
        ``macro_f1``, ``macro_precision``, ``macro_recall``, ``n`` (entries
        counted) and per-class dicts ``f1``, ``precision``, ``recall``,
        ``support``. Classes with no positive truth and no positive prediction
        among counted entries are NaN and excluded from the macro averages.

    Examples
    --------
    >>> y = np.array([[1, 0], [0, 0], [1, 1]])
    >>> p = np.array([[0.9, 0.2], [0.6, 0.1], [0.4, 0.7]])
    >>> m = multilabel_frame_metrics(y, p, np.ones((3, 2), bool), class_names=["a", "b"])
    >>> m["f1"]["a"], m["f1"]["b"], round(m["micro_f1"], 4)
    (0.5, 1.0, 0.6667)
    """
    y_true = np.asarray(y_true)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if y_true.ndim != 2 or y_true.shape != y_prob.shape or y_true.shape != mask.shape:
        raise ValueError(
            f"y_true {y_true.shape}, y_prob {y_prob.shape} and mask {mask.shape} "
            "must share one (N, C) shape"
        )
    names = _names(y_true.shape[1], class_names)
    truth = (y_true > 0) & mask
    pred = (y_prob >= threshold) & mask
    tp = (truth & pred).sum(axis=0)
    fp = (~truth & pred).sum(axis=0)
    fn = (truth & ~pred).sum(axis=0)
    tn = (~truth & ~pred & mask).sum(axis=0)
    return metrics_from_counts(tp, fp, fn, tn, names)
