"""Run directories that never mix, lose or hide anything (issue 9, defects 1-6, 8-10).

Each test reproduces one defect found by trying ``mabe`` as a new user; every
training run is tiny (two or three epochs of a few dozen windows).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

TINY = ("--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=32", "--no-tune")



def _train(run_cli, data, run, *extra):
    return run_cli("train", "--data", data, "--out", run, "--config", "demo", "--set", "epochs=2", *TINY, *extra)


def _one_line(result) -> str:
    assert result.code == 2, result
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


# -- 1: checkpoints of two runs never mix --------------------------------------------------------


def test_absolute_checkpoint_dir_gets_one_folder_per_run(run_cli, small_dataset, tmp_path):
    shared = tmp_path / "vol" / "checkpoints"
    runs = [tmp_path / "a", tmp_path / "b"]
    for run in runs:
        result = _train(run_cli, small_dataset, run, "--set", f"checkpoint_dir={shared}")
        assert result.code == 0, result.err
    folders = [Path(json.loads((run / "run.json").read_text())["checkpoint_dir"]) for run in runs]
    assert folders[0] != folders[1]
    for run, folder in zip(runs, folders, strict=True):
        assert folder.parent == shared and (folder / "best.ckpt").is_file()
        # the config keeps what the user wrote; the run records where its checkpoints are
        assert f"checkpoint_dir: {shared}" in (run / "config.yaml").read_text()
        listed = run_cli("checkpoints", run)
        assert listed.code == 0 and "best.ckpt" in listed.out and "no checkpoints" not in listed.out
    assert not list(shared.glob("*.ckpt")), "nothing written into the shared folder itself"
    sub = tmp_path / "sub.csv"
    result = run_cli("predict", "--run", runs[1], "--data", small_dataset, "--out", sub)
    assert result.code == 0, result.err
    result = run_cli("evaluate", "--run", runs[0], "--data", small_dataset)
    assert result.code == 0, result.err
    assert not (runs[0] / "checkpoints").exists()  # so evaluate and predict read the recorded folder


def test_a_folder_holding_another_runs_checkpoints_is_never_written_into(run_cli, small_dataset, tmp_path):
    run = tmp_path / "run"
    foreign = run / "ckpts"
    foreign.mkdir(parents=True)
    (foreign / "best.ckpt").write_bytes(b"another run's model")
    (run / "notes.txt").write_text("x")
    result = _train(run_cli, small_dataset, tmp_path / "fresh", "--set", "checkpoint_dir=../run/ckpts")
    assert "checkpoint_dir" in _one_line(result)
    assert (foreign / "best.ckpt").read_bytes() == b"another run's model"
    assert not (tmp_path / "fresh").exists()


def test_a_relative_checkpoint_dir_lives_inside_the_run(run_cli, small_dataset, tmp_path):
    result = _train(run_cli, small_dataset, tmp_path / "run", "--set", "checkpoint_dir=models/ckpt")
    assert result.code == 0, result.err
    assert (tmp_path / "run" / "models" / "ckpt" / "last.ckpt").is_file()


# -- 2 and 3: failed and mistyped runs ---------------------------------------------------------


def test_a_run_failing_before_its_first_epoch_does_not_block_the_corrected_command(run_cli, small_dataset, tmp_path):
    run = tmp_path / "run"
    bad = _train(run_cli, small_dataset, run, "--set", "model_type=transformer")
    assert "transformer" in _one_line(bad)
    good = _train(run_cli, small_dataset, run)
    assert good.code == 0, good.err
    assert "model_type: transformer" not in (run / "config.yaml").read_text()
    assert (run / "summary.json").is_file()


def test_resume_of_a_directory_that_is_not_a_run_is_an_error_naming_it(run_cli, small_dataset, tmp_path):
    typo = tmp_path / "rnu"
    line = _one_line(_train(run_cli, small_dataset, typo, "--resume"))
    assert str(typo) in line and "not a mabe run" in line
    assert not typo.exists()


# -- 4: user errors ------------------------------------------------------------------------------


def test_an_accelerator_that_is_not_there_is_a_one_line_user_error(run_cli, small_dataset, tmp_path):
    line = _one_line(_train(run_cli, small_dataset, tmp_path / "run", "--set", "accelerator=gpu"))
    assert "accelerator" in line and "internal error" not in line
    assert not (tmp_path / "run").exists()


def test_debug_adds_the_traceback_but_keeps_the_exit_code(run_cli, tmp_path):
    result = run_cli("--debug", "checkpoints", tmp_path / "missing")
    assert result.code == 2
    assert "Traceback" in result.err and "run directory not found" in result.err


# -- 5: resume messages ------------------------------------------------------------------------


def test_resume_reports_only_the_keys_the_user_changed(run_cli, small_dataset, tmp_path):
    run = tmp_path / "run"
    args = ["train", "--data", small_dataset, "--out", run, "--set", "epochs=2", *TINY]
    assert run_cli(*args, "--config", "demo").code == 0
    (run / "summary.json").unlink()  # as if killed just before the end
    # resumed with the recommended network's config, which differs from demo in many keys
    result = run_cli(*args, "--config", "recommended", "--resume", "--set", "learning_rate=0.5")
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if line.startswith("mabe: resuming")]
    assert len(notes) == 1 and notes[0].endswith("ignoring learning_rate"), result.err


# -- 6: permissions ------------------------------------------------------------------------------


def test_files_are_created_with_the_umask_permissions(run_cli, small_dataset, tmp_path):
    old = os.umask(0o022)
    try:
        run = tmp_path / "run"
        assert _train(run_cli, small_dataset, run).code == 0
        sub = tmp_path / "submission.csv"
        assert run_cli("predict", "--run", run, "--data", small_dataset, "--out", sub).code == 0
    finally:
        os.umask(old)
    for path in (sub, run / "metrics.csv", run / "summary.json", run / "config.yaml", run / "checkpoints" / "best.ckpt"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


# -- 8: info ---------------------------------------------------------------------------------------


def test_info_counts_mice_from_the_tracking(run_cli, dataset_copy):
    csv = dataset_copy / "train.csv"
    meta = pd.read_csv(csv)
    lab = meta["lab_id"].iloc[0]
    cols = [c for c in meta.columns if c.startswith("mouse2_")]
    meta.loc[meta["lab_id"] == lab, cols] = None
    meta.to_csv(csv, index=False)
    result = run_cli("info", dataset_copy)
    assert result.code == 0, result.err
    row = next(line for line in result.out.splitlines() if f" {lab} " in line and "train" in line)
    assert "│ 2 " in row.replace("  ", " ") or "│    2 │" in row, row
    assert "csv" in result.out + result.err and "tracking" in result.out + result.err


# -- 9: checkpoints reads only what it needs -------------------------------------------------------


def test_checkpoints_lists_without_loading_torch_or_the_checkpoints(run_cli, small_dataset, tmp_path):
    run = tmp_path / "run"
    assert _train(run_cli, small_dataset, run).code == 0
    code = (
        "import sys; from mabe.cli.app import main\n"
        "try:\n    main(['checkpoints', sys.argv[1]])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = sorted(m for m in ('torch', 'lightning', 'pandas', 'numpy') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    out = subprocess.run([sys.executable, "-c", code, str(run)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout, out.stdout
    assert "best.ckpt" in out.stdout and "last.ckpt" in out.stdout


# -- 10: packaged configs --------------------------------------------------------------------------


def test_packaged_config_is_found_with_or_without_yaml(run_cli, small_dataset, tmp_path):
    result = run_cli(
        "train", "--data", small_dataset, "--out", tmp_path / "run", "--config", "demo.yaml", "--set", "epochs=1", *TINY
    )
    assert result.code == 0, result.err


# -- 5: Ctrl-C and epoch counting ------------------------------------------------------------------


def test_ctrl_c_saves_exits_130_and_prints_the_command_that_resumes(run_cli, small_dataset, tmp_path):
    import shlex
    import signal
    import time

    run = tmp_path / "run"
    args = ["train", "--data", str(small_dataset), "--out", str(run), "--config", "demo", "--set", "epochs=4",
            "--set", "save_freq=1", "--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=256", "--no-tune"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "mabe", *args], stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 240
    while not (run / "checkpoints" / "last.ckpt").is_file():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no epoch finished in time"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert "interrupted" in last and "resume with: mabe train" in last, err
    command = shlex.split(last.split("resume with: ", 1)[1])
    assert command[-1] == "--resume" and command[:2] == ["mabe", "train"]
    assert not list(run.rglob("*.tmp")), "a partial file was left behind"
    result = run_cli(*command[1:])
    assert result.code == 0, result.err
    epochs = pd.read_csv(run / "metrics.csv")["epoch"].tolist()
    assert epochs == [1, 2, 3, 4]


def test_progress_bar_counts_epochs_from_one_like_the_log_lines(small_dataset, tmp_path, capfd):
    from lightning.pytorch.callbacks import Callback

    from mabe.config import load_config
    from mabe.training.fit import fit

    class _Spy(Callback):
        labels: list[str] = []

        def on_train_batch_end(self, trainer, *_):  # noqa: ANN001
            self.labels.append(trainer.progress_bar_callback.train_progress_bar.description)

    cfg = load_config("demo", ["epochs=2", "lstm_hidden=8", "max_windows_per_epoch=32"], data_dir=small_dataset)
    fit(cfg, tmp_path / "run", progress_bar=True, callbacks=[_Spy()])
    assert sorted({label.strip() for label in _Spy.labels}) == ["Epoch 1/2", "Epoch 2/2"]
    err = capfd.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err  # the log lines
