"""Every command the README shows runs, exactly as written, in ``make test`` (issue #16).

Each ```bash block of README.md is one test (``test_readme_block[<name>]``). Its commands run
in order with bash, each as its own ``bash -c``, in a fresh directory ``TMP/work`` that has
``TMP/shared`` beside it (a link to the real shared folder, so ``../shared/data/...`` works as
in a clone). Blocks do not share a directory: a block that uses data it does not make (the
GPU block's ``data``) has a ``setup`` in :data:`BLOCKS`, run first and reported as such.
``mabe`` is the one next to this Python (``Path(sys.executable).parent`` first on ``PATH``)
importing the package under test.

Every command runs verbatim unless :data:`SUBSTITUTIONS` names it exactly (its one-line form:
continuations joined, comment dropped, whitespace collapsed); an entry says what runs instead,
or that it is not run, and why. A README block that :data:`BLOCKS` does not know, or an entry
of either table whose README command is gone, fails ``test_readme_commands_are_all_known``
(fast). Any command exiting non-zero fails its block's test with the command, the exit code
and the tail of its output. The README's Development section summarises the table.

Each command's exit code and wall time are printed at the end of its block's test
(``pytest -s``) and appended to ``readme_commands.md`` in pytest's base temporary directory.
"""

from __future__ import annotations

import inspect
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from readme_commands import BlockSpec, Step, Substitution, parse, plan, problems

import mabe

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
HERE = Path(__file__).resolve().parent
TABLE = "tests/readme/test_readme.py"
TIMEOUT = 900  # seconds per command; a hang (e.g. DDP waiting for a peer) fails instead of blocking CI

