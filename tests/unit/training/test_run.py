"""The Run object: paths, record, typed summary, checkpoint folder rules, fast listing."""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
from pathlib import Path

import pytest

from mabe.errors import MabeError
from mabe.fileio import atomic_write_text
from mabe.training.run import CheckpointIndex, Run, RunSummary, record_checkpoint, write_index

SUMMARY = {
    "status": "finished", "label_scheme": "actions", "feature_set": "pair", "model_type": "tcn_bilstm",
    "parameters": 123, "input_dim": 73, "feature_width": 73, "num_classes": 2, "class_names": ["a", "b"],
    "actions": ["a", "b"], "epochs_configured": 3, "epochs_completed": 3, "stopped_early": False,
    "best_epoch": 2, "best_metrics": {"val_macro_f1": 0.5, "val_f1/b": None},
    "baseline": {"name": "always_positive", "macro_f1": None}, "loss_weights": None,
    "data": {"data_dir": "d", "val_is_train": False, "train_video_ids": [1, 2], "val_video_ids": [3],
             "videos_train": 2, "videos_val": 1, "windows_train": 10, "windows_per_epoch": 10,
             "windows_val": 2, "frames_train": 100, "frames_val": 50},
    "device": "cpu", "accelerator": "CPUAccelerator", "precision": "32-true", "world_size": 1,
    "wall_time_sec": 1.0, "train_time_sec": 0.5,
}


def test_summary_reads_the_hand_written_json_and_writes_the_same_keys(tmp_path: Path) -> None:
    run = Run(tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps(SUMMARY))
    summary = run.summary()
    assert math.isnan(summary.best_metrics["val_f1/b"]) and math.isnan(summary.baseline["macro_f1"])
    assert summary.data.val_video_ids == [3]
    run.write_summary(summary)
    again = json.loads((tmp_path / "summary.json").read_text())
    assert set(SUMMARY) <= set(again)
    assert again["best_metrics"]["val_f1/b"] is None  # strict JSON: NaN is null on disk
    assert {k: again[k] for k in SUMMARY} == SUMMARY


def test_summary_keeps_keys_it_does_not_know(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text(json.dumps({**SUMMARY, "added_later": 7}))
    assert Run(tmp_path).summary().to_dict()["added_later"] == 7


def test_a_broken_summary_is_one_line_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text('{"status": "finished"')
    with pytest.raises(MabeError, match="summary.json"):
        Run(tmp_path).summary()


def test_state_kind_and_require(tmp_path: Path) -> None:
    run = Run(tmp_path / "r")
    assert run.state() == "new" and run.kind == "network"
    with pytest.raises(MabeError, match="run directory not found"):
        run.require()
    run.feature_cache_dir.mkdir(parents=True)  # left by an attempt killed while preparing videos
    assert run.state() == "new" and run.feature_cache_dir == run.path / "feature_cache"
    (run.path / "notes.txt").write_text("x")
    assert run.state() == "foreign"
    with pytest.raises(MabeError, match="not a mabe run"):
        run.require()
    (run.path / "ensemble.json").write_text("{}")
    assert run.kind == "ensemble"


def test_absolute_checkpoint_dir_gets_a_subfolder_per_run_and_is_recorded(tmp_path: Path) -> None:
    shared = tmp_path / "vol" / "checkpoints"
    a, b = Run(tmp_path / "a"), Run(tmp_path / "a2" / "a")  # same name, different runs
    ra, rb = a.claim(str(shared)), b.claim(str(shared))
    assert a.checkpoint_dir != b.checkpoint_dir
    assert a.checkpoint_dir.parent == shared == b.checkpoint_dir.parent
    assert json.loads(a.record_path.read_text())["checkpoint_dir"] == str(a.checkpoint_dir)
    assert ra.run_id != rb.run_id
    assert a.claim(str(shared)).run_id == ra.run_id  # a resumed run keeps its record and folder


def test_a_copied_run_reads_its_own_checkpoints(tmp_path: Path) -> None:
    run = Run(tmp_path.resolve() / "run")  # an absolute --out, as most are
    run.claim("models/ckpt")
    assert json.loads(run.record_path.read_text())["checkpoint_dir"] == "models/ckpt"
    (run.checkpoint_dir / "best.ckpt").write_bytes(b"weights")
    (run.path / "config.yaml").write_text("checkpoint_dir: models/ckpt\n")
    copy = Run(tmp_path / "shared" / "run")
    shutil.copytree(run.path, copy.path)
    shutil.rmtree(run.path)  # the place it was trained in is gone (another machine)
    assert copy.checkpoint_dir == copy.path / "models" / "ckpt"
    assert copy.checkpoint("best") == copy.path / "models" / "ckpt" / "best.ckpt"


def test_a_relative_checkpoint_dir_leaving_the_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MabeError, match="inside the run"):
        Run(tmp_path / "a").claim("../elsewhere")
    assert not (tmp_path / "a").exists()


