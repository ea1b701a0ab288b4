"""Printing metric dictionaries as tables."""

from __future__ import annotations

import pandas as pd

from mabe.cli.tables import print_table

_HEADLINE = ("accuracy", "macro_f1", "macro_precision", "macro_recall")


def metrics_tables(metrics: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a flat metrics dict into a headline table and a per-class table.

    Per-class keys look like ``f1/<class>``, ``precision/<class>``, ``recall/<class>``
    (optionally prefixed, e.g. ``val_f1/<class>``).
    """
    headline = []
    per_class: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        if "/" in key:
            kind, name = key.split("/", 1)
            kind = kind.removeprefix("val_").removeprefix("test_")
            per_class.setdefault(name, {})[kind] = float(value)
        elif isinstance(value, (int, float)):
            headline.append({"metric": key, "value": float(value)})
    classes = pd.DataFrame(
        [{"class": name, **vals} for name, vals in per_class.items()]
    )
    return pd.DataFrame(headline), classes


def print_metrics(metrics: dict, title: str) -> None:
    """Print headline metrics, then the per-class table if any."""
    headline, classes = metrics_tables(metrics)
    print_table(headline, title=title)
    if len(classes):
        print_table(classes, title="per class")
