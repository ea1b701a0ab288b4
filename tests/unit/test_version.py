"""The version is written once (``mabe.__version__``); the installed distribution reports the same."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import mabe


def test_version_is_written_once_and_installed_as_such() -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert version("mabe") == mabe.__version__
