"""`mabe bundle` end to end: a fresh venv holding only torch installs the bundle offline and predicts.

The venv is made as the Makefile makes .venv (``python -m venv``, then ``pip install torch==2.13.0``)
in the background while a tiny run trains and is bundled. The bundle's script then installs its
wheels with ``pip --no-index`` (pip's config files switched off, so no index or extra wheel
directory can help) and predicts a Kaggle-like input directory holding only test.csv and
test_tracking/. The submission must be the one ``mabe predict`` writes here, and ``mabe score``
must accept it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from mabe.cli.app import main

pytestmark = pytest.mark.slow

TINY = ["--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=64", "--set", "epochs=1", "--no-tune"]


def _cli(*args: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, **extra}


def _start_torch_venv(venv: Path) -> subprocess.Popen:
    """``python -m venv`` + ``pip install torch==2.13.0``, as the Makefile does, in the background."""
    script = (
        f'"{sys.executable}" -m venv "{venv}" && '
        f'"{venv}/bin/python" -m pip install --quiet --disable-pip-version-check "torch==2.13.0"'
    )
    return subprocess.Popen(["bash", "-c", script], env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_bundle_installs_offline_and_predicts_like_mabe_predict(small_dataset, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle")
    venv_job = _start_torch_venv(tmp / "venv")
    try:
        run, bundle = tmp / "run", tmp / "bundle"
        code, _, err = _cli("train", "--data", small_dataset, "--out", run, *TINY)
        assert code == 0, err
        code, out, err = _cli("bundle", "--run", run, "--out", bundle, "--no-measure")
        assert code == 0, err
        assert f"wrote {bundle}:" in out
        manifest = json.loads((bundle / "bundle.json").read_text())
        assert any(w.startswith("mabe-") for w in manifest["wheels"])
        assert not any(w.startswith("torch-") for w in manifest["wheels"])
        # the reference: what mabe predict writes here
        expected = tmp / "expected.csv"
        code, _, err = _cli("predict", "--run", run, "--data", small_dataset, "--out", expected)
        assert code == 0, err
        # a Kaggle-like input: the competition data without train files or test labels
        kaggle_in = tmp / "kaggle" / "input" / "mabe-mouse-behavior-detection"
        kaggle_in.mkdir(parents=True)
        shutil.copy2(small_dataset / "test.csv", kaggle_in / "test.csv")
        shutil.copytree(small_dataset / "test_tracking", kaggle_in / "test_tracking")
        venv_output, _ = venv_job.communicate(timeout=900)
        assert venv_job.returncode == 0, venv_output.decode()[-2000:]
    finally:
        if venv_job.poll() is None:
            venv_job.kill()
    python = str(tmp / "venv" / "bin" / "python")
    probe = "import importlib.util as u; print([m for m in ('mabe', 'numpy', 'pandas', 'lightning') if u.find_spec(m)])"
    before = subprocess.run([python, "-c", probe], env=_clean_env(), capture_output=True, text=True, check=True)
    assert before.stdout.strip() == "[]", "the venv must hold only torch before the bundle is installed"

    submission = tmp / "kaggle" / "working" / "submission.csv"
    started = time.perf_counter()
    offline = _clean_env(PIP_CONFIG_FILE=os.devnull, PIP_FIND_LINKS="", PIP_EXTRA_INDEX_URL="", PIP_NO_INDEX="1")
    result = subprocess.run(
        [python, str(bundle / "predict_kaggle.py"), "--input", str(kaggle_in), "--out", str(submission)],
        env=offline, capture_output=True, text=True, cwd=tmp, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    print(f"bundle install + predict: {time.perf_counter() - started:.0f} s; {result.stdout.strip()}")
    assert "installed" in result.stdout and f"wrote {submission}" in result.stdout
    where = subprocess.run([python, "-c", "import mabe; print(mabe.__file__)"], env=_clean_env(), capture_output=True, text=True)
    assert str(tmp / "venv") in where.stdout, "mabe must come from the bundle's wheel"
    assert submission.read_text() == expected.read_text()

    code, out, err = _cli("score", "--data", small_dataset, "--submission", submission, "--json")
    assert code == 0, err
    assert set(json.loads(out)["per_lab"]) == {"CalMS21_task2", "JovialSwallow"}
