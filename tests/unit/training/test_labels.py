"""seed4 priorities and the actions whitelist mask."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mabe.config import DEFAULT_SEED4_GROUPS
from mabe.data.types import VideoMeta
from mabe.training.labels import (
    action_vocabulary,
    intervals_to_dense,
    pair_action_mask,
    pair_intervals,
    remap_intervals,
    seed4_frame_labels,
)


def _ann(rows: list[tuple[int, int, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["agent_id", "target_id", "action", "start_frame", "stop_frame"])


def _meta(triples: list[tuple[str, str, str]]) -> VideoMeta:
    return VideoMeta("train", "LabA", 1, 30.0, 2, ("nose", "tail"), tuple(triples))


def test_seed4_priority_aggressive_over_mating_over_social() -> None:
    ann = _ann(
        [
            (1, 2, "sniff", 0, 10),
            (2, 1, "mount", 3, 8),
            (1, 2, "attack", 5, 6),
            (1, 1, "rear", 8, 12),
            (2, 1, "chase", 11, 40),
        ]
    )
    labels = seed4_frame_labels(ann, 14, DEFAULT_SEED4_GROUPS)
    assert labels.tolist() == [1, 1, 1, 2, 2, 3, 2, 2, 1, 1, 0, 3, 3, 3]


def test_seed4_mapping_is_configurable() -> None:
    ann = _ann([(1, 1, "rear", 1, 3), (1, 2, "sniff", 2, 4)])
    groups = {"Social": ["sniff"], "Explore": ["rear"]}
    assert seed4_frame_labels(ann, 5, groups).tolist() == [0, 2, 2, 1, 0]
    assert seed4_frame_labels(None, 3, groups).tolist() == [0, 0, 0]


def test_actions_mask_follows_whitelist() -> None:
    meta = _meta([("mouse1", "mouse2", "sniff"), ("mouse2", "self", "rear"), ("mouse2", "mouse1", "attack")])
    actions = action_vocabulary([meta])
    assert actions == ["attack", "rear", "sniff"]
    pairs = [(1, 1), (1, 2), (2, 1), (2, 2)]
    mask = pair_action_mask(meta, pairs, actions)
    assert mask.tolist() == [
        [False, False, False],
        [False, False, True],
        [True, False, False],
        [False, True, False],
    ]


def test_pair_intervals_and_dense_targets() -> None:
    ann = _ann([(1, 2, "sniff", 2, 5), (2, 2, "rear", 0, 3), (1, 2, "dig", 0, 9), (3, 1, "sniff", 0, 2)])
    pairs = [(1, 2), (2, 2)]
    bouts = pair_intervals(ann, pairs, ["rear", "sniff"])
    assert bouts[0].tolist() == [[1, 2, 5]] and bouts[1].tolist() == [[0, 0, 3]]
    dense = intervals_to_dense(bouts[0], 6, 2)
    assert dense[:, 1].tolist() == [0, 0, 1, 1, 1, 0] and dense[:, 0].sum() == 0


def test_remap_intervals_to_grid() -> None:
    grid = np.array([0, 2, 4, 6, 8])
    out = remap_intervals(np.array([[0, 1, 5], [1, 3, 4]]), grid)
    assert out.tolist() == [[0, 1, 3]]  # frames 2, 4; the second bout covers no grid point
