"""One owner per concept (issue #11), checked on the source text.

* The files of a run directory are named only by :class:`mabe.training.run.Run`
  (every other module asks it for ``run.summary_path`` and the like): a string
  literal ``"summary.json"`` anywhere else is a second place that knows the layout.
* A submission table is built only by :mod:`mabe.data.submission`
  (``interval_rows`` / ``assemble_submission``): a ``DataFrame`` with every
  submission column, or a hand-numbered ``row_id``, anywhere else is a second
  submission builder.

There are no exceptions: every module follows every rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "mabe"

RUN_FILES = frozenset(
    {"summary.json", "decode.json", "config.yaml", "ensemble.json", "cv.json", "run.json", "metrics.csv", "index.json",
     "cv_plan.json"}
)
"""Files of a run directory (single-model and ensemble)."""

RUN_FILE_OWNERS: dict[str, frozenset[str]] = {
    "training/run.py": RUN_FILES,  # Run: every path of a run directory
    # a tree-model directory (an lgbm fold) is not a run; its own record is named by its owner
    "training/trees.py": frozenset({"summary.json"}),
}


SUBMISSION_COLUMNS = frozenset({"video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"})

SUBMISSION_OWNERS = frozenset(
    {
        "data/submission.py",  # the owner
        "data/io.py",  # builds the *solution* (labels, with lab_id and behaviors_labeled), not a submission
    }
)



def run_file_literals(source: str) -> list[tuple[int, str]]:
    """``(line, name)`` of every string literal that is exactly a run-directory file name."""
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in RUN_FILES
    ]


def _frame_columns(call: ast.Call) -> set[str]:
    names: set[str] = set()
    if call.args and isinstance(call.args[0], ast.Dict):
        names |= {k.value for k in call.args[0].keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    for kw in call.keywords:
        if kw.arg == "columns" and isinstance(kw.value, (ast.List, ast.Tuple)):
            names |= {e.value for e in kw.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return names


def submission_builds(source: str) -> list[int]:
    """Lines that build a submission by hand: a DataFrame of every submission column, or a ``row_id`` numbered."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "DataFrame" and SUBMISSION_COLUMNS <= _frame_columns(node):
                lines.append(node.lineno)
            if name == "insert" and any(isinstance(a, ast.Constant) and a.value == "row_id" for a in node.args):
                lines.append(node.lineno)
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value == "row_id"
        ):
            lines.append(node.lineno)
    return lines


def _modules() -> list[tuple[str, str]]:
    if not SRC.is_dir():
        pytest.skip(f"{SRC}: no sources next to the tests")
    return [(p.relative_to(SRC).as_posix(), p.read_text(encoding="utf-8")) for p in sorted(SRC.rglob("*.py"))]


def test_the_checks_see_what_they_look_for():
    code = (
        '"""Docstrings may name summary.json."""\n'
        "import pandas as pd\n"
        "def f(run):\n"
        '    """Read ``decode.json``."""\n'
        '    text = f"{run / \'decode.json\'}"\n'
        '    return (run / "summary.json").read_text(), text, "no cv.json here"\n'
        "def g(n):\n"
        '    t = pd.DataFrame({"video_id": [1], "agent_id": ["mouse1"], "target_id": ["self"],\n'
        '                      "action": ["rear"], "start_frame": [0], "stop_frame": [n]})\n'
        '    t["row_id"] = range(len(t))\n'
        "    return t\n"
    )
    assert run_file_literals(code) == [(5, "decode.json"), (6, "summary.json")]
    assert sorted(submission_builds(code)) == [8, 10]


def test_run_directory_files_are_named_only_by_their_owner():
    found = []
    for module, source in _modules():
        allowed = RUN_FILE_OWNERS.get(module, frozenset())
        found += [f"{module}:{line}: {name!r}" for line, name in run_file_literals(source) if name not in allowed]
    assert not found, "ask mabe.training.run.Run for the path instead:\n" + "\n".join(found)


def test_workflows_and_plots_spell_no_run_file():
    found = [
        f"{module}:{line}: {name!r}"
        for module, source in _modules()
        if module.startswith(("workflows/", "plots/"))
        for line, name in run_file_literals(source)
    ]
    assert not found, "\n".join(found)


def test_submissions_are_built_only_by_data_submission():
    found = [
        f"{module}:{line}"
        for module, source in _modules()
        if module not in SUBMISSION_OWNERS
        for line in submission_builds(source)
    ]
    assert not found, "build rows with mabe.data.submission.interval_rows / assemble_submission:\n" + "\n".join(found)




def terminal_uses(source: str) -> list[int]:
    """Lines that talk to the terminal: ``print(...)``, or an import of typer, rich or :mod:`mabe.cli`."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            lines.append(node.lineno)
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        if any(n.split(".")[0] in ("typer", "rich") or n == "mabe.cli" or n.startswith("mabe.cli.") for n in names):
            lines.append(node.lineno)
    return lines


def test_terminal_check_sees_print_and_cli_imports():
    code = "import typer\nfrom mabe.cli.tables import print_table\ndef f():\n    print('x')\n    return 'print(no)'\n"
    assert sorted(terminal_uses(code)) == [1, 2, 4]


def test_workflows_and_plots_never_talk_to_the_terminal():
    found = [
        f"{module}:{line}"
        for module, source in _modules()
        if module.startswith(("workflows/", "plots/"))
        for line in terminal_uses(source)
    ]
    assert not found, "return data (or use mabe.progress.status); only mabe.cli prints:\n" + "\n".join(found)
