"""End-to-end: `mabe train`, `checkpoints`, `evaluate` and `predict`, as a user runs them.

Every training run is tiny (a few epochs of a few dozen windows) so the whole
file stays within seconds on two CPU cores.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import Result, invoke

import mabe
from mabe.config import load_config, packaged_config_path, read_config_file
from mabe.data.io import MabeDataset
from mabe.data.schema import parse_behaviors_labeled
from mabe.decode import DecodeParams
from mabe.metrics import score_report

pytestmark = pytest.mark.slow

TINY = ("--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=64")
SUBMISSION_COLUMNS = ["row_id", "video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"]


def _invoke(*args: object) -> Result:
    """Run the CLI in-process outside a test function (for module-scoped fixtures)."""
    return invoke(*args)


def _snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``root`` with its modification time and bytes."""
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _one_line_error(result: Result) -> str:
    assert result.code == 2, result
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.err}"
    return lines[0]


def _table_rows(text: str, n_columns: int) -> list[list[str]]:
    """Body rows of the rich tables in ``text`` that have ``n_columns`` columns."""
    rows = []
    for line in text.splitlines():
        if line.count("│") == n_columns + 1:
            rows.append([cell.strip() for cell in line.split("│")[1:-1]])
    return rows


def assert_valid_submission(path: Path, data: Path, split: str = "test") -> pd.DataFrame:
    """Check a submission file against the rules, independently of mabe's own checker."""
    sub = pd.read_csv(path)
    assert list(sub.columns) == SUBMISSION_COLUMNS
    assert sub["row_id"].tolist() == list(range(len(sub)))
    for col in ("row_id", "video_id", "start_frame", "stop_frame"):
        assert pd.api.types.is_integer_dtype(sub[col]), col
    assert (sub["start_frame"] >= 0).all()
    assert (sub["start_frame"] < sub["stop_frame"]).all()
    meta = pd.read_csv(data / f"{split}.csv").set_index("video_id")
    assert set(sub["video_id"]) <= set(meta.index)
    for video_id, rows in sub.groupby("video_id"):
        allowed = set(parse_behaviors_labeled(meta.loc[video_id, "behaviors_labeled"]))
        triples = set(zip(rows["agent_id"], rows["target_id"], rows["action"], strict=True))
        assert triples <= allowed, f"video {video_id}: not whitelisted {triples - allowed}"
        frames = meta.loc[video_id, "video_duration_sec"] * meta.loc[video_id, "frames_per_second"]
        assert rows["stop_frame"].max() <= round(frames) + 1
    for key, rows in sub.groupby(["video_id", "agent_id", "target_id"]):
        rows = rows.sort_values("start_frame")
        overlap = rows["start_frame"].to_numpy()[1:] < rows["stop_frame"].to_numpy()[:-1]
        assert not overlap.any(), f"overlapping intervals for {key}"
    return sub



# ----------------------------------------------------------------------------- a trained run


@pytest.fixture(scope="module")
def demo_run(small_dataset, tmp_path_factory):
    """`mabe train --config demo` for 3 epochs, checkpoints every 2; the run and what was printed."""
    run = tmp_path_factory.mktemp("train") / "run"
    result = _invoke(
        "train", "--data", small_dataset, "--out", run, "--config", "demo",
        "--set", "epochs=3", "--set", "save_freq=2", *TINY,
    )
    assert result.code == 0, result.err
    return run, result


