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
from dataclasses import dataclass, field
from pathlib import Path

from mabe.errors import ConfigError
from mabe.fileio import atomic_write_text

_FIELDS = ("default_threshold", "thresholds", "smoothing", "min_length", "max_gap")


def _check_threshold(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{where}: threshold must be a number, got {value!r}")
    if not (0 < value <= 1) or math.isnan(value):
        raise ConfigError(f"{where}: threshold must be in (0, 1], got {value!r}")
    return float(value)


def _check_frames(table: object, name: str, minimum: int) -> dict[str, int]:
    if not isinstance(table, dict):
        raise ConfigError(f"{name} must map action -> frames, got {type(table).__name__}")
    out: dict[str, int] = {}
    for action, value in table.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
            raise ConfigError(f"{name}[{action!r}] must be an integer >= {minimum}, got {value!r}")
        out[str(action)] = int(value)
    return out


@dataclass
class DecodeParams:
    """How probabilities become intervals.

    Attributes
    ----------
    default_threshold
        Threshold of any (lab, action) without its own, in (0, 1].
    thresholds
        ``{lab_id: {action: threshold}}``; an action fires on frames where its
        probability is ``>=`` the threshold.
    smoothing
        ``{action: window}``: centred moving average over ``window`` frames
        before thresholding (1 = none).
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
    """

    default_threshold: float = 0.5
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    smoothing: dict[str, int] = field(default_factory=dict)
    min_length: dict[str, int] = field(default_factory=dict)
    max_gap: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.default_threshold = _check_threshold(self.default_threshold, "default_threshold")
        if not isinstance(self.thresholds, dict):
            raise ConfigError("thresholds must map lab -> {action: threshold}")
        checked: dict[str, dict[str, float]] = {}
        for lab, table in self.thresholds.items():
            if not isinstance(table, dict):
                raise ConfigError(f"thresholds[{lab!r}] must map action -> threshold")
            checked[str(lab)] = {
                str(a): _check_threshold(t, f"thresholds[{lab!r}][{a!r}]") for a, t in table.items()
            }
        self.thresholds = checked
        self.smoothing = _check_frames(self.smoothing, "smoothing", 1)
        self.min_length = _check_frames(self.min_length, "min_length", 1)
        self.max_gap = _check_frames(self.max_gap, "max_gap", 0)

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

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (a deep copy)."""
        return {
            "default_threshold": self.default_threshold,
            "thresholds": {lab: dict(t) for lab, t in self.thresholds.items()},
            "smoothing": dict(self.smoothing),
            "min_length": dict(self.min_length),
            "max_gap": dict(self.max_gap),
        }

    @classmethod
    def from_dict(cls, data: dict) -> DecodeParams:
        """Inverse of :meth:`to_dict`; raises :class:`ConfigError` on bad content."""
        if not isinstance(data, dict):
            raise ConfigError(f"decode parameters must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise ConfigError(f"unknown decode parameter(s): {', '.join(unknown)}")
        return cls(**{k: data[k] for k in _FIELDS if k in data})

    def save(self, path: str | Path) -> None:
        """Write the parameters as JSON to ``path``."""
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
