"""The README test's parser and checks, on small constructed READMEs: blocks, commands, the tables."""

from __future__ import annotations

import sys

import pytest
from readme_commands import BlockSpec, ReadmeSyntaxError, Substitution, parse, plan, problems

README = """# tool

```bash
tool synth --out data --videos 40   # a comment \\
tool train --data data \\
    --out runs/a \\
    --set "note=a # b"

# a whole-line comment
#SBATCH --nodes=2
srun tool train --data data --set 'x=#1'
```

```
DATA/train.csv   not a command
```

```python
print("not bash")
```

```bash
make demo
```
"""


def test_blocks_and_commands_as_bash_reads_them():
    blocks = parse(README)
    assert [b.line for b in blocks] == [3, 18, 22]
    first, script, second = blocks
    assert [c.key for c in first.commands] == [
        "tool synth --out data --videos 40",
        'tool train --data data --out runs/a --set "note=a # b"',
        "srun tool train --data data --set 'x=#1'",
    ]
    assert [c.line for c in first.commands] == [4, 5, 11]
    # the source is what bash runs: as written, continuations and comments included
    assert first.commands[0].source == "tool synth --out data --videos 40   # a comment \\"
    assert first.commands[1].source == 'tool train --data data \\\n    --out runs/a \\\n    --set "note=a # b"'
    assert first.first == "tool synth --out data --videos 40"
    assert [c.key for c in second.commands] == ["make demo"]
    # a python block is one command: the whole script through the test's Python
    assert [c.key for c in script.commands] == ['python: print("not bash")']
    assert script.commands[0].source == "python -c 'print(\"not bash\")\n'"


def test_a_python_block_runs_as_written(tmp_path):
    import subprocess

    (command,) = parse('```python\nimport sys\n# a comment\nprint("it\'s", 2 + 3)\n```\n')[0].commands
    assert command.key == "python: import sys"
    out = subprocess.run(["bash", "-c", command.source.replace("python", sys.executable, 1)], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert out == "it's 5\n"


def test_a_quote_left_open_continues_and_an_unclosed_one_is_an_error():
    blocks = parse("```bash\necho 'two\nlines'\necho done\n```\n")
    assert [c.key for c in blocks[0].commands] == ["echo 'two lines'", "echo done"]
    with pytest.raises(ReadmeSyntaxError, match="README.md:2: a quote is never closed"):
        parse("```bash\necho 'open\n```\n")
    with pytest.raises(ReadmeSyntaxError, match="a line continuation is never closed"):
        parse("```bash\necho a \\\n```\n")


SPECS = [
    BlockSpec("session", "tool synth --out data --videos 40"),
    BlockSpec("script", 'python: print("not bash")'),
    BlockSpec("demo", "make demo"),
]
TABLE = [
    Substitution("tool synth --out data --videos 40", "tool synth --out data --videos 2", "smaller"),
    Substitution('tool train --data data --out runs/a --set "note=a # b"', None, "no reason to"),
]


def test_a_known_readme_with_current_tables_has_no_problems():
    assert problems(README, SPECS, TABLE) == []


def test_substitutions_match_exact_commands_and_everything_else_runs_verbatim():
    steps = plan(parse(README)[0], TABLE + [Substitution("tool synth --out data", "x", "a prefix is no match")])
    assert [(s.how, s.run) for s in steps] == [
        ("substituted", "tool synth --out data --videos 2"),
        ("not run", None),
        ("verbatim", "srun tool train --data data --set 'x=#1'"),
    ]
    assert steps[1].reason == "no reason to"


def test_an_unknown_block_is_reported():
    text = README + "\n```bash\ntool new-command\n```\n"
    found = problems(text, SPECS, TABLE)
    assert len(found) == 1
    assert found[0].startswith("README.md:26: the ```bash block starting `tool new-command` is not registered")


def test_a_changed_first_command_makes_the_block_unknown_and_its_spec_stale():
    text = README.replace("make demo", "make demo2")
    found = problems(text, SPECS, TABLE)
    assert any("block starting `make demo2` is not registered" in p for p in found)
    assert any("`make demo` (demo) starts no ```bash block of README.md any more (stale)" in p for p in found)


def test_a_stale_or_duplicate_substitution_is_reported():
    stale = Substitution("tool synth --out data --videos 99", "x", "the README said 99 once")
    found = problems(README, SPECS, TABLE + [stale, TABLE[0]])
    assert found == [
        "SUBSTITUTIONS in the test module: `tool synth --out data --videos 99` is no command of README.md "
        "any more (stale): update or remove the entry",
        "SUBSTITUTIONS in the test module: `tool synth --out data --videos 40` is listed twice",
    ]


def test_a_shell_like_fence_that_is_not_bash_is_reported():
    found = problems(README + "\n```sh\ntool sneaky\n```\n", SPECS, TABLE)
    assert found == ["README.md:26: a ```sh block: write ```bash so the README test runs it"]