def test_train_writes_a_complete_run(demo_run, small_dataset):
    run, _ = demo_run
    # config.yaml: resolved and reloadable
    config = load_config(run / "config.yaml")
    assert config.epochs == 3 and config.save_freq == 2 and config.lstm_hidden == 8
    assert config.model_type == "tcn_bigru" and config.label_scheme == "actions"
    assert config.input_dim is not None and config.num_classes is not None
    assert Path(config.data_dir) == small_dataset

    # checkpoints: best, last and every save_freq-th epoch only
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["best.ckpt", "epoch=002.ckpt", "index.json", "last.ckpt"]

    summary = json.loads((run / "summary.json").read_text())
    classes = summary["class_names"]
    assert len(classes) == config.num_classes
    assert isinstance(summary["parameters"], int) and summary["parameters"] > 0
    assert summary["epochs_completed"] == 3
    assert 1 <= summary["best_epoch"] <= 3
    assert summary["device"] == "cpu"
    assert summary["wall_time_sec"] > 0
    data = summary["data"]
    n_train_videos = len(pd.read_csv(small_dataset / "train.csv"))
    assert data["videos_train"] + data["videos_val"] == n_train_videos
    assert data["videos_val"] >= 1 and not data["val_is_train"]
    assert 0 < data["windows_per_epoch"] <= 64 and data["windows_train"] >= data["windows_per_epoch"]
    assert data["frames_train"] > 0 and data["frames_val"] > 0

    # metrics.csv: one row per epoch, headline and per-class columns
    metrics = pd.read_csv(run / "metrics.csv")
    assert metrics["epoch"].tolist() == [1, 2, 3]
    for col in ("train_loss", "val_loss", "val_accuracy", "val_macro_f1", "val_macro_precision", "val_macro_recall"):
        assert col in metrics.columns, col
    for name in classes:
        for kind in ("f1", "precision", "recall"):
            assert f"val_{kind}/{name}" in metrics.columns
    assert metrics["train_loss"].notna().all() and (metrics["train_loss"] > 0).all()
    assert metrics["val_loss"].notna().all()
    # best epoch = the first epoch with the highest validation macro-F1, and summary agrees with it
    assert summary["best_epoch"] == int(metrics.loc[metrics["val_macro_f1"].idxmax(), "epoch"])
    best_row = metrics.set_index("epoch").loc[summary["best_epoch"]]
    assert summary["best_metrics"]["val_macro_f1"] == pytest.approx(best_row["val_macro_f1"], rel=1e-4)
    assert summary["best_metrics"]["val_accuracy"] == pytest.approx(best_row["val_accuracy"], rel=1e-4)

    # decode.json: tuned decoding that loads

    params = DecodeParams.load(run / "decode.json")
    assert params.thresholds, "decoding was not tuned"


def test_train_prints_the_metrics_table(demo_run):
    run, result = demo_run
    summary = json.loads((run / "summary.json").read_text())
    assert "for 3 epochs" in result.out and f"best epoch {summary['best_epoch']}" in result.out
    title = f"validation metrics at the best epoch ({run})"
    assert title in [line.strip() for line in result.out.splitlines()], "table title not on one line"
    headline = {row[0]: row[1] for row in _table_rows(result.out, 2)}
    for key in ("accuracy", "macro_f1", "macro_precision", "macro_recall"):
        assert key in headline, result.out
    assert float(headline["macro_f1"]) == pytest.approx(summary["best_metrics"]["val_macro_f1"], abs=1e-4)
    # class, f1, precision, recall and ap (validation average precision, threshold-free)
    per_class = {row[0] for row in _table_rows(result.out, 5)}
    assert set(summary["class_names"]) <= per_class
    assert "decoding tuned on" in result.out


def test_train_v5_seed4_small_then_predict(run_cli, small_dataset, tmp_path):
    run = tmp_path / "v5"
    result = run_cli(
        "train", "--data", small_dataset, "--out", run, "--config", "v5",
        "--set", "epochs=1", "--set", "save_freq=1", "--set", "lstm_layers=1",
        "--set", "conv_channels=[8]", "--set", "sequence_length=32", *TINY,
    )
    assert result.code == 0, result.err

    config = load_config(run / "config.yaml")
    assert (config.model_type, config.label_scheme, config.input_dim, config.num_classes) == (
        "conv_bilstm", "seed4", 144, 4,
    )
    summary = json.loads((run / "summary.json").read_text())
    assert summary["class_names"] == ["Other", "Social", "Mating", "Aggressive"]
    assert summary["epochs_completed"] == 1 and summary["best_epoch"] == 1
    assert sorted(p.name for p in (run / "checkpoints").glob("*.ckpt")) == ["best.ckpt", "epoch=001.ckpt", "last.ckpt"]
    metrics = pd.read_csv(run / "metrics.csv")
    assert metrics["epoch"].tolist() == [1]
    assert {"val_f1/Other", "val_recall/Aggressive", "val_macro_f1"} <= set(metrics.columns)
    assert (run / "decode.json").is_file()
    assert "Social" in result.out and "macro_f1" in result.out

    # seed4 probabilities are spread to whitelisted actions by the decoder
    sub = tmp_path / "sub.csv"
    result = run_cli("predict", "--run", run, "--data", small_dataset, "--out", sub)
    assert result.code == 0, result.err
    assert_valid_submission(sub, small_dataset)


