"""``python -m mabe`` runs the command line."""

from mabe.cli.app import main

main()
