"""Probabilities -> behaviour intervals: decoding, its parameters and their tuning."""

from mabe.data.schema import SEED4_CLASSES, SEED4_GROUPS  # re-exported; owned by mabe.data.schema
from mabe.decode.intervals import decode_video, mask_to_intervals
from mabe.decode.params import DecodeParams
from mabe.decode.seed4 import seed4_to_pair_probs
from mabe.decode.tune import (
    TuneGrid,
    VideoProbs,
    decode_videos,
    evaluate_decoding,
    tune_decoding,
)

__all__ = [
    "SEED4_CLASSES",
    "SEED4_GROUPS",
    "DecodeParams",
    "TuneGrid",
    "VideoProbs",
    "decode_video",
    "decode_videos",
    "evaluate_decoding",
    "mask_to_intervals",
    "seed4_to_pair_probs",
    "tune_decoding",
]
