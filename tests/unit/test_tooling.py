"""The contributor tooling agrees with itself: pre-commit hooks, Makefile targets and pyproject pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, str]:
    """``name -> version`` of the ``==`` pins of the ``test`` extra in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {}
    for requirement in project["optional-dependencies"]["test"]:
        name, _, version = requirement.partition("==")
        pins[name.strip().lower()] = version.strip()
    return pins


def _hooks() -> dict[str, tuple[dict, dict]]:
    """``hook id -> (repo entry, hook entry)`` of .pre-commit-config.yaml."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: (repo, hook) for repo in config["repos"] for hook in repo["hooks"]}


def _make_rules() -> dict[str, tuple[list[str], list[str]]]:
    """``target -> (prerequisites, recipe lines)`` of the Makefile (no includes, no patterns)."""
    rules: dict[str, tuple[list[str], list[str]]] = {}
    current = None
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([\w.$()/-]+):(?!=)\s*(.*)$", line)
        if match:
            current = match.group(1)
            rules[current] = (match.group(2).split(), [])
        elif line.startswith("\t") and current is not None:
            rules[current][1].append(line.strip())
        elif line.strip() and not line.startswith("#"):
            current = None
    return rules


def test_the_tools_are_pinned_in_the_test_extra() -> None:
    pins = _pins()
    for tool in ("pytest", "ruff", "mypy", "import-linter"):
        assert re.fullmatch(r"\d+(\.\d+)+", pins.get(tool, "")), (tool, pins)


def test_pre_commit_ruff_is_the_pinned_ruff() -> None:
    repo, hook = _hooks()["ruff-check"]
    assert repo["repo"] == "https://github.com/astral-sh/ruff-pre-commit"
    assert repo["rev"] == f"v{_pins()['ruff']}"
    assert not {"--fix", "--unsafe-fixes"} & set(hook.get("args", [])), "a hook checks, it does not rewrite"


@pytest.mark.parametrize(("hook_id", "tool"), [("mypy", "mypy"), ("lint-imports", "import-linter")])
def test_local_hooks_run_the_project_venv(hook_id: str, tool: str) -> None:
    repo, hook = _hooks()[hook_id]
    assert repo["repo"] == "local"
    assert hook["language"] == "system" and hook["pass_filenames"] is False
    assert hook["entry"] == f".venv/bin/{hook_id}"
    assert tool in _pins(), f"{tool} is installed into .venv by the test extra"


def test_make_targets_chain_lint_into_test() -> None:
    rules = _make_rules()
    assert {"lint", "test", "test-fast", "demo", "setup"} <= set(rules)
    assert "lint" in rules["test"][0], "make test runs lint first"
    assert any("pytest" in line for line in rules["test"][1])
    lint = " ".join(rules["lint"][1])
    for command in ("$(BIN)/ruff check .", "$(BIN)/mypy", "$(BIN)/lint-imports"):
        assert command in lint, command
    fast = " ".join(rules["test-fast"][1])
    assert '-m "not slow"' in fast and "tests/unit" in fast


def test_slow_marker_is_declared_and_strict() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in options["addopts"]
    assert any(marker.startswith("slow:") for marker in options["markers"])