def test_train_config_recommended_is_the_single_recommended_network(run_cli, small_dataset, tmp_path):
    run = tmp_path / "default"
    # tcn_bigru is shrunk by lstm_hidden (TINY: its width) and its blocks (one, not four); conv_channels is conv_bilstm's
    one_block = {**read_config_file(packaged_config_path("actions"))["model_options"], "dilations": [1]}
    result = run_cli(
        "train", "--data", small_dataset, "--out", run, "--config", "recommended",
        "--set", "epochs=1", "--set", "save_freq=1", "--set", f"model_options={json.dumps(one_block)}", *TINY,
    )
    assert result.code == 0, result.err

    config = load_config(run / "config.yaml")
    assert config.label_scheme == "actions" and config.feature_set == "pair"
    assert config.model_type == "tcn_bigru" and config.model_options == one_block
    assert config.epochs == 1 and config.lstm_hidden == 8 and config.max_windows_per_epoch == 64
    assert config.val_fraction == pytest.approx(0.34)  # sized for a 4-video training split
    summary = json.loads((run / "summary.json").read_text())
    assert summary["epochs_completed"] == 1
    assert (run / "checkpoints" / "last.ckpt").is_file() and (run / "decode.json").is_file()
    assert len(pd.read_csv(run / "metrics.csv")) == 1


# ----------------------------------------------------------------------------- refusals


def test_train_refuses_a_finished_run_and_changes_nothing(run_cli, demo_run, small_dataset):
    run, _ = demo_run
    before = _snapshot(run)
    result = run_cli("train", "--data", small_dataset, "--out", run, "--config", "demo", "--set", "epochs=1")
    line = _one_line_error(result)
    assert str(run) in line and "finished" in line
    assert _snapshot(run) == before

    # --resume on a finished run is a no-op: no retraining and no re-tuning
    result = run_cli("train", "--data", small_dataset, "--out", run, "--config", "demo", "--resume", *TINY)
    assert result.code == 0, result.err
    assert "already finished" in result.err
    assert _snapshot(run) == before, "resuming a finished run rewrote files in it"


BAD_SETTINGS = [
    ("unknown key, demo config", ("--config", "demo", "--set", "bogus=1"), "bogus"),
    ("unknown key, default config", ("--set", "bogus=1"), "bogus"),
    ("wrong type, demo config", ("--config", "demo", "--set", "epochs=abc"), "epochs"),
    ("wrong type, default config", ("--set", "epochs=abc"), "epochs"),
    ("out of range", ("--config", "demo", "--set", "dropout=1.5"), "dropout"),
    ("not key=value", ("--config", "demo", "--set", "epochs"), "epochs"),
]


@pytest.mark.parametrize("name,args,key", BAD_SETTINGS, ids=[b[0] for b in BAD_SETTINGS])
def test_bad_setting_is_one_line_naming_the_key(run_cli, small_dataset, tmp_path, name, args, key):
    run = tmp_path / "run"
    result = run_cli("train", "--data", small_dataset, "--out", run, *args)
    line = _one_line_error(result)
    assert key in line and "--set" in line
    assert not run.exists()


def test_config_file_with_unknown_key_names_file_and_key(run_cli, small_dataset, tmp_path):
    config = tmp_path / "my.yaml"
    config.write_text("epochs: 2\nlstm_hiden: 8\n")
    run = tmp_path / "run"
    line = _one_line_error(run_cli("train", "--data", small_dataset, "--out", run, "--config", config))
    assert "my.yaml" in line and "lstm_hiden" in line
    assert not run.exists()


def test_missing_config_file_is_one_line(run_cli, small_dataset, tmp_path):
    line = _one_line_error(
        run_cli("train", "--data", small_dataset, "--out", tmp_path / "run", "--config", tmp_path / "nope.yaml")
    )
    assert "nope.yaml" in line


# ----------------------------------------------------------------------------- checkpoints, evaluate


def test_checkpoints_lists_epoch_metric_and_size(run_cli, demo_run):
    run, _ = demo_run
    result = run_cli("checkpoints", run)
    assert result.code == 0, result.err
    rows = {row[0]: row for row in _table_rows(result.out, 4)}
    assert set(rows) == {"best.ckpt", "epoch=002.ckpt", "last.ckpt"}, result.out
    metrics = pd.read_csv(run / "metrics.csv").set_index("epoch")
    summary = json.loads((run / "summary.json").read_text())
    for name, (_, epoch, metric, size) in rows.items():
        assert int(size) == (run / "checkpoints" / name).stat().st_size
        assert float(metric) == pytest.approx(metrics.loc[int(epoch), "val_macro_f1"], abs=1e-4)
    assert int(rows["epoch=002.ckpt"][1]) == 2
    assert int(rows["last.ckpt"][1]) == 3
    assert int(rows["best.ckpt"][1]) == summary["best_epoch"]


def test_checkpoints_of_missing_run_is_one_line(run_cli, tmp_path):
    assert "nope" in _one_line_error(run_cli("checkpoints", tmp_path / "nope"))


