"""The layout contract: column lists, paths and the metadata cell parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from mabe.data import schema


def test_metadata_has_the_38_kaggle_columns_without_repeats():
    assert len(schema.METADATA_COLUMNS) == 38
    assert len(set(schema.METADATA_COLUMNS)) == 38
    assert schema.METADATA_COLUMNS[:3] == ("lab_id", "video_id", "mouse1_strain")
    assert set(schema.METADATA_NUMERIC_COLUMNS) <= set(schema.METADATA_COLUMNS)


def test_paths_follow_the_kaggle_layout():
    root = Path("data")
    assert schema.metadata_path(root, "test") == root / "test.csv"
    assert schema.tracking_path(root, "train", "LabA", 7) == root / "train_tracking/LabA/7.parquet"
    assert schema.annotation_path(root, "train", "LabA", 7.0) == (
        root / "train_annotation/LabA/7.parquet"
    )


def test_mouse_names():
    assert schema.mouse_name(3) == "mouse3"
    assert schema.mouse_number("mouse3") == 3
    assert schema.target_name(2, 2) == "self"
    assert schema.target_name(2, 1) == "mouse1"
    with pytest.raises(ValueError, match="not a mouse name"):
        schema.mouse_number("rat3")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('["mouse1,mouse2,sniff", "mouse1,self,rear"]',
         [("mouse1", "mouse2", "sniff"), ("mouse1", "self", "rear")]),
        ("[\"'mouse1','mouse2','attack'\", \"'mouse3','self','dig'\"]",
         [("mouse1", "mouse2", "attack"), ("mouse3", "self", "dig")]),
        ('["mouse1, mouse2, sniff", "mouse1,mouse2,sniff"]', [("mouse1", "mouse2", "sniff")]),
        ("[]", []),
        ("", []),
        (None, []),
        (float("nan"), []),
    ],
    ids=["json", "single-quoted", "spaces-and-repeats", "empty-list", "blank", "none", "nan"],
)
def test_parse_behaviors_labeled_accepts_both_forms(text, expected):
    assert schema.parse_behaviors_labeled(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mouse1,mouse2,sniff", "not valid JSON"),
        ('{"mouse1": "sniff"}', "not a JSON list"),
        ("[1, 2]", "is not a string"),
        ('["mouse1,mouse2"]', "is not 'agent,target,action'"),
        ('["mouse1,,sniff"]', "is not 'agent,target,action'"),
        ('["rat1,mouse2,sniff"]', "does not name mice"),
        ('["mouse1,other,sniff"]', "does not name mice"),
        (5, "expected a JSON list"),
    ],
)
def test_parse_behaviors_labeled_rejects_malformed_cells(text, message):
    with pytest.raises(ValueError, match=message):
        schema.parse_behaviors_labeled(text)


def test_format_behaviors_labeled_round_trips():
    triples = [("mouse1", "mouse2", "sniff"), ("mouse2", "self", "rear")]
    assert schema.parse_behaviors_labeled(schema.format_behaviors_labeled(triples)) == triples


def test_parse_body_parts():
    assert schema.parse_body_parts('["nose", "tail_base"]') == ["nose", "tail_base"]
    assert schema.parse_body_parts("[]") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "missing"),
        (float("nan"), "missing"),
        ("nose,tail", "not valid JSON"),
        ('["nose", 3]', "not a JSON list of body-part names"),
        ('"nose"', "not a JSON list of body-part names"),
    ],
)
def test_parse_body_parts_rejects_malformed_cells(text, message):
    with pytest.raises(ValueError, match=message):
        schema.parse_body_parts(text)
