"""What a run directory holds, read without torch or Lightning.

``mabe checkpoints`` lists a run's checkpoints from here: the small ``"mabe"``
record each checkpoint carries (epoch, monitored metric) is unpickled from the
checkpoint's zip archive with every tensor and non-builtin object replaced by
an inert placeholder, so no tensor data is read and torch is never imported
(importing torch and Lightning took ~3-5 s of a ~5 s listing). Files that are
not in torch's zip format fall back to ``torch.load``.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

from mabe.errors import MabeError

__all__ = ["checkpoint_dir", "list_checkpoints", "read_checkpoint_info"]

_SAFE_GLOBALS = {
    ("builtins", name)
    for name in ("dict", "list", "tuple", "set", "frozenset", "int", "float", "str", "bool", "complex")
} | {("collections", "OrderedDict")}


class _Placeholder:
    """Stands in for any object the record does not need (tensors, Lightning types...)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Placeholder:
        return _Placeholder()

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, value: Any) -> None:
        pass

    def extend(self, values: Any) -> None:
        pass


class _RecordUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        return _Placeholder

    def persistent_load(self, pid: Any) -> Any:
        return _Placeholder()


def read_checkpoint_info(path: str | Path) -> dict[str, Any]:
    """The ``"mabe"`` record (``epoch``, ``metric``) of a checkpoint; ``{}`` if it has none.

    Raises
    ------
    MabeError
        If the file is not a readable checkpoint.

    Examples
    --------
    >>> read_checkpoint_info("/nonexistent.ckpt")
    Traceback (most recent call last):
    ...
    mabe.errors.MabeError: /nonexistent.ckpt: not a readable checkpoint (file not found)
    """
    path = Path(path)
    if not path.is_file():
        raise MabeError(f"{path}: not a readable checkpoint (file not found)")
    if not zipfile.is_zipfile(path):
        # not torch's zip format (a legacy file, or junk): let torch read it or say why
        from mabe.training.inference import read_checkpoint

        return dict(read_checkpoint(path).get("mabe", {}))
    try:
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith("data.pkl"))
            with archive.open(name) as handle:
                record = _RecordUnpickler(handle).load()
    except (StopIteration, OSError, zipfile.BadZipFile, pickle.UnpicklingError, EOFError) as exc:
        reason = "no data.pkl" if isinstance(exc, StopIteration) else " ".join(str(exc).split())
        raise MabeError(f"{path}: not a readable checkpoint ({reason})") from None
    info = record.get("mabe", {}) if isinstance(record, dict) else {}
    return dict(info) if isinstance(info, dict) else {}


def checkpoint_dir(run_dir: str | Path) -> Path:
    """Where a run keeps its checkpoints (its config's ``checkpoint_dir``, default ``checkpoints``).

    Same answer as :func:`mabe.training.inference.checkpoint_dir` without a config.
    """
    from mabe.config import load_config

    run = Path(run_dir)
    config_file = run / "config.yaml"
    sub = Path(load_config(config_file).checkpoint_dir if config_file.is_file() else "checkpoints")
    return sub if sub.is_absolute() else run / sub


def list_checkpoints(run_dir: str | Path) -> list[dict[str, Any]]:
    """``[{name, epoch, metric, size_bytes}]`` of a run's checkpoints, by epoch then name.

    ``metric`` is the validation macro-F1 of the epoch the checkpoint was written.

    Examples
    --------
    >>> list_checkpoints("/nonexistent")
    Traceback (most recent call last):
    ...
    mabe.errors.MabeError: /nonexistent: run directory not found
    """
    if not Path(run_dir).is_dir():
        raise MabeError(f"{run_dir}: run directory not found")
    directory = checkpoint_dir(run_dir)
    rows = []
    for path in sorted(directory.glob("*.ckpt")) if directory.is_dir() else []:
        info = read_checkpoint_info(path)
        rows.append(
            {
                "name": path.name,
                "epoch": int(info.get("epoch", 0)),
                "metric": float(info.get("metric", float("nan"))),
                "size_bytes": path.stat().st_size,
            }
        )
    return sorted(rows, key=lambda r: (r["epoch"], r["name"]))
