"""User-facing errors.

Every problem caused by what a user gave us (a file, a flag, a config key) is
raised as a :class:`MabeError`. The CLI prints ``str(error)`` as one line and
exits non-zero, without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

from pathlib import Path


class MabeError(Exception):
    """Base class of errors whose message is meant for the user."""


class DataError(MabeError):
    """A dataset file is missing, unreadable or inconsistent.

    Parameters
    ----------
    path
        The file (or directory) at fault.
    message
        What is wrong, naming the column or row where it helps.

    Examples
    --------
    >>> str(DataError("train.csv", "missing column 'lab_id'"))
    "train.csv: missing column 'lab_id'"
    """

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = Path(path)
        self.message = message
        super().__init__(f"{path}: {message}")


class ConfigError(MabeError):
    """A configuration file or override is invalid."""


class InvalidSubmission(MabeError):
    """A submission cannot be scored (bad columns, overlaps, ...)."""


class InvalidSolution(InvalidSubmission):
    """The labels a submission is scored against cannot be used (empty, bad column, bad whitelist).

    A subclass of :class:`InvalidSubmission` (scoring failed either way), so a
    caller that names the file at fault tells the two apart by type.
    """
