"""The checkpoints of a run, as ``mabe checkpoints`` and the Modal app list them (read from the run's index, no torch)."""

from __future__ import annotations

from pathlib import Path

from mabe.training.run import Run


def run_checkpoints(run: str | Path) -> list[tuple[Path, list[dict]]]:
    """List every checkpoint folder of a run with its checkpoints (name, epoch, metric, size).

    A network run has one folder; an ensemble has one per network fold model
    (``members/<name>/fold<k>``; tree folds have no checkpoints). Folders
    without a checkpoint are left out.

    Raises
    ------
    MabeError
        If ``run`` is not a run directory.

    Examples
    --------
    >>> import tempfile
    >>> run_checkpoints(tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    mabe.errors.MabeError: ...: not a mabe run directory (no config.yaml)
    """
    found = Run(run).require()
    runs = [found]
    if found.kind == "ensemble":  # its network fold models are runs of their own
        runs = [Run(d) for d in sorted(found.path.glob("members/*/fold*")) if Run(d).config_path.is_file()]
    return [(one.checkpoint_dir, rows) for one in runs if (rows := one.checkpoints())]
