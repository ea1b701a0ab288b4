"""A checkpoint's epoch and metric, read without torch or Lightning.

:meth:`mabe.training.run.Run.checkpoints` falls back to this when a
checkpoint is missing from the run's ``index.json``: the small ``"mabe"``
record each checkpoint carries (epoch, monitored metric) is unpickled from the
checkpoint's zip archive with every tensor and torch object replaced by an
inert placeholder, so no tensor data is read and torch is never imported
(importing torch and Lightning took ~3-5 s of a ~5 s listing). Nothing the
file names is ever called. A file naming any other global (a class or
function outside torch, ``collections`` and plain builtins) is refused, as
``torch.load(weights_only=True)`` refuses it when predicting. Files that are
not in torch's zip format fall back to that weights-only ``torch.load``.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

from mabe.errors import DataError, MabeError

__all__ = ["read_checkpoint_info", "refused_checkpoint"]

_SAFE_GLOBALS = {
    ("builtins", name)
    for name in ("dict", "list", "tuple", "set", "frozenset", "int", "float", "str", "bool", "complex")
} | {("collections", "OrderedDict")}

_INERT_GLOBALS = {("collections", "Counter"), ("_codecs", "encode"), ("builtins", "bytearray")}
"""Globals a weights-only load accepts that the record does not need: read as placeholders."""


class _RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a global that weights-only loading would refuse."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


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
        module = "builtins" if module == "__builtin__" else module  # torch.save writes protocol 2
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        if module == "torch" or module.startswith("torch.") or (module, name) in _INERT_GLOBALS:
            return _Placeholder  # tensors, storages, dtypes: never called, never read
        raise _RefusedGlobal(f"{module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        return _Placeholder()


def refused_checkpoint(path: str | Path, name: str) -> DataError:
    """Return the error for a checkpoint whose pickle names ``name``, a global weights-only loading refuses.

    Examples
    --------
    >>> str(refused_checkpoint("run/checkpoints/best.ckpt", "os.system"))  # doctest: +ELLIPSIS
    'run/checkpoints/best.ckpt: refused: loading it needs arbitrary unpickling (os.system), which can run code; ...'
    """
    return DataError(
        path,
        f"refused: loading it needs arbitrary unpickling ({name}), which can run code; "
        "mabe loads checkpoints as weights only (tensors and plain values)",
    )


def read_checkpoint_info(path: str | Path) -> dict[str, Any]:
    """Read the ``"mabe"`` record (``epoch``, ``metric``) of a checkpoint; ``{}`` if it has none.

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
    except _RefusedGlobal as exc:
        raise refused_checkpoint(path, exc.name) from None
    except (StopIteration, OSError, zipfile.BadZipFile, pickle.UnpicklingError, EOFError) as exc:
        reason = "no data.pkl" if isinstance(exc, StopIteration) else " ".join(str(exc).split())
        raise MabeError(f"{path}: not a readable checkpoint ({reason})") from None
    info = record.get("mabe", {}) if isinstance(record, dict) else {}
    return dict(info) if isinstance(info, dict) else {}
