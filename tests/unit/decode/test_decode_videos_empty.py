"""A video with no decoded bout must not turn the other videos' ids into floats."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mabe.decode import DecodeParams, VideoProbs, decode_videos, evaluate_decoding


def test_video_without_bouts_keeps_integer_video_ids() -> None:
    probs = np.zeros((20, 1, 1))
    probs[5:15] = 0.9
    white = {("mouse1", "mouse2", "sniff")}
    videos = [
        VideoProbs(7, "A", probs, [(1, 2)], ["sniff"], white),
        VideoProbs(8, "A", np.zeros((20, 1, 1)), [(1, 2)], ["sniff"], white),  # nothing fires
    ]
    table = decode_videos(videos, DecodeParams())
    assert table["video_id"].dtype == np.int64 and table["video_id"].tolist() == [7]
    solution = pd.DataFrame(
        {"video_id": [7], "agent_id": ["mouse1"], "target_id": ["mouse2"], "action": ["sniff"],
         "start_frame": [5], "stop_frame": [15], "lab_id": ["A"],
         "behaviors_labeled": ['["mouse1,mouse2,sniff"]']}
    )
    assert evaluate_decoding(videos, solution, DecodeParams()) == 1.0
