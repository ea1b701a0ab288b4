"""Property-based: a randomly broken dataset never crashes a command or changes its inputs (issue 9).

Each example copies the small dataset and a valid submission, breaks one file
(``corruptions.py``) and runs ``validate``, ``info``, ``score`` and
``predict`` in-process: each works (``validate`` may exit 1, listing the
problems) or prints one line naming the broken file with exit 2, never a
traceback, and leaves every input file byte-identical. A few examples here;
``benchmarks/bench_fuzz.py`` runs hundreds.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import corruptions as cz
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

KIND_OP = st.sampled_from(cz.all_corruptions())
PICK = st.integers(0, 1000)
U = st.floats(0.0, 1.0, allow_nan=False)
FAST = settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def trained(small_dataset):
    """A tiny trained run and a valid submission of the small dataset's test split."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="mabe_fuzz_"))
    run, sub = work / "run", work / "submission.csv"
    res = cz.invoke("train", "--data", small_dataset, "--out", run, "--config", "demo", "--set", "epochs=1",
                    "--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=32")
    assert res.code == 0, res.err
    res = cz.invoke("predict", "--run", run, "--data", small_dataset, "--out", sub)
    assert res.code == 0, res.err
    yield small_dataset, run, sub
    torch.set_num_threads(threads)
    shutil.rmtree(work, ignore_errors=True)


def _check(trained, kind_op, pick, u, commands):
    data, run, sub = trained
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "data"
        shutil.copytree(data, case)
        shutil.copy(sub, case / "submission.csv")
        c = cz.Corruption(*kind_op, pick, u)
        broken = cz.apply(case, c)
        before, run_before = cz.tree_hashes(case), cz.tree_hashes(run)
        for name in commands:
            args, allowed = {
                "validate": (("validate", case), (0, 1)),
                "info": (("info", case), (0,)),
                "score": (("score", "--data", case, "--submission", case / "submission.csv"), (0,)),
                "predict": (("predict", "--run", run, "--data", case, "--out", Path(tmp) / "out.csv"), (0,)),
                "train": (("train", "--data", case, "--out", Path(tmp) / "run", "--config", "demo", "--set", "epochs=1",
                           "--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=16", "--no-tune"), (0,)),
            }[name]
            outcome = cz.invoke(*args)
            why = cz.judge(outcome, broken, allowed)
            assert why is None, f"mabe {name} on {c}: {why}"
            assert cz.tree_hashes(case) == before, f"mabe {name} changed its inputs ({c})"
            assert cz.tree_hashes(run) == run_before, f"mabe {name} changed the run it read ({c})"
            (Path(tmp) / "out.csv").unlink(missing_ok=True)


@FAST
@given(kind_op=KIND_OP, pick=PICK, u=U)
def test_broken_inputs_give_one_line_or_work_and_change_nothing(trained, kind_op, pick, u):
    _check(trained, kind_op, pick, u, ("validate", "info", "score", "predict"))


@settings(max_examples=2, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(kind_op=st.sampled_from([k for k in cz.all_corruptions() if k[0] in ("tracking", "annotation", "csv")]),
       pick=PICK, u=U)
def test_train_on_broken_inputs_gives_one_line_or_works(trained, kind_op, pick, u):
    _check(trained, kind_op, pick, u, ("train",))


def test_every_kind_of_breakage_once_through_validate(trained):
    """Each (file kind, operation) once, so none is left untried by chance (the cheap commands only)."""
    for kind_op in cz.all_corruptions():
        _check(trained, kind_op, 1, 0.37, ("validate",))
