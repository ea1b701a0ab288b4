"""Progress reporting for long work, shared by every layer.

Library functions wrap their main loop in :func:`track`; the CLI decides
whether bars are shown (``set_enabled``). Bars go to stderr so that output
meant for pipes (``--json``) stays clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_ENABLED = True


def _to_stderr(message: str) -> None:
    print(f"mabe: {message}", file=sys.stderr, flush=True)


_STATUS: Callable[[str], None] = _to_stderr


def set_enabled(enabled: bool) -> None:
    """Turn progress bars on or off for this process."""
    global _ENABLED
    _ENABLED = enabled


def status(message: str) -> None:
    """Report one line of progress of long work (an epoch ended, a stage began).

    Library code below the CLI never prints: it calls this, and the CLI chooses where the
    line goes (:func:`set_status_handler`). By default it goes to stderr as ``mabe: <message>``.

    Examples
    --------
    >>> lines = []
    >>> previous = set_status_handler(lines.append)
    >>> status("epoch 1/3")
    >>> _ = set_status_handler(previous)
    >>> lines
    ['epoch 1/3']
    """
    _STATUS(message)


def set_status_handler(handler: Callable[[str], None]) -> Callable[[str], None]:
    """Send :func:`status` lines to ``handler``; returns the previous handler."""
    global _STATUS
    previous, _STATUS = _STATUS, handler
    return previous


def bars_enabled() -> bool:
    """Whether progress bars are drawn: enabled and stderr is a terminal."""
    return _ENABLED and sys.stderr.isatty()


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Yield from ``items`` while drawing a progress bar on stderr.

    Parameters
    ----------
    items
        What to iterate over.
    description
        Shown left of the bar, e.g. ``"loading videos"``.
    total
        Number of items, when ``len(items)`` is not available.
    """
    if not bars_enabled():
        # No terminal to redraw a bar on (CI logs, pipes): stay quiet.
        yield from items
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    console = Console(file=sys.stderr)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)