def test_a_folder_with_another_runs_checkpoints_is_refused(tmp_path: Path) -> None:
    # an older run (no run.json) whose config points at an absolute folder another run writes into
    other = Run(tmp_path / "other")
    other.claim("checkpoints")
    folder = other.checkpoint_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "best.ckpt").write_bytes(b"x")
    write_index(folder, CheckpointIndex(run_id=other.record().run_id, run_dir=str(other.path)))
    old = tmp_path / "old"
    old.mkdir()
    (old / "config.yaml").write_text(f"checkpoint_dir: {folder}\n")
    with pytest.raises(MabeError, match="holds checkpoints of the run"):
        Run(old).claim(str(folder))
    assert (folder / "best.ckpt").read_bytes() == b"x"


def test_checkpoints_come_from_the_index_without_reading_the_files(tmp_path: Path) -> None:
    run = Run(tmp_path)
    record = run.claim("checkpoints")
    folder = run.checkpoint_dir
    folder.mkdir(exist_ok=True)
    index = CheckpointIndex(run_id=record.run_id, run_dir=str(tmp_path))
    for name, epoch, metric in (("last.ckpt", 3, float("nan")), ("best.ckpt", 2, 0.25)):
        (folder / name).write_bytes(b"not a torch file" * epoch)
        record_checkpoint(folder, index, folder / name, epoch, metric)
    rows = run.checkpoints()
    assert [(r["name"], r["epoch"]) for r in rows] == [("best.ckpt", 2), ("last.ckpt", 3)]
    assert rows[0]["metric"] == 0.25 and math.isnan(rows[1]["metric"])
    assert rows[0]["size_bytes"] == 32
    # a checkpoint changed behind the index's back is read for real (and this one is garbage)
    (folder / "best.ckpt").write_bytes(b"changed")
    with pytest.raises(MabeError, match="best.ckpt: not a readable checkpoint"):
        run.checkpoints()


def test_checkpoint_by_name_epoch_and_best_falls_back_to_last(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.claim("checkpoints")
    (tmp_path / "config.yaml").write_text("epochs: 1\n")
    folder = run.checkpoint_dir
    folder.mkdir(exist_ok=True)
    (folder / "last.ckpt").write_bytes(b"x")
    (folder / "epoch=002.ckpt").write_bytes(b"x")
    assert run.checkpoint("best").name == "last.ckpt"
    assert run.checkpoint("2").name == "epoch=002.ckpt"
    with pytest.raises(MabeError, match="available: epoch=002.ckpt, last.ckpt"):
        run.checkpoint("epoch=009")


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_atomic_writes_get_the_umask_permissions(tmp_path: Path, mask: int) -> None:
    old = os.umask(mask)
    try:
        path = atomic_write_text(tmp_path / "a.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_a_temporary_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    dead = tmp_path / ".a.json.999999999.abc.tmp"  # no such pid
    live = tmp_path / f".a.json.{os.getppid()}.abc.tmp"
    dead.write_text("half")
    live.write_text("half")
    atomic_write_text(tmp_path / "a.json", "{}")
    assert not dead.exists() and live.exists()


def test_run_summary_from_a_dict_round_trips() -> None:
    summary = RunSummary.model_validate(SUMMARY)
    assert RunSummary.model_validate_json(summary.to_json()).data == summary.data


def test_a_run_killed_while_being_created_is_restartable(tmp_path: Path) -> None:
    run = Run(tmp_path / "r")
    run.claim("checkpoints")  # killed right after: run.json and an empty checkpoint folder, no config.yaml
    assert run.state() == "unfinished"
    run.discard_untrained()
    assert run.state() == "new" and not (run.path / "checkpoints").exists()


def test_discarding_never_touches_a_checkpoint(tmp_path: Path) -> None:
    run = Run(tmp_path / "r")
    run.claim("checkpoints")
    (run.checkpoint_dir / "last.ckpt").write_bytes(b"x")
    run.discard_untrained()
    assert (tmp_path / "r" / "checkpoints" / "last.ckpt").read_bytes() == b"x"
