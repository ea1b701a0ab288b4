"""Fixtures of the figure tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def png():
    from mabe.plots import figure_png

    return figure_png
