"""The MABe interval F-score, submission checks and frame-level classifier metrics."""

from mabe.data.submission import check_submission  # re-exported; owned by mabe.data.submission
from mabe.metrics.frame import frame_metrics, multilabel_frame_metrics
from mabe.metrics.mabe_score import ScoreReport, mabe_score, score_report

__all__ = [
    "ScoreReport",
    "check_submission",
    "frame_metrics",
    "mabe_score",
    "multilabel_frame_metrics",
    "score_report",
]
