"""Bundle parts that need no network and no training: requirements, run copy, texts, estimates."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from mabe.errors import MabeError
from mabe.platform import bundle, kaggle_files, wheelhouse
from mabe.platform.bundle import Throughput, build_bundle, copy_run


def _touch(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_runtime_requirements_are_pinned_and_leave_torch_to_the_image():
    reqs = wheelhouse.runtime_requirements()
    torch_side = wheelhouse.closure(["torch"])
    assert "torch" in torch_side and not set(torch_side) & set(reqs)
    for name in ("numpy", "pandas", "pyarrow", "pydantic", "pyyaml", "scipy", "lightning", "torchmetrics", "lightgbm"):
        assert reqs[name] == metadata.version(name), name
    # training-only and optional packages stay out
    assert not {"movement", "matplotlib", "kaggle", "modal", "pytest"} & set(reqs)


def test_single_run_copy_keeps_one_checkpoint(tmp_path):
    run = tmp_path / "run"
    for name in ("config.yaml", "summary.json", "decode.json", "metrics.csv"):
        _touch(run / name)
    for name in ("best.ckpt", "last.ckpt", "epoch=001.ckpt", ".best.ckpt.tmp"):
        _touch(run / "checkpoints" / name)
    copied = copy_run(run, tmp_path / "b")
    assert copied == ["checkpoints/best.ckpt", "config.yaml", "decode.json", "metrics.csv", "summary.json"]


def test_ensemble_copy_drops_out_of_fold_files(tmp_path):
    run = tmp_path / "ens"
    for name in ("ensemble.json", "cv.json", "decode.json", "summary.json", "oof/net/1.npz"):
        _touch(run / name)
    fold = run / "members" / "net" / "fold0"
    for name in ("config.yaml", "summary.json", "checkpoints/last.ckpt", "checkpoints/epoch=002.ckpt"):
        _touch(fold / name)
    _touch(run / "members" / "trees" / "fold0" / "model.txt")
    copied = copy_run(run, tmp_path / "b")
    assert not any(c.startswith("oof") for c in copied)
    assert "members/net/fold0/checkpoints/last.ckpt" in copied  # no best.ckpt: last is kept
    assert "members/net/fold0/checkpoints/epoch=002.ckpt" not in copied
    assert "members/trees/fold0/model.txt" in copied and "ensemble.json" in copied


def test_unfinished_or_foreign_runs_are_refused(tmp_path):
    _touch(tmp_path / "unfinished" / "config.yaml")
    with pytest.raises(MabeError, match="not finished"):
        copy_run(tmp_path / "unfinished", tmp_path / "b1")
    _touch(tmp_path / "foreign" / "notes.txt")
    with pytest.raises(MabeError, match="not a mabe run"):
        copy_run(tmp_path / "foreign", tmp_path / "b2")
    _touch(tmp_path / "nockpt" / "config.yaml")
    _touch(tmp_path / "nockpt" / "summary.json")
    with pytest.raises(MabeError, match="no checkpoint"):
        copy_run(tmp_path / "nockpt", tmp_path / "b3")


def test_bundle_refuses_a_used_directory_and_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "out"
    _touch(out / "mine.txt", "keep")
    with pytest.raises(MabeError, match="exists and is not empty"):
        build_bundle(tmp_path / "run", out)
    assert (out / "mine.txt").read_text() == "keep"
    with pytest.raises(MabeError, match="run directory not found"):
        build_bundle(tmp_path / "missing", tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging directory left


def test_reused_wheels_are_not_fetched_again(tmp_path, monkeypatch):
    reuse = tmp_path / "old"
    reuse.mkdir()
    (reuse / "numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"w")
    (reuse / "PyYAML-6.0.4-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"w")
    calls = []
    monkeypatch.setattr(wheelhouse, "_pip", lambda args, what: calls.append(args))
    got = wheelhouse.download_wheels(tmp_path / "new", {"numpy": "2.4.6", "pyyaml": "6.0.4"}, reuse=reuse)
    assert calls == [] and len(got) == 2
    with pytest.raises(MabeError, match="no wheel for scipy"):
        wheelhouse.download_wheels(tmp_path / "new2", {"numpy": "2.4.6", "scipy": "1.17.1"}, reuse=reuse)
    assert calls and calls[-1][-1] == "scipy==1.17.1" and "numpy==2.4.6" not in calls[-1]


def test_expected_time_arithmetic():
    t = Throughput(frames=54_000, seconds=60.0, threads=2, videos=3)
    assert t.fps == 900.0
    text = t.text()
    # one hour at 30 fps = 108,000 frames -> 120 s; 9 h of run time -> 270 h of video
    assert "~2.0 min per hour of 30 fps video" in text and "~270 h of video" in text
    assert bundle.KAGGLE_HOURS == 9.0


def test_script_and_notebook_are_well_formed():
    source = kaggle_files.script_text("0.1.0", "myrun")
    compile(source, kaggle_files.SCRIPT_NAME, "exec")
    assert "--no-index" in source and "/kaggle/working/submission.csv" in source and "MABE_INPUT" in source
    nb = json.loads(kaggle_files.notebook_text())
    assert nb["nbformat"] == 4 and [c["cell_type"] for c in nb["cells"]] == ["markdown", "code"]
    code = "".join(nb["cells"][1]["source"])
    compile(code, "cell", "exec")
    assert kaggle_files.SCRIPT_NAME in code


@pytest.mark.slow
def test_measured_throughput_counts_every_predicted_frame(small_dataset, tmp_path):
    import pyarrow.parquet as pq

    from mabe.config import load_config
    from mabe.training.fit import fit

    tiny = ["lstm_hidden=8", "conv_channels=[8]", "sequence_length=64", "max_windows_per_epoch=32", "epochs=1"]
    fit(load_config("actions", tiny, data_dir=small_dataset), tmp_path / "run", progress_bar=False)
    from mabe.data.io import MabeDataset

    real = bundle.predict_split
    seen, frames = [], []

    def spy(run, data, split):
        seen.append((Path(data), split))
        for meta in MabeDataset(data).metas(split):  # frames counted here independently
            if meta.behaviors_labeled:
                path = Path(data) / f"{split}_tracking" / str(meta.lab_id) / f"{meta.video_id}.parquet"
                frames.append(int(pq.read_table(path, columns=["video_frame"]).column(0).to_numpy().max()) + 1)
        return real(run, data, split)

    from unittest import mock

    with mock.patch.object(bundle, "predict_split", spy):
        t = bundle.measure_throughput(tmp_path / "run", videos=2, minutes=0.25)
    assert sorted(split for _, split in seen) == ["test", "train"] and t.videos == 2
    assert t.frames == sum(frames) > 0 and t.seconds > 0 and t.fps == t.frames / t.seconds
    assert f"{t.frames:,} frames of 2 synthetic videos" in t.text()
    assert not seen[0][0].exists(), "the synthetic videos are removed afterwards"
