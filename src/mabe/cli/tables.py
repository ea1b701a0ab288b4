"""Printing DataFrames as terminal tables (rich)."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table


def print_table(df: pd.DataFrame, title: str | None = None, floatfmt: str = ".4f") -> None:
    """Print ``df`` as a table on stdout; numbers right-aligned, floats with ``floatfmt``."""
    table = Table(title=title, title_justify="left")
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col])
        table.add_column(str(col), justify="right" if numeric else "left")
    for row in df.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append(format(value, floatfmt))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    Console(width=max(100, Console().width)).print(table)
