"""Printing DataFrames and metric dictionaries as terminal tables (rich)."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from mabe.workflows.report import metrics_tables


def _cell(value: object, floatfmt: str) -> str:
    if isinstance(value, float):
        text = format(value, floatfmt)
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def print_table(df: pd.DataFrame, title: str | None = None, floatfmt: str = ".4f") -> None:
    """Print ``df`` as a table on stdout; numbers right-aligned, floats with ``floatfmt``.

    Trailing zeros of floats are dropped (``71.5``, not ``71.5000``); cells are
    never truncated, so piped output keeps full lab and action names.
    """
    # at least as wide as the title, so that the title is never wrapped
    table = Table(title=title, title_justify="left", min_width=len(title) if title else None)
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col])
        table.add_column(str(col), justify="right" if numeric else "left", no_wrap=True)
    for row in df.itertuples(index=False):
        table.add_row(*(_cell(value, floatfmt) for value in row))
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(table)


def print_metrics(metrics: dict, title: str) -> None:
    """Print headline metrics, then the per-class table if any."""
    headline, classes = metrics_tables(metrics)
    print_table(headline, title=title)
    if len(classes):
        print_table(classes, title="per class")
