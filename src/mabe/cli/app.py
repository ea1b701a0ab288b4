"""The ``mabe`` command line: one thin module per command, composed here.

Errors caused by user input (:class:`mabe.errors.MabeError`) are printed as a
single line on stderr with exit code 2 and no traceback unless ``--debug``.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

# OpenMP threads that spin while waiting make torch 80-160x slower when another
# process holds a core (measured on 2 shared cores, benchmarks/README.md).
# Must be set before torch is imported; an explicit user setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import typer  # noqa: E402

from mabe import __version__, progress  # noqa: E402
from mabe.errors import MabeError  # noqa: E402

app = typer.Typer(
    name="mabe",
    help="Multi-animal pose tracks in, social-behaviour intervals out (MABe 2025 layout).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_STATE = {"debug": False}

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
EXIT_INTERRUPTED = 130


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mabe {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Hide progress bars."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Multi-animal pose tracks in, social-behaviour intervals out."""
    _STATE["debug"] = debug
    progress.set_enabled(not quiet)


def _command(name: str, module: str, function: str | None = None) -> None:
    """Register ``mabe.cli.<module>.<function>`` (default: ``name``) as ``mabe <name>``.

    Command modules are imported here, at start-up, so they must stay light:
    at top level only ``typer``, ``pathlib``, ``typing`` and :mod:`mabe.errors`;
    everything else (pandas, torch, Lightning, the workflows) is imported
    inside the command function. ``tests/cli/test_cli_light.py`` imports every
    ``*_cmd`` module in a fresh interpreter and fails if one pulls in more.
    """
    target = importlib.import_module(f"mabe.cli.{module}")
    app.command(name)(getattr(target, function or name))


def _group(name: str, module: str) -> None:
    """Register the typer group ``mabe.cli.<module>.app`` as ``mabe <name> ...`` (same rules)."""
    app.add_typer(importlib.import_module(f"mabe.cli.{module}").app, name=name)


# One line per command, in the order `mabe --help` lists them.
_command("synth", "synth_cmd")
_command("validate", "validate_cmd")
_command("info", "info_cmd")
_command("train", "train_cmd")
_command("cv", "cv_cmd")
_command("evaluate", "evaluate_cmd")
_command("checkpoints", "checkpoints_cmd")
_command("predict", "predict_cmd")
_command("score", "score_cmd")
_command("demo", "demo_cmd")
_command("import", "import_cmd", "import_")
_command("export", "export_cmd")
_command("render", "render_cmd")
_command("suggest", "suggest_cmd")
_command("report", "report_cmd")
_command("stats", "stats_cmd")
_group("plot", "plot_cmd")
_command("download", "download_cmd")
_command("bundle", "bundle_cmd")


def _fail(code: int, message: str) -> None:
    """Print ``message`` (one line; with ``--debug`` after the traceback) and exit with ``code``."""
    if _STATE["debug"]:
        traceback.print_exc()
    typer.echo(message, err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point.

    Exit codes: 0 success, 1 internal error (a bug), 2 user error (one line on
    stderr naming the file or option), 130 interrupted (Ctrl-C). ``--debug``
    adds the traceback and keeps the exit code.
    """
    _STATE["debug"] = False
    try:
        app(args=argv, standalone_mode=True)
    except MabeError as exc:
        _fail(int(getattr(exc, "exit_code", EXIT_USER_ERROR)), f"error: {exc}{_notes(exc)}")
    except KeyboardInterrupt as exc:
        _fail(EXIT_INTERRUPTED, f"interrupted{_notes(exc)}")
    except Exception as exc:  # noqa: BLE001 - last line of defence for users
        _fail(
            EXIT_INTERNAL_ERROR,
            f"internal error: {type(exc).__name__}: {exc}{_notes(exc)} (run with --debug for the traceback)",
        )


def _notes(exc: BaseException) -> str:
    """Return the notes a workflow added to ``exc`` (e.g. that the run kept its work), for the same line."""
    return "".join(f"; {note}" for note in getattr(exc, "__notes__", ()))


if __name__ == "__main__":  # pragma: no cover
    main()