# Smaller data and training for the synthetic-data sessions (the README's numbers are for users).
# Two labs, so the test videos are of labs seen in training and predict finds intervals.
SYNTH = "mabe synth --out data --videos 8 --seed 1 --minutes 1 --labs CalMS21_task2,JovialSwallow"
# The ensemble with both members, tiny: --budget would drop the network on data this small
# (and `mabe checkpoints` would list nothing), so folds, epochs, windows and trees are set.
TINY_ENSEMBLE = "--folds 2 --set epochs=1 --set max_windows_per_epoch=64 --set lgbm.n_estimators=20"
TINY_NET = "--set epochs=1 --set max_windows_per_epoch=64"
NOT_MODAL = (
    "needs a Modal account and token (`modal token new`) and runs in Modal's cloud; "
    "tests/unit/cloud/test_modal_app.py builds the app offline and calls each entrypoint with the remote functions faked"
)
# {python}: this Python; {tests}: this folder; {port}: a free TCP port
SUBSTITUTIONS: list[Substitution] = [
    # Quick start
    Substitution("make demo", "mabe demo --out demo_run --set epochs=1 --set max_windows_per_epoch=32 --set lstm_hidden=8",
                 "the Makefile's demo recipe (`mabe demo --out demo_run`, checked below) with a tiny network; "
                 "`make` itself would write demo_run/ into the clone"),
    Substitution("make test", None, "this test runs inside make test"),
    # A typical session
    Substitution("mabe synth --out data --videos 40 --seed 1", SYNTH, "8 one-minute videos of two labs instead of 40 of all 19"),
    Substitution("mabe train --data data --out runs/a", f"mabe train --data data --out runs/a {TINY_ENSEMBLE}",
                 "the default ensemble, tiny: 2 folds, 1 epoch of 64 windows, 20 trees"),
    Substitution("mabe cv --data data --out runs/cv --folds 5", f"mabe cv --data data --out runs/cv {TINY_ENSEMBLE}",
                 "2 folds instead of 5, 1 epoch of 64 windows, 20 trees"),
    # Kaggle
    Substitution("mabe download --out data", "{python} {tests}/fake_kaggle.py download --out data",
                 "needs Kaggle credentials and internet: mabe's own CLI with the Kaggle client serving a synthetic "
                 "competition (tests/readme/fake_kaggle.py, as tests/cli/test_cli_download.py fakes it)"),
    Substitution("mabe download --out data --files 'train.csv' --files 'train_tracking/CalMS21*/*'",
                 "{python} {tests}/fake_kaggle.py download --out data --files 'train.csv' --files 'train_tracking/CalMS21*/*'",
                 "as above"),
    # `mabe train --data data --out runs/a` of the Kaggle block: the entry of the typical session
    # GPUs and clusters: CPU instead of GPU, 2 processes instead of 4 GPUs, one node
    Substitution("mabe train --data data --out runs/g1 --set accelerator=gpu --set precision=bf16-mixed",
                 f"mabe train --data data --out runs/g1 --set accelerator=cpu --set precision=bf16-mixed {TINY_ENSEMBLE}",
                 "no GPU in CI: accelerator=cpu (bf16 autocast runs on the CPU), tiny ensemble"),
    Substitution("mabe train --data data --out runs/g4 --config recommended --set accelerator=gpu --set strategy=ddp --set devices=4",
                 f"mabe train --data data --out runs/g4 --config recommended --set accelerator=cpu --set strategy=ddp --set devices=2 {TINY_NET}",
                 "no GPU in CI: DDP over 2 CPU processes (gloo), started by Lightning; 1 epoch of 64 windows"),
    Substitution("torchrun --nnodes=2 --nproc-per-node=4 --node-rank=$NODE --master-addr=$HEAD --master-port=29500 "
                 "-m mabe train --data /shared/data --out /shared/runs/big --config recommended "
                 "--set accelerator=gpu --set strategy=ddp --set devices=4 --set num_nodes=2",
                 "torchrun --nnodes=1 --nproc-per-node=2 --node-rank=0 --master-addr=127.0.0.1 --master-port={port} "
                 "-m mabe train --data data --out runs/big --config recommended "
                 f"--set accelerator=cpu --set strategy=ddp --set devices=2 --set num_nodes=1 {TINY_NET}",
                 "one machine without GPUs: one node of 2 CPU processes on 127.0.0.1 (a free port), the block's data"),
    Substitution("srun mabe train --data /shared/data --out /shared/runs/big --config recommended "
                 "--set accelerator=gpu --set strategy=ddp --set devices=4 --set num_nodes=2",
                 "MASTER_PORT={port} {python} {tests}/fake_srun.py --ntasks-per-node=2 mabe train --data data --out runs/big-slurm "
                 f"--config recommended --set accelerator=cpu --set strategy=ddp --set devices=2 --set num_nodes=1 {TINY_NET}",
                 "no SLURM in CI: tests/readme/fake_srun.py starts 2 tasks with srun's variables (Lightning's SLURM "
                 "environment); CPU, one node; runs/big-slurm because the torchrun line wrote runs/big"),
    # Modal
    Substitution("modal run -m mabe.cloud.modal_app::download", None, NOT_MODAL),
    Substitution('modal run -m mabe.cloud.modal_app::train --run r1 --gpu H100 --timeout-hours 8 --overrides "epochs=30;batch_size=256"',
                 None, NOT_MODAL),
    Substitution('modal run -m mabe.cloud.modal_app::train --run r2 --gpu H100:2 --config recommended --overrides "strategy=ddp;devices=2"',
                 None, NOT_MODAL),
    Substitution("modal run -m mabe.cloud.modal_app::predict --run r1", None, NOT_MODAL),
    Substitution("modal run -m mabe.cloud.modal_app::score --run r1 --split test", None, NOT_MODAL),
    Substitution("modal run -m mabe.cloud.modal_app::checkpoints --run r1", None, NOT_MODAL),
    Substitution("modal run -m mabe.cloud.modal_app::fetch --run r1 --out r1", None, NOT_MODAL),
    Substitution("modal volume get mabe-vol runs/r1 ./r1", None, NOT_MODAL),
    # Development
    Substitution("make test-fast", None, "its tests are a subset of make test's, which this test runs in"),
    Substitution("make lint", None, "make test runs it first"),
    Substitution("make bench", None, "measures for minutes and checks nothing; benchmarks/README.md"),
    Substitution("make setup", None, "make test depends on it (test -> lint -> setup)"),
    Substitution("pre-commit install", None,
                 "writes the clone's .git/hooks, and pre-commit is not a project dependency; "
                 "tests/unit/test_tooling.py checks its hooks are make lint's pinned tools"),
    Substitution("pre-commit run --all-files", None, "as above; it also fetches the ruff hook from GitHub"),
]

