"""Metric dictionaries as tables (data only: :func:`mabe.cli.tables.print_metrics` prints them)."""

from __future__ import annotations

import pandas as pd

_HEADLINE = ("accuracy", "macro_f1", "macro_precision", "macro_recall")


def metrics_tables(metrics: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a flat metrics dict into a headline table and a per-class table.

    Per-class keys look like ``f1/<class>``, ``precision/<class>``, ``recall/<class>``
    (optionally prefixed, e.g. ``val_f1/<class>``).

    Examples
    --------
    >>> headline, classes = metrics_tables({"macro_f1": 0.5, "val_f1/attack": 0.25, "val_recall/attack": 1.0})
    >>> headline.to_dict("records")
    [{'metric': 'macro_f1', 'value': 0.5}]
    >>> classes.to_dict("records")
    [{'class': 'attack', 'f1': 0.25, 'recall': 1.0}]
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
