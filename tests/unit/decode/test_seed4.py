"""seed4_to_pair_probs: class probabilities onto whitelisted group actions."""

from __future__ import annotations

import numpy as np
import pytest

from mabe.decode import SEED4_GROUPS, DecodeParams, decode_video, seed4_to_pair_probs

ACTIONS = ["rear", "attack", "sniff", "chase", "mount", "sniffgenital", "avoid"]
PAIRS = [(1, 2), (2, 1), (1, 1)]


def whitelist():
    wl = {("mouse1", "mouse2", x) for x in ACTIONS if x != "rear"}
    wl |= {("mouse2", "mouse1", "sniffgenital"), ("mouse1", "self", "rear")}
    return wl


def test_groups_cover_the_documented_actions():
    assert SEED4_GROUPS["Mating"] == ("mount", "intromit", "attemptmount", "ejaculate")
    assert "flinch" in SEED4_GROUPS["Aggressive"] and "follow" in SEED4_GROUPS["Social"]


def test_probabilities_go_to_whitelisted_members_of_each_group():
    cp = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]])
    out = seed4_to_pair_probs(cp, PAIRS, ACTIONS, whitelist())
    assert out.shape == (2, 3, 7) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, 0], [0, 0.4, 0.2, 0.4, 0.3, 0.2, 0])  # avoid: no group
    np.testing.assert_allclose(out[0, 1], [0, 0, 0, 0, 0, 0.2, 0])  # only sniffgenital listed
    assert not out[:, 2].any()  # self pair gets nothing


def test_after_decoding_the_first_listed_action_of_the_group_wins():
    cp = np.tile([0.05, 0.9, 0.03, 0.02], (10, 1))
    probs = seed4_to_pair_probs(cp, PAIRS, ACTIONS, whitelist())
    out = decode_video(probs, PAIRS, ACTIONS, whitelist(), DecodeParams(), "L", 1)
    assert out[["agent_id", "target_id", "action"]].values.tolist() == [
        ["mouse1", "mouse2", "sniff"], ["mouse2", "mouse1", "sniffgenital"]]


def test_custom_groups_and_bad_shape():
    out = seed4_to_pair_probs(np.array([[0.5, 0.5]]), [(1, 2)], ["avoid"],
                              {("mouse1", "mouse2", "avoid")}, groups={"Away": ["avoid"]})
    assert out.tolist() == [[[0.5]]]
    with pytest.raises(ValueError, match="shape"):
        seed4_to_pair_probs(np.zeros((3, 3)), PAIRS, ACTIONS, whitelist())
