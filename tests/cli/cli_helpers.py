"""Running ``mabe`` in-process, for the CLI tests and their module-scoped fixtures.

Imported by the test modules of this folder (pytest puts it on ``sys.path``);
the ``run_cli`` fixture in ``conftest.py`` is the per-test variant.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

from mabe.cli.app import main


@dataclass
class Result:
    """What a user would see: exit code, stdout and stderr."""

    code: int
    out: str
    err: str


def exit_code(exc: SystemExit) -> int:
    """The process exit code a ``SystemExit`` stands for."""
    return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


def invoke(*args: object, quiet: bool = False) -> Result:
    """Run ``mabe ARGS`` in-process (``--quiet`` first if asked) and capture its output."""
    argv = (["--quiet"] if quiet else []) + [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exit_code(exc)
    return Result(code, out.getvalue(), err.getvalue())
