"""The README's layout tables list exactly the columns and dtypes of :mod:`mabe.data.schema`."""

from __future__ import annotations

import re
from pathlib import Path

from mabe.data import schema

README = Path(__file__).resolve().parents[4] / "README.md"


def _rows(header: str) -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index(header)
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_readme_lists_the_38_metadata_columns_in_order() -> None:
    rows = _rows("| # | column | content |")
    assert [int(r[0]) for r in rows] == list(range(1, 39))
    assert [r[1].strip("`") for r in rows] == list(schema.METADATA_COLUMNS)


def test_readme_lists_every_parquet_column_with_its_dtype() -> None:
    for header, columns, dtypes in (
        ("| tracking column | dtype | meaning |", schema.TRACKING_COLUMNS, schema.TRACKING_DTYPES),
        ("| annotation column | dtype | meaning |", schema.ANNOTATION_COLUMNS, schema.ANNOTATION_DTYPES),
    ):
        rows = _rows(header)
        assert [r[0].strip("`") for r in rows] == list(columns)
        written = [re.sub("^string$", "object", r[1]) for r in rows]
        assert written == [dtypes[c] for c in columns]
        assert all(r[2] for r in rows)