BLOCKS: list[BlockSpec] = [
    BlockSpec("quick-start", "make demo"),
    BlockSpec("typical-session", "mabe synth --out data --videos 40 --seed 1"),
    BlockSpec("dlc-import", "mabe import ../shared/data/ethome_dlc/*_DLC.csv --out ethome --lab ethome --fps 30 "
              "--min-confidence 0.5 --annotations ../shared/data/ethome_dlc/*_boris.csv --annotation-format boris "
              "--target juvenile --split-minutes 1 --test-last 1"),
    # the fake Kaggle serves a synthetic competition without test labels, as Kaggle has none
    BlockSpec("results", "mabe stats --submission ethome_pred.csv --data ethome --split test --out stats/predicted",
              continues="dlc-import"),
    BlockSpec("render", "mabe render --data ethome --video-id 3 --labels --submission ethome_pred.csv --seconds 20 "
              "--out clip.mp4", continues="dlc-import"),
    BlockSpec("from-python", "python: import mabe", continues="dlc-import"),
    BlockSpec("kaggle", "mabe download --out data",
              setup=(SYNTH.replace("--out data", "--out ../kaggle"), "rm -r ../kaggle/test_annotation"),
              env={"MABE_FAKE_KAGGLE": "../kaggle"}),
    BlockSpec("gpus-clusters", "mabe train --data data --out runs/g1 --set accelerator=gpu --set precision=bf16-mixed",
              setup=(SYNTH,)),
    BlockSpec("modal", "modal run -m mabe.cloud.modal_app::download"),
    BlockSpec("development", "make test"),
    BlockSpec("pre-commit", "make setup"),
]


def test_readme_commands_are_all_known():
    """Every ```bash block is registered and every table entry names a current README command."""
    assert problems(README.read_text(encoding="utf-8"), BLOCKS, SUBSTITUTIONS, TABLE) == []


def test_make_targets_of_the_readme_exist_and_make_demo_is_mabe_demo():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    commands = [c.key for block in parse(README.read_text(encoding="utf-8")) for c in block.commands]
    for command in commands:
        if command.startswith("make "):
            assert command.split()[1] in targets, f"README runs `{command}`: no such target in the Makefile"
    recipe = re.search(r"^demo:.*\n\t(.*)$", makefile, re.M)
    assert recipe and recipe.group(1) == "$(BIN)/mabe demo --out demo_run", "the `make demo` substitution assumes this recipe"


@pytest.mark.slow  # imports modal (~2 s)
def test_modal_commands_name_its_entrypoints_and_their_options():
    """The README's `modal run` lines are not run (no account in CI); their entrypoints and options exist."""
    modal_app = pytest.importorskip("mabe.cloud.modal_app")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entrypoints = modal_app.app.registered_entrypoints
    commands = [c.key for block in parse(README.read_text(encoding="utf-8")) for c in block.commands]
    checked = 0
    for command in (c for c in commands if c.startswith("modal run ")):
        words = shlex.split(command)
        module, _, name = words[words.index("-m") + 1].partition("::")
        assert module == modal_app.__name__ and name in entrypoints, command
        parameters = inspect.signature(entrypoints[name].info.raw_f).parameters
        options = [w[2:].split("=")[0].replace("-", "_") for w in words[words.index("-m") + 2 :] if w.startswith("--")]
        assert set(options) <= set(parameters), f"`{command}`: {sorted(set(options) - set(parameters))} not options of {name}"
        checked += 1
    assert checked >= 4


def _shared() -> Path | None:
    """The shared folder (holding data/): ``$MABE_SHARED_DATA``'s parent, else ``<repo>/../shared``."""
    env = os.environ.get("MABE_SHARED_DATA")
    shared = Path(env).resolve().parent if env else (REPO / ".." / "shared").resolve()
    return shared if (shared / "data").is_dir() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fill(text: str) -> str:
    """A substitution or setup command with its placeholders ({python}, {tests}, {port}) filled in."""
    return text.replace("{python}", sys.executable).replace("{tests}", str(HERE)).replace("{port}", str(_free_port()))


