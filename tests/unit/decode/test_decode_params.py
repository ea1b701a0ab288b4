"""DecodeParams: defaults, validation and JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mabe.decode import DecodeParams
from mabe.errors import ConfigError


def full() -> DecodeParams:
    return DecodeParams(
        default_threshold=0.4,
        thresholds={"LabA": {"sniff": 0.35, "attack": 0.6}, "LabB": {"rear": 0.9}},
        smoothing={"sniff": 11},
        min_length={"attack": 6},
        max_gap={"attack": 3},
    )


def test_defaults():
    p = DecodeParams()
    assert (p.threshold_for("X", "sniff"), p.window_for("sniff"), p.min_length_for("sniff"),
            p.max_gap_for("sniff")) == (0.5, 1, 1, 0)


def test_lookups():
    p = full()
    assert p.threshold_for("LabA", "sniff") == 0.35
    assert p.threshold_for("LabA", "rear") == 0.4
    assert (p.window_for("sniff"), p.min_length_for("attack"), p.max_gap_for("attack")) == (11, 6, 3)


def test_dict_and_file_round_trip(tmp_path):
    p = full()
    assert DecodeParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    path = tmp_path / "decode.json"
    p.save(path)
    assert DecodeParams.load(path) == p


def test_numpy_numbers_are_accepted_and_stored_as_python():
    p = DecodeParams(thresholds={"L": {"a": np.float32(0.25)}}, min_length={"a": np.int64(4)})
    assert json.loads(json.dumps(p.to_dict()))["min_length"] == {"a": 4}


def test_to_dict_is_a_copy():
    p = full()
    p.to_dict()["thresholds"]["LabA"]["sniff"] = 0.99
    assert p.threshold_for("LabA", "sniff") == 0.35


@pytest.mark.parametrize(
    "data",
    [
        {"default_threshold": 0},
        {"default_threshold": 1.5},
        {"thresholds": {"L": {"a": "high"}}},
        {"thresholds": {"L": 0.5}},
        {"smoothing": {"a": 0}},
        {"min_length": {"a": 2.5}},
        {"max_gap": {"a": -1}},
        {"colour": "red"},
    ],
)
def test_bad_values_raise_config_error(data):
    with pytest.raises(ConfigError):
        DecodeParams.from_dict(data)


def test_bad_files_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="missing.json"):
        DecodeParams.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="bad.json: not valid JSON"):
        DecodeParams.load(bad)
    bad.write_text('{"max_gap": {"a": -1}}')
    with pytest.raises(ConfigError, match=r"bad.json: max_gap\['a'\]"):
        DecodeParams.load(bad)


# written by DecodeParams.save before it became a pydantic model (the dataclass of 0.1.0)
OLD_DECODE_JSON = '{\n  "default_threshold": 0.45,\n  "max_gap": {\n    "attack": 3,\n    "sniff": 0\n  },\n  "min_length": {\n    "attack": 6\n  },\n  "smoothing": {\n    "attack": 5,\n    "sniff": 11\n  },\n  "thresholds": {\n    "AdaptableSnail": {\n      "attack": 0.6000000238418579,\n      "sniff": 0.35\n    },\n    "CalMS21_task2": {\n      "mount": 1.0\n    }\n  }\n}\n'


def test_decode_json_of_earlier_runs_loads_and_saves_byte_identical(tmp_path):
    path = tmp_path / "decode.json"
    path.write_text(OLD_DECODE_JSON)
    p = DecodeParams.load(path)
    assert p.threshold_for("AdaptableSnail", "attack") == pytest.approx(0.6)
    assert (p.window_for("sniff"), p.window_for("attack"), p.min_length_for("attack"), p.max_gap_for("sniff")) == (11, 5, 6, 0)
    assert p.default_threshold == 0.45 and p.threshold_for("CalMS21_task2", "mount") == 1.0
    again = tmp_path / "again.json"
    p.save(again)
    assert again.read_text() == OLD_DECODE_JSON


def test_default_file_format():
    assert json.loads(json.dumps(DecodeParams().to_dict())) == {
        "default_threshold": 0.5, "thresholds": {}, "smoothing": {}, "min_length": {}, "max_gap": {}}


def test_constructor_refuses_in_one_line():
    with pytest.raises(ConfigError, match=r"unknown decode parameter\(s\): colour"):
        DecodeParams(colour="red")
    with pytest.raises(ConfigError, match=r"^thresholds\['L'\]\['a'\]: threshold must be in \(0, 1\], got nan$"):
        DecodeParams(thresholds={"L": {"a": float("nan")}})
    with pytest.raises(ConfigError, match="default_threshold: threshold must be a number"):
        DecodeParams(default_threshold=True)
