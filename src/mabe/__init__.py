"""mabe: multi-animal pose tracks in, social-behaviour intervals out.

The Python API (:mod:`mabe.api`) is available from the package itself, loaded on first use
so that ``import mabe`` stays light:

>>> import mabe
>>> sorted(mabe.__all__)
['__version__', 'import_poses', 'load_dataset', 'predict', 'score', 'stats', 'train']
>>> mabe.load_dataset is mabe.api.load_dataset
True
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = ("import_poses", "load_dataset", "predict", "score", "stats", "train")
__all__ = ["__version__", *_API]

def __getattr__(name: str) -> Any:
    """Load the API on first use of one of its names (PEP 562)."""
    if name in _API:
        return getattr(importlib.import_module("mabe.api"), name)
    raise AttributeError(f"module 'mabe' has no attribute {name!r}")
