"""Decoding settings: thresholds, smoothing, minimum bout length, gap bridging.

A :class:`DecodeParams` is what threshold tuning produces and what
``mabe predict`` reads back. It round-trips through JSON::

    {"default_threshold": 0.5,
     "thresholds": {"AdaptableSnail": {"sniff": 0.35}},
     "smoothing": {"sniff": 11},
     "min_length": {"attack": 6},
     "max_gap": {"attack": 3}}

Anything not listed takes the default: threshold ``default_threshold``,
smoothing window 1 (none), minimum length 1 (keep every bout), maximum gap 0
(bridge nothing).
"""

from __future__ import annotations

import json
import math
import numbers
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mabe.errors import ConfigError
from mabe.fileio import atomic_write_text

_FIELDS = ("default_threshold", "thresholds", "smoothing", "min_length", "max_gap")


def _check_threshold(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{where}: threshold must be a number, got {value!r}")
    number = float(value)
    if math.isnan(number) or not (0 < number <= 1):
        raise ConfigError(f"{where}: threshold must be in (0, 1], got {value!r}")
    return number


def _check_frames(table: object, name: str, minimum: int) -> dict[str, int]:
    if not isinstance(table, dict):
        raise ConfigError(f"{name} must map action -> frames, got {type(table).__name__}")
    out: dict[str, int] = {}
    for action, value in table.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
            raise ConfigError(f"{name}[{action!r}] must be an integer >= {minimum}, got {value!r}")
        out[str(action)] = int(value)
    return out


def _first_problem(exc: ValidationError) -> str:
    """One line for the first problem pydantic found (our own messages kept as written)."""
    unknown = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden" and e["loc"]]
    if unknown:
        return f"unknown decode parameter(s): {', '.join(sorted(unknown))}"
    error = exc.errors()[0]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, Exception):
        return str(cause)
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


class DecodeParams(BaseModel):
    """How probabilities become intervals.

    A pydantic model: constructing one checks every value and raises
    :class:`~mabe.errors.ConfigError` (one line) on a bad one; unknown fields
    are refused.

    Attributes
    ----------
    default_threshold
        Threshold of any (lab, action) without its own, in (0, 1].
    thresholds
        ``{lab_id: {action: threshold}}``; an action fires on frames where its
        probability is ``>=`` the threshold.
    smoothing
        ``{action: window}``: centred moving average over ``window`` frames
        before thresholding (1 = none; see
        :func:`~mabe.features.temporal.centred_window_bounds`).
    min_length
        ``{action: frames}``: shorter bouts are dropped (after gap bridging).
    max_gap
        ``{action: frames}``: gaps of at most this many empty frames between
        two bouts of the action are filled.

    Examples
    --------
    >>> p = DecodeParams(thresholds={"LabA": {"sniff": 0.3}}, min_length={"sniff": 5})
    >>> p.threshold_for("LabA", "sniff"), p.threshold_for("LabB", "sniff")
    (0.3, 0.5)
    >>> DecodeParams.from_dict(p.to_dict()) == p
    True
    >>> DecodeParams(min_length={"sniff": 0})
    Traceback (most recent call last):
    ...
    mabe.errors.ConfigError: min_length['sniff'] must be an integer >= 1, got 0
    """

    model_config = ConfigDict(extra="forbid")

    default_threshold: float = 0.5
    thresholds: dict[str, dict[str, float]] = Field(default_factory=dict)
    smoothing: dict[str, int] = Field(default_factory=dict)
    min_length: dict[str, int] = Field(default_factory=dict)
    max_gap: dict[str, int] = Field(default_factory=dict)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(_first_problem(exc)) from None

    @field_validator("default_threshold", mode="before")
    @classmethod
    def _default_threshold(cls, value: object) -> float:
        return _check_threshold(value, "default_threshold")

    @field_validator("thresholds", mode="before")
    @classmethod
    def _thresholds(cls, value: object) -> dict[str, dict[str, float]]:
        if not isinstance(value, dict):
            raise ConfigError("thresholds must map lab -> {action: threshold}")
        checked: dict[str, dict[str, float]] = {}
        for lab, table in value.items():
            if not isinstance(table, dict):
                raise ConfigError(f"thresholds[{lab!r}] must map action -> threshold")
            checked[str(lab)] = {str(a): _check_threshold(t, f"thresholds[{lab!r}][{a!r}]") for a, t in table.items()}
        return checked

    @field_validator("smoothing", "min_length", mode="before")
    @classmethod
    def _at_least_one(cls, value: object, info: Any) -> dict[str, int]:
        return _check_frames(value, info.field_name, 1)

    @field_validator("max_gap", mode="before")
    @classmethod
    def _at_least_zero(cls, value: object) -> dict[str, int]:
        return _check_frames(value, "max_gap", 0)

    def threshold_for(self, lab_id: object, action: str) -> float:
        """Threshold of ``action`` in lab ``lab_id`` (labs compared as text)."""
        return self.thresholds.get(str(lab_id), {}).get(action, self.default_threshold)

    def window_for(self, action: str) -> int:
        """Smoothing window of ``action`` (1 = no smoothing)."""
        return self.smoothing.get(action, 1)

    def min_length_for(self, action: str) -> int:
        """Shortest bout of ``action`` that is kept."""
        return self.min_length.get(action, 1)

    def max_gap_for(self, action: str) -> int:
        """Longest gap between two bouts of ``action`` that is filled."""
        return self.max_gap.get(action, 0)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (a deep copy)."""
        return self.model_dump()

    @classmethod
    def from_dict(cls, data: object) -> DecodeParams:
        """Inverse of :meth:`to_dict`; raises :class:`ConfigError` on bad content."""
        if not isinstance(data, dict):
            raise ConfigError(f"decode parameters must be a JSON object, got {type(data).__name__}")
        unknown = sorted(str(k) for k in set(data) - set(_FIELDS))
        if unknown:
            raise ConfigError(f"unknown decode parameter(s): {', '.join(unknown)}")
        return cls(**{k: data[k] for k in _FIELDS if k in data})

    def save(self, path: str | Path) -> None:
        """Write the parameters as JSON to ``path`` (keys sorted, two-space indent: the format of every version)."""
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> DecodeParams:
        """Read parameters written by :meth:`save`.

        Raises
        ------
        ConfigError
            If the file is missing, not JSON, or holds bad values (message names the file).
        """
        try:
            data = json.loads(Path(path).read_text())
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
