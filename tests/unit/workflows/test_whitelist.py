"""Which triples are decoded: a video's whitelist, or every model action on every pair."""

from __future__ import annotations

import doctest
import json

import pytest

from mabe.errors import MabeError
from mabe.workflows import whitelist as wl
from mabe.workflows.whitelist import (
    check_requested_actions,
    decoding_whitelist,
    model_whitelist,
    parse_action_list,
    run_actions,
)

PAIRS_3 = [(a, t) for a in (1, 2, 3) for t in (1, 2, 3)]


def test_doctests():
    result = doctest.testmod(wl)
    assert result.attempted > 0 and result.failed == 0


def test_open_whitelist_puts_self_actions_on_self_pairs_and_pair_actions_elsewhere():
    triples = model_whitelist(PAIRS_3, ["rear", "sniff", "attack"])
    self_rows = {t for t in triples if t[1] == "self"}
    pair_rows = triples - self_rows
    assert self_rows == {(f"mouse{m}", "self", "rear") for m in (1, 2, 3)}
    # 6 ordered pairs of 3 mice, 2 pair actions each
    assert len(pair_rows) == 12
    assert {t[2] for t in pair_rows} == {"sniff", "attack"}
    assert ("mouse3", "mouse1", "attack") in pair_rows and ("mouse1", "mouse1", "attack") not in triples


def test_an_action_unknown_to_mabe_is_a_pair_action():
    assert model_whitelist([(1, 1), (1, 2)], ["interact"]) == {("mouse1", "mouse2", "interact")}


def test_labelled_videos_keep_their_whitelist_and_only_narrows_both():
    labelled = {("mouse1", "mouse2", "sniff"), ("mouse1", "mouse2", "attack")}
    assert decoding_whitelist(labelled, PAIRS_3, ["sniff", "attack", "mount"]) == labelled
    assert decoding_whitelist(labelled, PAIRS_3, ["sniff", "attack"], only=["attack"]) == {("mouse1", "mouse2", "attack")}
    opened = decoding_whitelist([], PAIRS_3, ["sniff", "attack"], only=["sniff"])
    assert opened == {(f"mouse{a}", f"mouse{t}", "sniff") for a, t in PAIRS_3 if a != t}


def test_parse_action_list():
    assert parse_action_list(None) is None
    assert parse_action_list(" sniff ,attack, sniff") == ["sniff", "attack"]


def test_requested_actions_must_be_known():
    check_requested_actions(["sniff"], ["sniff", "attack"], "run")
    check_requested_actions(["sniff"], None, "run")  # unknown vocabulary: nothing to check against
    with pytest.raises(MabeError, match="bogus.*does not predict; it predicts sniff, attack"):
        check_requested_actions(["sniff", "bogus"], ["sniff", "attack"], "run")


def test_run_actions_from_summary_ensemble_or_seed4_config(tmp_path):
    single = tmp_path / "single"
    single.mkdir()
    assert run_actions(single) is None
    (single / "summary.json").write_text(json.dumps({"actions": ["attack", "sniff"]}))
    assert run_actions(single) == ["attack", "sniff"]

    ensemble = tmp_path / "ens"
    ensemble.mkdir()
    (ensemble / "ensemble.json").write_text(json.dumps({"actions": ["chase"], "members": []}))
    (ensemble / "summary.json").write_text(json.dumps({"actions": ["other"]}))
    assert run_actions(ensemble) == ["chase"]

    seed4 = tmp_path / "seed4"
    seed4.mkdir()
    (seed4 / "summary.json").write_text(json.dumps({"label_scheme": "seed4", "actions": []}))
    from mabe.data.schema import SEED4_GROUPS

    assert run_actions(seed4) == sorted({a for m in SEED4_GROUPS.values() for a in m})