def _environment(spec: BlockSpec, work: Path) -> dict[str, str]:
    """This process's environment, with this Python's bin first on PATH and the package under test importable."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    src = str(Path(mabe.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env.update({key: str((work / value).resolve()) for key, value in spec.env.items()})
    return env


def _bash(command: str, work: Path, env: dict[str, str]) -> tuple[int, str, float]:
    """Run ``command`` with bash in ``work``: (exit code, stdout and stderr interleaved, seconds)."""
    started = time.perf_counter()
    proc = subprocess.Popen(["bash", "--noprofile", "--norc", "-c", command], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        output += f"\n(killed after {TIMEOUT} s)"
    return proc.returncode, output, time.perf_counter() - started


def _one_line(text: str, width: int = 110) -> str:
    line = " ".join(text.split()).replace("|", "\\|")
    return line if len(line) <= width else line[: width - 1] + "…"


def _report(name: str, rows: list[tuple[str, str, str, str, str]], base: Path) -> str:
    lines = [f"README block {name}", "| line | README command | ran | exit | seconds |", "|---|---|---|---|---|"]
    lines += [f"| {line} | `{_one_line(cmd)}` | {how} | {code} | {sec} |" for line, cmd, how, code, sec in rows]
    table = "\n".join(lines) + "\n"
    with (base / "readme_commands.md").open("a", encoding="utf-8") as handle:
        handle.write(table + "\n")
    return table


def _steps(spec: BlockSpec) -> list[Step]:
    """The block's steps, then those of every block that continues it (in its directory)."""
    block = next((b for b in parse(README.read_text(encoding="utf-8")) if b.first == spec.first), None)
    if block is None:
        pytest.fail(f"no ```bash block of README.md starts with `{spec.first}`; see test_readme_commands_are_all_known")
    steps: list[Step] = plan(block, SUBSTITUTIONS)
    for follower in (s for s in BLOCKS if s.continues == spec.name):
        steps += _steps(follower)
    return steps


def test_continued_blocks_exist():
    names = {spec.name for spec in BLOCKS}
    assert all(spec.continues in names for spec in BLOCKS if spec.continues), "a block continues an unknown block"


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s for s in BLOCKS if not s.continues], ids=[s.name for s in BLOCKS if not s.continues])
def test_readme_block(spec: BlockSpec, tmp_path, tmp_path_factory):
    steps = _steps(spec)
    shared = _shared()
    if shared is None:
        if any("../shared" in s.command.source for s in steps if s.run is not None):
            pytest.skip("the shared data folder is absent (set MABE_SHARED_DATA or put it at <repo>/../shared)")
    else:
        (tmp_path / "shared").symlink_to(shared, target_is_directory=True)
    work = tmp_path / "work"
    work.mkdir()
    env = _environment(spec, work)
    assert shutil.which("mabe", path=env["PATH"]) == str(Path(sys.executable).parent / "mabe")

    rows: list[tuple[str, str, str, str, str]] = []
    failure = None
    todo = [("setup", None, _fill(c)) for c in spec.setup] + [(s.how, s, s.run) for s in steps]
    for how, step, command in todo:
        line = str(step.command.line) if step else "-"
        shown = step.command.key if step else command
        if command is None:
            rows.append((line, shown, "not run", "-", "-"))
            continue
        if step is not None and how == "substituted":
            command = _fill(command)
        code, output, seconds = _bash(command, work, env)
        rows.append((line, shown, how, str(code), f"{seconds:.1f}"))
        if code != 0:
            tail = "\n".join(output.splitlines()[-40:])
            failure = f"README.md:{line}: `{command}` exited {code} after {seconds:.0f} s; its output ends:\n{tail}"
            break
    print("\n" + _report(spec.name, rows, tmp_path_factory.getbasetemp()))
    if failure:
        pytest.fail(failure)
    shutil.rmtree(work)  # runs, bundles and datasets: hundreds of MB; kept when the block fails
