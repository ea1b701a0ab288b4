"""The report page: escaped, self-contained, every figure embedded."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

from mabe.workflows import report_page
from mabe.workflows.report_page import Section, render_page


def test_doctests():
    result = doctest.testmod(report_page)
    assert result.attempted > 0 and result.failed == 0


def test_page_embeds_figures_and_escapes_text():
    sections = [
        Section("Run <1>", text="a & b", tables=[pd.DataFrame({"item": ["<script>"], "value": [1.0]})], figures=["a"]),
        Section("More", figures=["b", "a"]),
    ]
    page = render_page("t", sections, {"a": "QUFB", "b": "QkJC"}, notes=["no <data>"])
    assert page.count('src="data:image/png;base64,QUFB"') == 2 and 'src="data:image/png;base64,QkJC"' in page
    assert "<script>" not in page and "&lt;script&gt;" in page and "no &lt;data&gt;" in page
    assert "http" not in page  # nothing fetched from elsewhere
    assert '<a href="#run--1-">' in page and 'id="run--1-"' in page


def test_findings_are_shown_only_when_checks_ran():
    findings = pd.DataFrame({"kind": ["regular"], "detail": ["89 bouts 26 frames apart"]})
    assert "Decoding looks degenerate (1 findings)" in render_page("t", [], {}, findings=findings)
    assert "no one-frame bouts" in render_page("t", [], {}, findings=findings.iloc[:0])
    page = render_page("t", [], {})
    assert "degenerate" not in page and "no one-frame bouts" not in page


def test_a_figure_that_was_not_rendered_is_an_error():
    with pytest.raises(KeyError, match="missing"):
        render_page("t", [Section("A", figures=["missing"])], {})
