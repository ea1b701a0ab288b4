"""The ``mabe`` command line: one thin module per command, composed here.

Errors caused by user input (:class:`mabe.errors.MabeError`) are printed as a
single line on stderr with exit code 2 and no traceback unless ``--debug``.
"""

from __future__ import annotations

import os
import sys

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


def _register() -> None:
    # Imported here so that `mabe --help` stays fast and each command is one module.
    from mabe.cli import (
        checkpoints_cmd,
        cv_cmd,
        demo_cmd,
        evaluate_cmd,
        info_cmd,
        plot_cmd,
        predict_cmd,
        report_cmd,
        score_cmd,
        synth_cmd,
        train_cmd,
        validate_cmd,
    )

    app.command("synth")(synth_cmd.synth)
    app.command("validate")(validate_cmd.validate)
    app.command("info")(info_cmd.info)
    app.command("train")(train_cmd.train)
    app.command("cv")(cv_cmd.cv)
    app.command("evaluate")(evaluate_cmd.evaluate)
    app.command("checkpoints")(checkpoints_cmd.checkpoints)
    app.command("predict")(predict_cmd.predict)
    app.command("score")(score_cmd.score)
    app.command("demo")(demo_cmd.demo)
    from mabe.cli import export_cmd, import_cmd  # issue 8: import / export for review

    app.command("import")(import_cmd.import_)
    app.command("export")(export_cmd.export)
    app.command("report")(report_cmd.report)
    app.add_typer(plot_cmd.app, name="plot")


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        app(args=argv, standalone_mode=True)
    except MabeError as exc:
        if _STATE["debug"]:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence for users
        if _STATE["debug"]:
            raise
        typer.echo(
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()
