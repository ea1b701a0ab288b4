"""The ``mabe`` command line: thin typer commands (one module each, registered in :mod:`mabe.cli.app`); the only code that prints."""
