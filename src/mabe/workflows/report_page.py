"""The HTML of a report page: sections of text, tables and embedded PNG figures.

Pure string building, no I/O: :func:`render_page` returns one self-contained
HTML document (inline CSS, figures as ``data:image/png;base64`` URIs).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from mabe import __version__

_CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1250px; color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.8em; }
.meta { color: #666; font-size: 0.9em; }
table.data { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
table.data th, table.data td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
table.data th { background: #f0f0f0; } table.data td:first-child, table.data th:first-child { text-align: left; }
img { max-width: 100%; height: auto; display: block; margin: 0.8em 0; border: 1px solid #eee; }
.notes { background: #f4f7fb; border-left: 4px solid #6a8fc7; padding: 0.5em 1em; }
.warn { background: #fff4e5; border-left: 4px solid #e08a00; padding: 0.5em 1em; }
.ok { background: #eef8ee; border-left: 4px solid #3c9a3c; padding: 0.5em 1em; }
nav a { margin-right: 1em; }
"""


@dataclass
class Section:
    """One titled part of the page.

    Attributes
    ----------
    title
        Heading.
    text
        A paragraph under the heading (plain text, escaped).
    tables
        DataFrames shown as tables.
    figures
        Names of figures (keys of the ``images`` given to :func:`render_page`).
    """

    title: str
    text: str = ""
    tables: list[pd.DataFrame] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        """The section's id in the page."""
        return "".join(ch if ch.isalnum() else "-" for ch in self.title.lower())


def table_html(table: pd.DataFrame) -> str:
    """Render a DataFrame as an escaped HTML table (floats with 4 decimals, NaN as an empty cell).

    Examples
    --------
    >>> print(table_html(pd.DataFrame({"a": ["<x>"], "f": [0.5]})))
    <table class="data"><thead><tr><th>a</th><th>f</th></tr></thead><tbody><tr><td>&lt;x&gt;</td><td>0.5000</td></tr></tbody></table>
    """

    def cell(value: object) -> str:
        if isinstance(value, float):
            return "" if math.isnan(value) else f"{value:.4f}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in table.itertuples(index=False)
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def findings_html(findings: pd.DataFrame | None) -> str:
    """Render the decoding checks as a warning list, or an all-clear line."""
    if findings is None:
        return ""
    if not len(findings):
        return '<div class="ok">Decoding checks: no one-frame bouts, regular spacing, missing or dominant action found.</div>'
    items = "".join(
        f"<li><b>{html.escape(str(r.kind))}</b>: {html.escape(str(r.detail))}</li>" for r in findings.itertuples()
    )
    return f'<div class="warn"><b>Decoding looks degenerate ({len(findings)} findings)</b><ul>{items}</ul></div>'


def render_page(
    title: str,
    sections: list[Section],
    images: dict[str, str],
    notes: list[str] | None = None,
    findings: pd.DataFrame | None = None,
) -> str:
    """One self-contained HTML document.

    Parameters
    ----------
    title
        Page title.
    sections
        Body, in order.
    images
        ``{figure name: base64 PNG}``; every name a section lists must be here.
    notes
        Sentences shown at the top (what the page lacks and why).
    findings
        :func:`~mabe.workflows.decoding_checks.degenerate_decoding` output
        (``None``: no checks were run).

    Examples
    --------
    >>> page = render_page("t", [Section("A", figures=["f"])], {"f": "AAAA"})
    >>> 'src="data:image/png;base64,AAAA"' in page and 'id="f"' in page
    True
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">written {stamp} by mabe {html.escape(__version__)}</p>',
        "<nav>" + "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections) + "</nav>",
    ]
    if notes:
        parts.append('<div class="notes"><ul>' + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul></div>")
    parts.append(findings_html(findings))
    for section in sections:
        parts.append(f'<h2 id="{section.anchor}">{html.escape(section.title)}</h2>')
        if section.text:
            parts.append(f"<p>{html.escape(section.text)}</p>")
        parts.extend(table_html(t) for t in section.tables)
        for name in section.figures:
            if name not in images:
                raise KeyError(f"figure {name!r} was not rendered")
            parts.append(
                f'<img id="{html.escape(name)}" alt="{html.escape(name)}" src="data:image/png;base64,{images[name]}">'
            )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
