"""The README's ```bash blocks as commands, and the checks that keep the README test honest.

Imported by the test modules of this folder (pytest puts the folder on ``sys.path``).

A block is split into commands as bash reads them: blank lines and whole-line comments
(``# one GPU``, ``#SBATCH ...``) are skipped, a line ending in ``\\`` (outside quotes and
comments) continues on the next one, a quote left open continues too, and a ``#`` that starts
a word outside quotes begins a comment. Each :class:`Command` keeps its text as written (what
bash runs) and a one-line ``key`` (continuations joined, comment dropped, whitespace collapsed)
that the substitution table matches exactly.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

RUN_LANGUAGE = "bash"
PYTHON_LANGUAGE = "python"
"""A ```python block is one command: the whole script, run as ``python -c SCRIPT`` (the test's Python)."""
# fences that look like commands but would not be run: the README must say ```bash for those
SHELL_LIKE = frozenset({"sh", "shell", "console", "zsh", "shell-session"})
_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")


class ReadmeSyntaxError(ValueError):
    """A ```bash block whose commands cannot be split (an unterminated quote or continuation)."""


@dataclass(frozen=True)
class Command:
    """One command of a block: ``source`` as written, ``key`` for matching, ``line`` in the README (1-based)."""

    line: int
    source: str
    key: str


@dataclass(frozen=True)
class Block:
    """A ```bash block: the line of its opening fence and its commands in order."""

    line: int
    commands: tuple[Command, ...]

    @property
    def first(self) -> str:
        """The key of the block's first command: the block's identity in the registry."""
        return self.commands[0].key if self.commands else ""


@dataclass(frozen=True)
class Substitution:
    """A README command that CI runs differently: ``run`` instead (``None``: not run), and why."""

    readme: str
    run: str | None
    reason: str


@dataclass(frozen=True)
class BlockSpec:
    """A known README block: test id, the key of its first command, and what it needs beforehand.

    ``setup`` commands run first in the block's directory (for a block that uses a dataset it
    does not create) and may use the placeholders of the substitution table; ``env`` adds
    variables to every command's environment, each a path relative to the block's directory.
    ``continues`` names the block whose files this one uses ("After the DeepLabCut example
    above, in the same directory"): it runs right after that block, in its directory, as part
    of that block's test.
    """

    name: str
    first: str
    setup: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    continues: str | None = None


def fences(text: str) -> list[tuple[int, str, list[str]]]:
    """Every fenced block of a markdown text: (line of the opening fence, language, body lines)."""
    found: list[tuple[int, str, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        marker, language = opening.group(1), opening.group(2).lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j].startswith(marker[0] * len(marker)):
            body.append(lines[j])
            j += 1
        found.append((i + 1, language, body))
        i = j + 1
    return found


def _scan(line: str, quote: str | None) -> tuple[str, str | None, bool]:
    """Bash's view of one line: (code before any comment, quote still open at its end, had a comment)."""
    code: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if quote == "'":
            quote = None if char == "'" else quote
        elif char == "\\" and i + 1 < len(line):
            code.append(line[i : i + 2])
            i += 2
            continue
        elif quote == '"':
            quote = None if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return "".join(code), quote, True
        code.append(char)
        i += 1
    return "".join(code), quote, False


def split_commands(body: Sequence[str], first_line: int) -> list[Command]:
    """The commands of a block body whose first line is README line ``first_line``."""
    commands: list[Command] = []
    source: list[str] = []
    parts: list[str] = []
    quote: str | None = None
    start = first_line
    for offset, line in enumerate(body):
        if not source and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not source:
            start = first_line + offset
        code, quote, commented = _scan(line, quote)
        source.append(line)
        stripped = code.rstrip()
        continued = quote is None and not commented and stripped.endswith("\\") and not stripped.endswith("\\\\")
        parts.append(stripped[:-1] if continued else code)
        if quote is None and not continued:
            commands.append(Command(start, "\n".join(source).rstrip(), " ".join(" ".join(parts).split())))
            source, parts = [], []
    if source:
        what = "a quote" if quote else "a line continuation"
        raise ReadmeSyntaxError(f"README.md:{start}: {what} is never closed in this ```bash block")
    return commands


def python_command(body: Sequence[str], first_line: int) -> Command:
    """A ```python block as one command; its key is ``python: `` and the script's first code line."""
    code = [line for line in body if line.strip() and not line.lstrip().startswith("#")]
    script = "\n".join(body) + "\n"
    return Command(first_line, "python -c " + shlex.quote(script), "python: " + (code[0].strip() if code else ""))


def parse(text: str) -> list[Block]:
    """The ```bash blocks of a markdown text split into commands, and each ```python block as one, in order."""
    blocks = []
    for line, language, body in fences(text):
        if language == RUN_LANGUAGE:
            blocks.append(Block(line, tuple(split_commands(body, line + 1))))
        elif language == PYTHON_LANGUAGE and any(b.strip() for b in body):
            blocks.append(Block(line, (python_command(body, line + 1),)))
    return blocks


def problems(
    text: str, specs: Iterable[BlockSpec], substitutions: Iterable[Substitution], table: str = "the test module"
) -> list[str]:
    """What keeps the README test from running every README command: one line per problem.

    A ```bash block whose first command no spec names, a spec or substitution naming a README
    command that is gone (stale), a substitution listed twice, and a shell-like fence that is
    not ```bash (it would silently not run).
    """
    blocks = parse(text)
    specs, substitutions = list(specs), list(substitutions)
    found: list[str] = []
    known = {spec.first for spec in specs}
    for block in blocks:
        if not block.commands:
            found.append(f"README.md:{block.line}: an empty ```bash block")
        elif block.first not in known:
            found.append(
                f"README.md:{block.line}: the ```bash block starting `{block.first}` is not registered: "
                f"add a BlockSpec for it to BLOCKS in {table} (with a setup if it needs data it does not make)"
            )
    firsts = {block.first for block in blocks}
    found += [
        f"BLOCKS in {table}: `{spec.first}` ({spec.name}) starts no ```bash block of README.md any more (stale)"
        for spec in specs
        if spec.first not in firsts
    ]
    keys = {command.key for block in blocks for command in block.commands}
    seen: set[str] = set()
    for entry in substitutions:
        if entry.readme in seen:
            found.append(f"SUBSTITUTIONS in {table}: `{entry.readme}` is listed twice")
        seen.add(entry.readme)
        if entry.readme not in keys:
            found.append(
                f"SUBSTITUTIONS in {table}: `{entry.readme}` is no command of README.md any more (stale): "
                "update or remove the entry"
            )
    found += [
        f"README.md:{line}: a ```{language} block: write ```bash so the README test runs it"
        for line, language, _ in fences(text)
        if language in SHELL_LIKE
    ]
    return found


@dataclass(frozen=True)
class Step:
    """What the test does with one README command: ``run`` (``None``: not run) and how it was chosen."""

    command: Command
    run: str | None
    how: str  # "verbatim", "substituted" or "not run"
    reason: str = ""


def plan(block: Block, substitutions: Iterable[Substitution]) -> list[Step]:
    """Every command of ``block``: run as written unless an entry of ``substitutions`` names it exactly."""
    table = {entry.readme: entry for entry in substitutions}
    steps = []
    for command in block.commands:
        entry = table.get(command.key)
        if entry is None:
            steps.append(Step(command, command.source, "verbatim"))
        elif entry.run is None:
            steps.append(Step(command, None, "not run", entry.reason))
        else:
            steps.append(Step(command, entry.run, "substituted", entry.reason))
    return steps
