"""Wheels for an offline install: ``mabe`` itself and the prediction-time dependencies.

The set is the dependency closure of :data:`RUNTIME_ROOTS` as installed here
(exact versions, so the notebook runs what was tested), minus the closure of
:data:`PROVIDED` (torch and what it pulls in, which the Kaggle image and the
test venv already hold). Training-only and optional packages (movement,
matplotlib, kaggle, modal) are left out: prediction never imports them.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement  # a dependency of lightning, always installed

import mabe
from mabe.errors import MabeError

RUNTIME_ROOTS: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pyarrow",
    "pydantic",
    "pyyaml",
    "scipy",
    "lightning",
    "torchmetrics",
    "lightgbm",
    "typer",
    "rich",
)
"""What ``mabe predict`` imports (lightning and torchmetrics through the training module,
lightgbm for ensemble runs with tree members, typer/rich for the ``mabe`` command)."""

PROVIDED: tuple[str, ...] = ("torch",)
"""Already in the target environment (Kaggle's image has torch, with a CUDA build on GPU machines)."""


def normalize(name: str) -> str:
    """PEP 503 name: ``PyYAML`` -> ``pyyaml``, ``typing_extensions`` -> ``typing-extensions``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(roots: Iterable[str]) -> dict[str, str]:
    """``{name: installed version}`` of ``roots`` and everything they require (no extras).

    Raises
    ------
    MabeError
        If a root is not installed here.
    """
    seen: dict[str, str] = {}
    stack = [(normalize(r), True) for r in roots]
    while stack:
        name, is_root = stack.pop()
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if is_root:
                raise MabeError(f"{name} is not installed, so its wheel cannot be bundled") from None
            continue  # an optional requirement that is not installed is not needed
        seen[name] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            stack.append((normalize(req.name), False))
    return seen


def runtime_requirements(
    roots: Sequence[str] = RUNTIME_ROOTS, provided: Sequence[str] = PROVIDED
) -> dict[str, str]:
    """Pinned packages to bundle: ``closure(roots) - closure(provided)``.

    Examples
    --------
    >>> reqs = runtime_requirements()
    >>> "torch" in reqs, "numpy" in reqs
    (False, True)
    """
    have = closure(provided)
    return {n: v for n, v in sorted(closure(roots).items()) if n not in have}


def project_root() -> Path:
    """Return the source tree this ``mabe`` was imported from (holding ``pyproject.toml``).

    Raises
    ------
    MabeError
        If ``mabe`` was installed from a wheel (no source tree to build from).
    """
    root = Path(mabe.__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file() or 'name = "mabe"' not in pyproject.read_text():
        raise MabeError(
            f"{root}: not the mabe source tree, so no mabe wheel can be built; "
            "run from a clone (pip install -e .) or pass --wheels DIR holding a mabe wheel"
        )
    return root


def _pip(args: list[str], what: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise MabeError(f"pip could not {what}: {tail[0]}")


def build_mabe_wheel(dest: Path) -> Path:
    """``pip wheel --no-deps`` of this source tree (copied first, so the tree gets no build files)."""
    root = project_root()
    with tempfile.TemporaryDirectory(prefix="mabe-wheel-") as tmp:
        src = Path(tmp) / "mabe"
        src.mkdir()
        shutil.copy2(root / "pyproject.toml", src)
        if (root / "README.md").is_file():
            shutil.copy2(root / "README.md", src)
        shutil.copytree(root / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        args = ["wheel", "--no-deps", "--quiet", "-w", str(dest), str(src)]
        if importlib.util.find_spec("setuptools") is not None:
            args.insert(1, "--no-build-isolation")  # no index needed for the build backend
        _pip(args, "build the mabe wheel")
    wheels = sorted(dest.glob("mabe-*.whl"))
    if not wheels:
        raise MabeError(f"{dest}: pip built no mabe wheel")
    return wheels[-1]


def _wheel_name(path: Path) -> str:
    return normalize(path.name.split("-")[0])


def download_wheels(
    dest: Path,
    requirements: dict[str, str],
    python_version: str | None = None,
    platform: str | None = None,
    reuse: Path | None = None,
) -> list[Path]:
    """Binary wheels of ``requirements`` (exact versions, no dependency resolution) into ``dest``.

    Parameters
    ----------
    python_version, platform
        Target interpreter (``"3.11"``) and platform tag (``"manylinux_2_28_x86_64"``)
        when they differ from this machine's (pip ``--python-version/--platform``).
    reuse
        A directory of wheels to copy from first (only what is missing is fetched).
    """
    dest.mkdir(parents=True, exist_ok=True)
    missing = dict(requirements)
    if reuse is not None and reuse.is_dir():
        for wheel in sorted(reuse.glob("*.whl")):
            name = _wheel_name(wheel)
            version = wheel.name.split("-")[1]
            if missing.get(name) == version:
                shutil.copy2(wheel, dest / wheel.name)
                missing.pop(name)
    if missing:
        args = ["download", "--no-deps", "--only-binary=:all:", "--quiet", "-d", str(dest)]
        if python_version:
            args += ["--python-version", python_version, "--implementation", "cp"]
        if platform:
            args += ["--platform", platform]
        _pip(args + [f"{n}=={v}" for n, v in missing.items()], f"fetch wheels for {', '.join(missing)}")
    found = {_wheel_name(p) for p in dest.glob("*.whl")}
    absent = sorted(set(requirements) - found)
    if absent:
        raise MabeError(f"{dest}: no wheel for {', '.join(absent)}")
    return sorted(dest.glob("*.whl"))
