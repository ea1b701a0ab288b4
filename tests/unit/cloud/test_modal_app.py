"""The Modal app, built offline: registered functions, their settings, and the workflows they call."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

modal = pytest.importorskip("modal")

MODULE = "mabe.cloud.modal_app"
REMOTE = {"download_remote", "train_remote", "predict_remote", "score_remote", "checkpoints_remote", "fetch_remote"}


@pytest.fixture
def built(monkeypatch):
    """Import the app module afresh, recording the keyword arguments of every ``@app.function``."""
    recorded: dict[str, dict] = {}
    original = modal.App.function

    def spy(self, *args, **kwargs):
        decorate = original(self, *args, **kwargs)

        def wrap(f):
            recorded[f.__name__] = kwargs
            return decorate(f)

        return wrap

    monkeypatch.setattr(modal.App, "function", spy)
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    module = importlib.import_module(MODULE)
    yield module, recorded
    sys.modules.pop(MODULE, None)


def _local(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "executing locally ... no access to the mounted Volume"
        return fn.local(*args, **kwargs)


def test_registered_functions_and_entrypoints(built):
    module, recorded = built
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        functions = module.app.registered_functions
        entrypoints = module.app.registered_entrypoints
    assert set(functions) == REMOTE == set(recorded)
    assert set(entrypoints) == {"download", "train", "predict", "score", "checkpoints", "fetch"}


def test_gpu_volume_timeout_settings(built):
    module, recorded = built
    for name in REMOTE:
        kwargs = recorded[name]
        assert kwargs["volumes"] == {"/vol": module.volume}, name
        assert kwargs["timeout"] == module.SETTINGS[name]["timeout"] >= 3600, name
        assert kwargs["image"] is module.image
        spec = getattr(module, name)._spec_
        assert list(spec.volumes) == ["/vol"]
    assert recorded["train_remote"]["gpu"] == "A10G" and recorded["train_remote"]["timeout"] == 8 * 3600
    assert recorded["predict_remote"]["gpu"] == "A10G"
    assert not {"gpu"} & (recorded["download_remote"].keys() | recorded["score_remote"].keys() | recorded["fetch_remote"].keys())
    assert module.train_remote._spec_.gpus == "A10G"
    assert len(recorded["download_remote"]["secrets"]) == 1  # the Kaggle credentials


def test_train_entrypoint_passes_gpu_and_timeout(built, monkeypatch):
    module, _ = built
    calls = {}

    class FakeRemote:
        def with_options(self, **options):
            calls["options"] = options
            return self

        def remote(self, *args):
            calls["args"] = args
            return {"status": "finished"}

    monkeypatch.setattr(module, "train_remote", FakeRemote())
    module.train("r1", overrides="epochs=3; strategy=ddp;devices=2", gpu="H100:2", timeout_hours=1.5, config="v5")
    assert calls["options"] == {"gpu": "H100:2", "timeout": 5400}
    assert calls["args"] == ("r1", ["epochs=3", "strategy=ddp", "devices=2"], False, True, "v5")
    module.train("r2")
    assert calls["args"] == ("r2", [], False, True, None)  # no --config: the default ensemble


def test_train_calls_the_cli_workflow(built, monkeypatch, tmp_path):
    module, _ = built
    import mabe.workflows.train as train_workflow

    seen = []
    summary = {
        "status": "finished", "model_type": "tcn_bigru", "parameters": 10, "label_scheme": "actions",
        "epochs_completed": 2, "wall_time_sec": 1.0, "device": "cpu", "best_epoch": 2,
        "best_metrics": {"val_macro_f1": 0.5},
    }
    monkeypatch.setattr(
        train_workflow, "train_run",
        lambda **kw: seen.append(("single", kw)) or train_workflow.TrainResult(kw["out"], summary),
    )
    monkeypatch.setattr(train_workflow, "train_ensemble", lambda **kw: seen.append(("ensemble", kw)) or {"status": "finished"})
    assert _local(module.train_remote, "r1", ["epochs=2"], False, True, "v5") == summary
    kind, kw = seen[-1]
    assert kind == "single" and kw["data"] == Path("/vol/data") and kw["out"] == Path("/vol/runs/r1")
    assert kw["overrides"] == ["epochs=2"] and kw["config_path"] == Path("v5")
    assert _local(module.train_remote, "r2", ["epochs=2"]) == {"status": "finished"}
    kind, kw = seen[-1]
    assert kind == "ensemble" and kw["out"] == Path("/vol/runs/r2") and kw["overrides"] == ["epochs=2"]
    from mabe.cli.app import main

    with pytest.raises(SystemExit) as done:
        main(["train", "--data", str(tmp_path / "d"), "--out", str(tmp_path / "r"), "--config", "v5", "--set", "epochs=2"])
    assert done.value.code in (0, None)
    assert len(seen) == 3 and seen[-1][0] == "single" and seen[-1][1]["overrides"] == ["epochs=2"]
    with pytest.raises(ValueError, match="plain name"):
        _local(module.train_remote, "../elsewhere")


def test_predict_calls_the_cli_workflow(built, monkeypatch):
    module, _ = built
    import mabe.workflows.predict as predict_workflow
    from mabe.data import submission

    table = pd.DataFrame({"video_id": [1]})
    calls = []
    monkeypatch.setattr(predict_workflow, "predict_split", lambda run, data, split: calls.append((run, data, split)) or table)
    monkeypatch.setattr(submission, "write_submission", lambda df, out, overwrite: calls.append((out, overwrite)))
    assert _local(module.predict_remote, "r1") == "/vol/runs/r1/submission.csv"
    assert calls == [(Path("/vol/runs/r1"), Path("/vol/data"), "test"), (Path("/vol/runs/r1/submission.csv"), True)]


def _submission(data: Path, path: Path, extra_rows: int = 0, empty: bool = False) -> Path:
    """The test labels of ``data`` as a submission, plus ``extra_rows`` rows on an unknown video."""
    from mabe.data.io import MabeDataset
    from mabe.data.schema import SUBMISSION_COLUMNS

    solution = MabeDataset(data).solution("test", progress=False)
    rows = solution[solution["action"].notna()]
    rows = pd.concat([rows, rows.iloc[:extra_rows].assign(video_id=987654)], ignore_index=True)
    rows = rows.iloc[:0] if empty else rows
    rows.assign(row_id=range(len(rows)))[list(SUBMISSION_COLUMNS)].to_csv(path, index=False)
    return path


def test_score_applies_the_cli_scoring_policy(built, monkeypatch, small_dataset, tmp_path):
    """The real policy on a real dataset: the same warnings and --strict refusals as `mabe score`."""
    module, _ = built
    from mabe.cli.app import main
    from mabe.workflows import scoring

    runs = tmp_path / "runs"
    (runs / "r1").mkdir(parents=True)
    monkeypatch.setattr(module, "DATA_DIR", str(small_dataset))
    monkeypatch.setattr(module, "RUNS_DIR", str(runs))
    real, calls = scoring.score_submission, []
    monkeypatch.setattr(scoring, "score_submission", lambda *a, **kw: calls.append((a, kw)) or real(*a, **kw))
    sub = runs / "r1" / "submission.csv"

    _submission(small_dataset, sub)
    result = _local(module.score_remote, "r1")
    assert result["score"] == 1.0 and result["warnings"] == [] and sum(result["ignored"].values()) == 0
    assert set(result["per_lab"]) == set(pd.read_csv(small_dataset / "test.csv")["lab_id"])

    _submission(small_dataset, sub, extra_rows=3)
    result = _local(module.score_remote, "r1")
    assert result["score"] == 1.0 and result["ignored"]["unknown_video"] == 3
    assert len(result["warnings"]) == 1 and "3 of" in result["warnings"][0]
    with pytest.raises(scoring.IgnoredRows, match="--strict"):
        _local(module.score_remote, "r1", "test", "submission.csv", True)

    _submission(small_dataset, sub, empty=True)
    result = _local(module.score_remote, "r1")
    assert result["score"] == 0.0 and "the submission is empty" in result["warnings"][0]
    with pytest.raises(scoring.EmptySubmission, match="--strict"):
        _local(module.score_remote, "r1", "test", "submission.csv", True)

    # `mabe score --strict` on the same file goes through the same function, with the same arguments
    with pytest.raises(SystemExit) as done:
        main(["--quiet", "score", "--data", str(small_dataset), "--submission", str(sub), "--strict"])
    assert done.value.code == 2
    remote, cli = calls[-2], calls[-1]
    assert [Path(a) for a in remote[0][:2]] == [Path(a) for a in cli[0][:2]] == [small_dataset, sub]
    assert remote[1]["strict"] is cli[1]["strict"] is True


def test_download_calls_the_cli_workflow(built, monkeypatch):
    module, _ = built
    import mabe.platform.kaggle_download as kd

    seen = []
    monkeypatch.setattr(kd, "download", lambda out, files: seen.append((out, files)) or kd.DownloadResult(fetched=["a"]))
    assert _local(module.download_remote, ["train.csv"]) == {"fetched": 1, "complete": 0, "problems": []}
    assert seen == [(Path("/vol/data"), ["train.csv"])]


def _finished_run(root: Path) -> Path:
    """A finished network run as training leaves it: two checkpoints, an index, out-of-fold files."""
    from mabe.training.run import Run

    run = Run(root)
    run.checkpoint_dir.mkdir(parents=True)
    for name, text in ((run.config_path, "model_type: tcn_bigru\n"), (run.summary_path, "{}"), (run.decode_path, "{}")):
        name.write_text(text)
    for name in ("best.ckpt", "last.ckpt"):
        (run.checkpoint_dir / name).write_bytes(name.encode())
    (root / "oof").mkdir()
    (root / "oof" / "probs.npz").write_bytes(b"oof")
    return root


def test_fetch_copies_what_prediction_needs_into_a_new_local_run(built, monkeypatch, tmp_path):
    """The remote packs the volume's run, the entrypoint unpacks it locally; nothing local is ever replaced."""
    module, _ = built
    from mabe.errors import MabeError

    runs = tmp_path / "vol" / "runs"
    _finished_run(runs / "r1")
    monkeypatch.setattr(module, "RUNS_DIR", str(runs))

    real = module.fetch_remote

    class Remote:
        def remote(self, run, everything=False):
            return _local(real, run, everything)

    monkeypatch.setattr(module, "fetch_remote", Remote())
    monkeypatch.chdir(tmp_path)
    module.fetch("r1")
    got = sorted(str(p.relative_to(tmp_path / "r1")) for p in (tmp_path / "r1").rglob("*") if p.is_file())
    assert got == ["checkpoints/best.ckpt", "config.yaml", "decode.json", "summary.json"]
    assert (tmp_path / "r1" / "checkpoints" / "best.ckpt").read_bytes() == b"best.ckpt"
    module.fetch("r1", out="all", everything=True)
    assert (tmp_path / "all" / "oof" / "probs.npz").read_bytes() == b"oof" and (tmp_path / "all" / "checkpoints" / "last.ckpt").is_file()
    before = (tmp_path / "r1" / "config.yaml").read_text()
    with pytest.raises(MabeError, match="already exists"):
        module.fetch("r1")
    assert (tmp_path / "r1" / "config.yaml").read_text() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging folder left behind"


