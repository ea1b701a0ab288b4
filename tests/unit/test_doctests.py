"""Every example in every docstring of ``mabe`` runs, and a wrong one fails the suite.

One test per module (found with :mod:`pkgutil`, so a new module is covered
without touching this file), each run in an empty working directory so an
example that writes a file cannot litter the repository. A second check counts
the ``>>>`` lines of each module's source against the examples doctest found:
an example doctest cannot see (in a comment, in a nested function) would
otherwise never run and never fail.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import sys
import textwrap
import types
from pathlib import Path

import pytest

import mabe

OPTIONS = doctest.ELLIPSIS
"""Only ``...`` for long outputs; whitespace and reprs must match exactly."""


def _module_names() -> list[str]:
    names = ["mabe"] + [info.name for info in pkgutil.walk_packages(mabe.__path__, prefix="mabe.")]
    return sorted(names)


MODULES = _module_names()


def run_doctests(module: types.ModuleType) -> tuple[doctest.TestResults, list[doctest.DocTest], str]:
    """Run the examples of ``module``; return the results, the tests found and the failure report."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = finder.find(module, module.__name__)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    lines: list[str] = []
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test, out=lines.append)
    return runner.summarize(verbose=False), tests, "".join(lines)


def _source_examples(module: types.ModuleType) -> int:
    """``>>>`` prompts in the module's source file."""
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    return sum(line.lstrip().startswith(">>>") for line in source.splitlines())


@pytest.mark.parametrize("name", MODULES)
def test_module_examples_pass(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    results, tests, report = run_doctests(module)
    assert results.failed == 0, f"{name}: {results.failed} of {results.attempted} examples failed\n{report}"
    found = sum(len(t.examples) for t in tests)
    assert found == _source_examples(module), f"{name}: {found} examples found by doctest, source has more"


def test_every_module_is_covered() -> None:
    """The walk finds the package's modules, and examples exist in many of them."""
    assert {"mabe.__main__", "mabe.features.anchors", "mabe.cloud.modal_app"} <= set(MODULES)
    with_examples = [n for n in MODULES if _source_examples(importlib.import_module(n))]
    assert len(with_examples) >= 30, with_examples


def test_a_wrong_example_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Self-check: the runner used above reports a wrong expected output (and a raising example)."""
    source = textwrap.dedent(
        '''
        """A module with one right, one wrong and one raising example."""


        def double(x):
            """Return twice ``x``.

            >>> double(2)
            4
            >>> double(3)
            7
            >>> double(None)
            0
            """
            return 2 * x
        '''
    )
    (tmp_path / "wrong_example_module.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("wrong_example_module")
    try:
        results, tests, report = run_doctests(module)
    finally:
        sys.modules.pop("wrong_example_module", None)
    assert (results.attempted, results.failed) == (3, 2)
    assert "Expected:\n    7\nGot:\n    6" in report
    assert "TypeError" in report
    assert sum(len(t.examples) for t in tests) == _source_examples(module) == 3
