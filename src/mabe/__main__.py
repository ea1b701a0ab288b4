"""``python -m mabe`` runs the command line."""

from mabe.cli.app import main

# Guarded: worker processes started with "spawn" (mabe predict --workers) import
# this module again as __mp_main__ and must not run the command line a second time.
if __name__ == "__main__":
    main()
