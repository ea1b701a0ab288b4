"""The MABe interval F-score, submission checks, frame-level metrics, bout statistics and agreement."""

from mabe.data.submission import check_submission  # re-exported; owned by mabe.data.submission
from mabe.metrics.agreement import agreement, icc, pearson_r
from mabe.metrics.bouts import bout_stats
from mabe.metrics.frame import frame_metrics, multilabel_frame_metrics
from mabe.metrics.mabe_score import ScoreReport, mabe_score, score_report

__all__ = [
    "ScoreReport",
    "agreement",
    "bout_stats",
    "check_submission",
    "frame_metrics",
    "icc",
    "mabe_score",
    "multilabel_frame_metrics",
    "pearson_r",
    "score_report",
]
