"""The layering of docs/architecture.md, enforced: import-linter contracts and the function-level import rule.

* ``test_import_contracts_hold`` runs every ``[tool.importlinter]`` contract of
  ``pyproject.toml`` (the same check as ``lint-imports``), so ``pytest`` fails
  when a lower layer imports a higher one.
* ``test_function_level_imports_defer_heavy_modules`` enforces the rule of
  issue #11: outside :mod:`mabe.cli`, an import inside a function is allowed
  only when importing it pulls a heavy dependency (so light commands start
  fast), or when it breaks an import cycle and says so (``# import cycle: ...``).

"Heavy" is measured, not listed: a fresh interpreter forks one child per
imported module; the child imports it and reports the first heavy top-level
package it asks for (it stops right there, so torch is never actually loaded).
A module found light is then imported by the parent, so later children start
with it loaded (it asks for nothing heavy, so the answers do not change).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "mabe"

HEAVY = (
    "torch", "lightning", "pytorch_lightning", "torchmetrics", "lightgbm", "matplotlib", "movement",
    "kaggle", "modal", "rich", "scipy", "sklearn", "xarray", "h5py", "sleap_io",
)
"""Top-level packages whose import a function-level import may defer (COMMON.md, issue #11)."""

CYCLE_MARK = "# import cycle:"


# ----------------------------------------------------------------------------- import-linter


def _lint_imports(cwd: Path, pythonpath: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pythonpath), os.environ.get("PYTHONPATH", "")])}
    lint = Path(sys.executable).with_name("lint-imports")
    command = [str(lint)] if lint.is_file() else [sys.executable, "-m", "importlinter.cli"]
    return subprocess.run(
        [*command, "--no-cache", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_import_contracts_hold() -> None:
    out = _lint_imports(ROOT, SRC)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert " 0 broken" in out.stdout, out.stdout


def test_a_broken_layer_is_reported(tmp_path: Path) -> None:
    """The same check on a toy package whose lower layer imports the upper one fails."""
    toy = tmp_path / "toy"
    toy.mkdir()
    (toy / "__init__.py").write_text("")
    (toy / "high.py").write_text("from toy import low\n")
    (toy / "low.py").write_text("def f():\n    from toy import high\n    return high\n")
    (tmp_path / "contracts.toml").write_text(
        '[tool.importlinter]\nroot_package = "toy"\n\n[[tool.importlinter.contracts]]\n'
        'name = "toy layers"\ntype = "layers"\nlayers = ["toy.high", "toy.low"]\n'
    )
    out = _lint_imports(tmp_path, tmp_path, "--config", str(tmp_path / "contracts.toml"))
    assert out.returncode != 0 and "toy.low -> toy.high" in out.stdout, out.stdout + out.stderr


def test_contracts_name_every_top_level_module() -> None:
    """A new top-level module or subpackage must be placed in the layers contract."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    placed = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    present = {
        f"mabe.{p.stem if p.is_file() else p.name}"
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and not p.name.startswith("__")) or (p / "__init__.py").is_file()
    }
    assert present - placed == set(), "add these to the layers contract in pyproject.toml"


# ----------------------------------------------------------------------------- function-level imports


@dataclass(frozen=True)
class LocalImport:
    """One import statement inside a function."""

    path: str
    line: int
    function: str
    modules: tuple[str, ...]
    statement: str
    cycle: bool


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


def local_imports(source: str, path: str = "<string>", module: str = "mabe.x", is_package: bool = False) -> list[LocalImport]:
    """Every import statement inside a function of ``source``, with the modules it may load.

    ``from pkg import name`` may load ``pkg.name`` (a submodule): both are listed;
    the checker drops names that are not modules.
    """
    lines = source.splitlines()
    found: list[LocalImport] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name if function is None else f"{function}.{child.name}"
            elif function is not None and isinstance(child, ast.Import | ast.ImportFrom):
                if isinstance(child, ast.Import):
                    modules = tuple(alias.name for alias in child.names)
                else:
                    base = _resolve(child, module, is_package)
                    modules = (base, *(f"{base}.{alias.name}" for alias in child.names if alias.name != "*"))
                around = " ".join(lines[max(child.lineno - 2, 0): child.end_lineno or child.lineno])
                found.append(LocalImport(
                    path, child.lineno, function, modules, ast.get_source_segment(source, child) or "",
                    CYCLE_MARK in around,
                ))
            visit(child, name)

    visit(ast.parse(source), None)
    return found


_PROBE = textwrap.dedent(
    """
    import importlib, importlib.util, json, os, sys
    heavy = set(json.loads(sys.argv[1]))
    targets = json.loads(sys.stdin.read())
    import numpy, pandas, pydantic, yaml  # light and shared by most modules: loaded once, before forking
    assert not heavy & {m.split(".")[0] for m in sys.modules}, "a preloaded module pulled a heavy one"

    class Stop:
        # stops the child at the first heavy package it asks for (never loads it)
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in heavy:
                os.write(1, ("R " + json.dumps([current, name]) + "\\n").encode())
                os._exit(0)
            return None

    result = {}
    for current in targets:
        if current.split(".")[0] in heavy:
            result[current] = current
            continue
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.dup2(w, 1)
            sys.meta_path.insert(0, Stop())
            try:
                try:
                    found = importlib.util.find_spec(current) is not None
                except ModuleNotFoundError:  # "pkg.module.function": not a module
                    found = False
                if found:
                    importlib.import_module(current)
                os.write(1, ("R " + json.dumps([current, None if found else "-missing-"]) + "\\n").encode())
            except BaseException as exc:
                os.write(1, ("R " + json.dumps([current, "-error- " + repr(exc)]) + "\\n").encode())
            os._exit(0)
        os.close(w)
        data = b""
        while chunk := os.read(r, 65536):
            data += chunk
        os.close(r)
        os.waitpid(pid, 0)
        lines = [l for l in data.decode().splitlines() if l.startswith("R ")]
        result[current] = json.loads(lines[-1][2:])[1] if lines else "-no answer-"
        if result[current] is None:
            # light: load it here too, so later children inherit it (it asks for nothing heavy)
            importlib.import_module(current)
            assert not heavy & {m.split(".")[0] for m in sys.modules}, current
    print("PROBE " + json.dumps(result))
    """
)

_HEAVY_CACHE: dict[str, str | None] = {}


def heavy_import(modules: list[str]) -> dict[str, str | None]:
    """Map each module to the heavy package importing it pulls (None: light; '-missing-': not a module).

    One fresh interpreter answers for all modules (one forked child each); answers are cached.
    """
    todo = sorted({m for m in modules if m not in _HEAVY_CACHE})
    if todo:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, json.dumps(HEAVY)], input=json.dumps(todo),
            capture_output=True, text=True, env=env, timeout=300, check=False,
        )
        lines = [line for line in out.stdout.splitlines() if line.startswith("PROBE ")]
        assert lines, out.stderr[-3000:]
        _HEAVY_CACHE.update(json.loads(lines[-1].removeprefix("PROBE ")))
    return {m: _HEAVY_CACHE[m] for m in modules}


def violations(imports: list[LocalImport]) -> list[str]:
    """The function-level imports that neither defer a heavy module nor break a marked cycle."""
    answers = heavy_import([m for imp in imports for m in imp.modules])
    bad = []
    for imp in imports:
        first, *names = imp.modules
        errors = [answers[m] for m in imp.modules if str(answers[m]).startswith(("-error-", "-no answer-"))]
        if errors:
            bad.append(f"{imp.path}:{imp.line} in {imp.function}(): `{imp.statement}` failed to import: {errors[0]}")
            continue
        # ``from pkg import name``: the package, plus ``pkg.name`` when that is a submodule
        pulled = [answers[m] for m in (first, *names) if answers[m] not in (None, "-missing-")]
        if pulled or imp.cycle:
            continue
        bad.append(f"{imp.path}:{imp.line} in {imp.function}(): `{imp.statement}` is light: move it to the top")
    return bad


def _package_imports() -> list[LocalImport]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if (PACKAGE / "cli") in path.parents:
            continue  # cli command modules import everything inside the command (test_cli_light.py)
        found += local_imports(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), _module_name(path, SRC),
            path.name == "__init__.py",
        )
    return found


def test_the_checker_flags_a_light_import_and_accepts_heavy_or_cycle_ones() -> None:
    source = textwrap.dedent(
        """
        import json

        def light():
            from mabe.errors import MabeError
            return MabeError

        def heavy():
            import torch
            return torch

        def deferred():
            from mabe.training import module
            return module

        def cycle():
            # import cycle: a.b imports this module at top level
            from mabe.errors import DataError
            return DataError

        class K:
            def method(self):
                def inner():
                    import json as j
                    return j
                return inner
        """
    )
    imports = local_imports(source, "synthetic.py", "mabe.synthetic")
    assert [(i.function, i.modules[0]) for i in imports] == [
        ("light", "mabe.errors"), ("heavy", "torch"), ("deferred", "mabe.training"),
        ("cycle", "mabe.errors"), ("method.inner", "json"),
    ]
    bad = violations(imports)
    assert len(bad) == 2, bad
    assert "light()" in bad[0] and "mabe.errors" in bad[0]
    assert "method.inner()" in bad[1]
    # the module-level `import json` is not an in-function import
    assert all(i.line != 2 for i in imports)


def test_heavy_is_measured() -> None:
    answers = heavy_import(["json", "mabe.errors", "mabe.training.module", "mabe.training.nope"])
    assert answers["json"] is None and answers["mabe.errors"] is None
    assert answers["mabe.training.module"] in HEAVY
    assert answers["mabe.training.nope"] == "-missing-"


def test_function_level_imports_defer_heavy_modules() -> None:
    bad = violations(_package_imports())
    assert not bad, "function-level imports outside mabe.cli that are light:\n" + "\n".join(bad)