def _test_actions(data: Path) -> set[str]:
    """Actions with at least one bout in the test split's labels."""
    meta = pd.read_csv(data / "test.csv")
    actions: set[str] = set()
    for row in meta.itertuples():
        path = data / "test_annotation" / row.lab_id / f"{row.video_id}.parquet"
        if path.is_file():
            actions |= set(pd.read_parquet(path, columns=["action"])["action"])
    return actions


def test_evaluate_prints_test_split_metrics(run_cli, demo_run, small_dataset):
    run, _ = demo_run
    result = run_cli("evaluate", "--run", run, "--data", small_dataset, "--split", "test")
    assert result.code == 0, result.err
    headline = {row[0]: row[1] for row in _table_rows(result.out, 2)}
    # the test split has bouts, so no headline value is undefined
    for key in ("accuracy", "macro_f1", "macro_precision", "macro_recall"):
        value = float(headline[key])
        assert 0.0 <= value <= 1.0, (key, value)
    assert int(float(headline["n_videos"])) == len(pd.read_csv(small_dataset / "test.csv"))
    summary = json.loads((run / "summary.json").read_text())
    per_class = {row[0]: [float(v) for v in row[1:]] for row in _table_rows(result.out, 4) if row[0] != "class"}
    assert set(summary["class_names"]) <= set(per_class)
    # a class is NaN only when it is absent from the split's labels (and never predicted):
    # every action with a test bout has finite f1, precision and recall
    in_test = _test_actions(small_dataset)
    assert in_test & set(summary["class_names"]), in_test
    for name in summary["class_names"]:
        values = per_class[name]
        if name in in_test:
            assert all(0.0 <= v <= 1.0 for v in values), (name, values)
        else:
            assert all(math.isnan(v) or 0.0 <= v <= 1.0 for v in values), (name, values)

    from mabe.training.fit import evaluate

    direct = evaluate(run, small_dataset, "test")
    assert float(headline["macro_f1"]) == pytest.approx(direct["macro_f1"], abs=1e-4)
    assert float(headline["accuracy"]) == pytest.approx(direct["accuracy"], abs=1e-4)


def test_evaluate_unknown_split_is_one_line(run_cli, demo_run, small_dataset):
    run, _ = demo_run
    assert "bogus" in _one_line_error(run_cli("evaluate", "--run", run, "--data", small_dataset, "--split", "bogus"))


# ----------------------------------------------------------------------------- predict


def test_predict_writes_a_valid_submission_and_never_overwrites(run_cli, demo_run, small_dataset, tmp_path):
    run, _ = demo_run
    out = tmp_path / "sub.csv"
    result = run_cli("predict", "--run", run, "--data", small_dataset, "--split", "test", "--out", out)
    assert result.code == 0, result.err
    sub = assert_valid_submission(out, small_dataset)
    assert f"{len(sub)} intervals" in result.out
    assert not list(small_dataset.rglob("*.tmp")), "predict wrote into the dataset"

    # an existing file is never replaced without --overwrite
    out.write_text("mine\n")
    line = _one_line_error(run_cli("predict", "--run", run, "--data", small_dataset, "--out", out))
    assert str(out) in line and "--overwrite" in line
    assert out.read_text() == "mine\n"

    result = run_cli("predict", "--run", run, "--data", small_dataset, "--out", out, "--overwrite")
    assert result.code == 0, result.err
    assert assert_valid_submission(out, small_dataset).equals(sub), "same run, same data, same submission"

    # a directory is not a file to write
    line = _one_line_error(run_cli("predict", "--run", run, "--data", small_dataset, "--out", tmp_path, "--overwrite"))
    assert "directory" in line and tmp_path.is_dir()


SHORT = 12


def _truncate_test_videos(data: Path, n_frames: int) -> None:
    """Keep ``n_frames`` tracked frames of every test video, around its first bout; trim its labels."""
    meta = pd.read_csv(data / "test.csv")
    for i, row in meta.iterrows():
        tracking = data / "test_tracking" / row["lab_id"] / f"{row['video_id']}.parquet"
        annotation = data / "test_annotation" / row["lab_id"] / f"{row['video_id']}.parquet"
        ann = pd.read_parquet(annotation)
        first = max(int(ann["start_frame"].min()) - 2, 0) if len(ann) else 0
        track = pd.read_parquet(tracking)
        track = track[(track["video_frame"] >= first) & (track["video_frame"] < first + n_frames)].copy()
        track["video_frame"] -= first
        track.to_parquet(tracking, index=False)
        for col in ("start_frame", "stop_frame"):
            ann[col] = (ann[col] - first).clip(0, n_frames).astype(ann[col].dtype)
        ann[ann["stop_frame"] > ann["start_frame"]].to_parquet(annotation, index=False)
        meta.loc[i, "video_duration_sec"] = n_frames / row["frames_per_second"]
    meta.to_csv(data / "test.csv", index=False)