def test_checkpoints_lists_what_mabe_checkpoints_lists(built, monkeypatch, tmp_path, capsys):
    module, _ = built
    from mabe.workflows.checkpoints import run_checkpoints

    runs = tmp_path / "runs"
    run = _finished_run(runs / "r1")
    rows = [{"name": "best.ckpt", "epoch": 3, "metric": 0.5, "size_bytes": 9}]
    monkeypatch.setattr(module, "RUNS_DIR", str(runs))
    import mabe.training.run as run_module

    monkeypatch.setattr(run_module.Run, "checkpoints", lambda self: rows)
    assert _local(module.checkpoints_remote, "r1") == [{"folder": str(f), "rows": r} for f, r in run_checkpoints(run)]

    real = module.checkpoints_remote

    class Remote:
        def remote(self, name):
            return _local(real, name)

    monkeypatch.setattr(module, "checkpoints_remote", Remote())
    module.checkpoints("r1")
    assert "best.ckpt  epoch 3  metric 0.5000  9 bytes" in capsys.readouterr().out


def test_a_run_archive_cannot_write_outside_its_folder(tmp_path):
    import io
    import tarfile

    from mabe.errors import DataError
    from mabe.platform.run_archive import unpack_run

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(DataError, match="refused"):
        unpack_run(buffer.getvalue(), tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "out").exists()
    with pytest.raises(DataError, match="not a readable run archive"):
        unpack_run(b"not a tar", tmp_path / "out")