def test_predict_videos_shorter_than_the_training_window(run_cli, demo_run, dataset_copy, tmp_path):
    run, _ = demo_run
    _truncate_test_videos(dataset_copy, SHORT)
    result = run_cli("validate", dataset_copy)
    assert result.code == 0, result.err

    assert load_config(run / "config.yaml").sequence_length > SHORT

    out = tmp_path / "short.csv"
    result = run_cli("predict", "--run", run, "--data", dataset_copy, "--split", "test", "--out", out)
    assert result.code == 0, result.err
    sub = assert_valid_submission(out, dataset_copy)
    assert (sub["stop_frame"] <= SHORT).all()

    # every test video keeps a bout and a whole short window to predict on: something is predicted,
    # and the short submission scores (the scorer, like Kaggle's, rejects an empty one)
    assert len(sub) > 0 and set(sub["video_id"]) <= set(pd.read_csv(dataset_copy / "test.csv")["video_id"])
    result = run_cli("score", "--data", dataset_copy, "--submission", out, "--json")
    assert result.code == 0, result.err

    solution = MabeDataset(dataset_copy).solution("test", progress=False)
    assert json.loads(result.out)["score"] == pytest.approx(score_report(solution, sub).score, abs=1e-9)


def test_predict_with_workers_writes_the_same_submission(run_cli, demo_run, small_dataset, tmp_path):
    """Worker processes (spawned, model loaded once each) give byte-identical output, in video order."""
    run, _ = demo_run
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert run_cli("predict", "--run", run, "--data", small_dataset, "--out", one).code == 0
    result = run_cli("predict", "--run", run, "--data", small_dataset, "--out", two, "--workers", "2")
    assert result.code == 0, result.err
    assert two.read_bytes() == one.read_bytes()
    line = _one_line_error(
        run_cli("predict", "--run", run, "--data", small_dataset, "--out", tmp_path / "x.csv",
                "--workers", "2", "--checkpoint", "nope")
    )
    assert "nope.ckpt: checkpoint not found" in line


def test_predict_with_workers_reports_a_broken_video_once_and_stops(run_cli, demo_run, dataset_copy, tmp_path):
    """A video that fails inside a worker is one line naming its file; the pool is shut down, not left hanging."""
    run, _ = demo_run
    test = pd.read_csv(dataset_copy / "test.csv")
    first = test.iloc[0]
    broken = dataset_copy / "test_tracking" / str(first["lab_id"]) / f"{first['video_id']}.parquet"
    broken.write_bytes(b"not a parquet file")
    out = tmp_path / "sub.csv"
    line = _one_line_error(
        run_cli("predict", "--run", run, "--data", dataset_copy, "--out", out, "--workers", "2", "--split", "test")
    )
    assert f"{first['video_id']}.parquet" in line
    assert not out.exists()


@pytest.mark.slow
def test_predict_does_not_import_lightning(demo_run, small_dataset, tmp_path):
    """Inference needs torch and the network, not the training framework."""


    run, _ = demo_run
    argv = ["-q", "predict", "--run", str(run), "--data", str(small_dataset), "--out", str(tmp_path / "sub.csv")]
    probe = (
        "import sys\nfrom mabe.cli.app import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print('HEAVY', sorted(m for m in ('torch', 'lightning', 'torchmetrics') if m in sys.modules))\n"
    )
    src = str(Path(mabe.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False)
    assert "HEAVY ['torch']" in out.stdout, out.stdout + out.stderr[-2000:]
    assert (tmp_path / "sub.csv").is_file()


@pytest.mark.parametrize("config", [None, "demo"])
def test_cache_dir_holds_the_feature_cache_instead_of_the_run(run_cli, small_dataset, tmp_path, config):
    """--cache-dir (as mabe cv has it): the default ensemble's and one network's features go there, not into RUN."""
    run, cache = tmp_path / "run", tmp_path / "cache"
    args = ["train", "--data", small_dataset, "--out", run, "--cache-dir", cache, "--set", "epochs=1", *TINY]
    args += ["--config", config] if config else ["--folds", "2", "--set", "lgbm.n_estimators=10"]
    result = run_cli(*args)
    assert result.code == 0, result.err
    assert any(p.is_file() for p in cache.rglob("*")), "features cached in --cache-dir"
    assert not (run / "feature_cache").exists() and not list(run.rglob("feature_cache"))
