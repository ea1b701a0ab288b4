"""``mabe bundle``: everything an offline Kaggle notebook needs to turn a trained run into submission.csv.

Layout of a bundle directory::

    OUT/run/                 the run, without out-of-fold files and with one checkpoint per model
    OUT/wheels/              mabe + prediction-time dependencies (see mabe.platform.wheelhouse)
    OUT/predict_kaggle.py    installs the wheels offline, writes submission.csv
    OUT/mabe_predict.ipynb   a Kaggle notebook running the script
    OUT/README.md            how to use it, Kaggle's limits, expected prediction time
    OUT/bundle.json          manifest: versions, wheels, measured throughput
    OUT/dataset-metadata.json  template for `kaggle datasets create`

The bundle is built in a temporary sibling directory and renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mabe import __version__
from mabe.data.io import MabeDataset
from mabe.data.schema import tracking_path
from mabe.data.summary import count_frames
from mabe.data.synth import synthesize
from mabe.errors import MabeError
from mabe.fileio import atomic_write_text
from mabe.platform import kaggle_files, wheelhouse
from mabe.training.run import Run
from mabe.workflows.predict import predict_split

KAGGLE_HOURS = 9.0
"""Run-time limit of a code competition's notebook, used for the 'fits' estimate."""

FPS_REFERENCE = 30.0
"""Frame rate used to turn frames per second into hours of video (most MABe labs record 25-30 fps)."""


@dataclass
class Throughput:
    """Prediction speed measured on synthetic videos: native frames per second, decoding included."""

    frames: int
    seconds: float
    threads: int
    videos: int

    @property
    def fps(self) -> float:
        """Frames predicted (and decoded) per second."""
        return self.frames / self.seconds if self.seconds > 0 else float("nan")

    def text(self) -> str:
        """Return what to expect on Kaggle, in words."""
        per_hour = FPS_REFERENCE * 3600 / self.fps  # seconds to predict one hour of 30 fps video
        fits = KAGGLE_HOURS * 3600 / per_hour
        return (
            f"measured {self.fps:,.0f} frames/s ({self.frames:,} frames of {self.videos} synthetic videos "
            f"in {self.seconds:.1f} s, {self.threads} torch thread(s), decoding included): "
            f"~{per_hour / 60:.1f} min per hour of {FPS_REFERENCE:.0f} fps video, so "
            f"{KAGGLE_HOURS:.0f} h of Kaggle run time cover ~{fits:,.0f} h of video at this speed"
        )


@dataclass
class BundleInfo:
    """What :func:`build_bundle` wrote."""

    path: Path
    run_name: str
    mabe_version: str
    python: str
    wheels: list[str]
    size_bytes: int
    build_seconds: float
    throughput: Throughput | None = None
    copied: list[str] = field(default_factory=list)


def _keep_checkpoints(directory: str, names: list[str]) -> set[str]:
    """Names ``copytree`` ignores: out-of-fold files, and every checkpoint but best (else last)."""
    ignored = {n for n in names if n in ("oof", "__pycache__") or n.startswith(".")}
    ckpts = [n for n in names if n.endswith(".ckpt")]
    if ckpts:
        keep = "best.ckpt" if "best.ckpt" in ckpts else ("last.ckpt" if "last.ckpt" in ckpts else None)
        ignored |= {n for n in ckpts if n != keep}
    return ignored


def copy_run(run: Path, dest: Path) -> list[str]:
    """Copy what prediction needs of ``run`` into ``dest``; return the copied files (relative).

    Raises
    ------
    MabeError
        If ``run`` is not a finished single-model or ensemble run.
    """
    if not run.is_dir():
        raise MabeError(f"{run}: run directory not found")
    found = Run(run)
    if not (found.config_path.is_file() or found.ensemble_path.is_file()):
        raise MabeError(f"{run}: not a mabe run (no config.yaml or ensemble.json)")
    if not found.summary_path.is_file():
        raise MabeError(f"{run}: the run is not finished (no summary.json); finish it with mabe train --resume")
    shutil.copytree(run, dest, ignore=_keep_checkpoints)
    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    if found.config_path.is_file() and not any(f.endswith(".ckpt") for f in files):
        raise MabeError(f"{run}: no checkpoint inside the run directory to bundle")
    return files


def check_checkpoints(run: Path, copied: list[str]) -> None:
    """Read each copied checkpoint of ``run`` once, as weights only, as the bundle's notebook will.

    Raises
    ------
    DataError
        If one is unreadable or needs arbitrary unpickling (named by its path in ``run``).
    """
    from mabe.training.inference import read_checkpoint  # heavy: torch

    for name in copied:
        if name.endswith(".ckpt"):
            read_checkpoint(run / name)


def measure_throughput(run: Path, videos: int = 2, minutes: float = 1.0) -> Throughput:
    """Predict ``videos`` synthetic videos of ``minutes`` each with ``run``; time it (decoding included)."""
    import torch  # heavy: only to report the threads used

    with tempfile.TemporaryDirectory(prefix="mabe-throughput-") as tmp:
        data = Path(tmp) / "data"
        synthesize(data, n_videos=videos, seed=0, minutes=minutes, test_fraction=0.5, progress=False)
        dataset = MabeDataset(data)
        splits = [s for s in dataset.splits() if any(m.behaviors_labeled for m in dataset.metas(s))]
        metas = [(s, m) for s in splits for m in dataset.metas(s) if m.behaviors_labeled]
        frames = sum(_frames(data, s, m) for s, m in metas)
        started = time.perf_counter()
        for split in splits:
            predict_split(run, data, split)
        seconds = time.perf_counter() - started
    return Throughput(frames=frames, seconds=round(seconds, 3), threads=torch.get_num_threads(), videos=len(metas))


def _frames(data: Path, split: str, meta: Any) -> int:
    return count_frames(tracking_path(data, split, meta.lab_id, meta.video_id))


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_bundle(
    run: str | Path,
    out: str | Path,
    wheels_from: str | Path | None = None,
    python_version: str | None = None,
    platform: str | None = None,
    measure: bool = True,
) -> BundleInfo:
    """Write a Kaggle bundle of ``run`` into the new directory ``out``.

    Parameters
    ----------
    run
        A finished run (single model or ensemble).
    out
        New directory (or an existing empty one); never written into otherwise.
    wheels_from
        Directory of wheels to reuse (a previous bundle's ``wheels/``); only
        what is missing is built or fetched.
    python_version, platform
        Kaggle's Python (e.g. ``"3.11"``) and platform tag when they differ
        from this machine's.
    measure
        Time prediction on synthetic videos for the expected-time estimate.

    Raises
    ------
    MabeError
        If ``out`` exists and is not empty, ``run`` is not a finished run, a
        checkpoint of it is unreadable or needs arbitrary unpickling, or a
        wheel cannot be built or fetched.
    """
    started = time.perf_counter()
    run, out = Path(run), Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MabeError(f"{out}: exists and is not empty; choose a new --out (a bundle is never written over)")
    reuse = Path(wheels_from) if wheels_from is not None else None
    if reuse is not None and not reuse.is_dir():
        raise MabeError(f"{reuse}: wheel directory not found")
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        copied = copy_run(run, stage / "run")
        check_checkpoints(run, copied)  # refused here, before any wheel is built, not on Kaggle
        wheels_dir = stage / "wheels"
        wheels_dir.mkdir()
        reused = sorted(reuse.glob("mabe-*.whl")) if reuse is not None else []
        if reused:
            shutil.copy2(reused[-1], wheels_dir / reused[-1].name)
        else:
            wheelhouse.build_mabe_wheel(wheels_dir)
        wheelhouse.download_wheels(wheels_dir, wheelhouse.runtime_requirements(), python_version, platform, reuse)
        throughput = measure_throughput(stage / "run") if measure else None
        python = python_version or f"{sys.version_info.major}.{sys.version_info.minor}"
        wheels = sorted(p.name for p in wheels_dir.glob("*.whl"))
        info = BundleInfo(out, run.resolve().name, __version__, python, wheels, 0, 0.0, throughput, copied)
        _write_texts(stage, info)
        info.size_bytes = _size(stage)
        info.build_seconds = round(time.perf_counter() - started, 1)
        _write_manifest(stage, info)
        _readable(stage)
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return info


def _write_texts(stage: Path, info: BundleInfo) -> None:
    text = info.throughput.text() if info.throughput else "not measured (built with --no-measure)"
    script = stage / kaggle_files.SCRIPT_NAME
    atomic_write_text(script, kaggle_files.script_text(info.mabe_version, info.run_name))
    script.chmod(0o755)
    atomic_write_text(stage / kaggle_files.NOTEBOOK_NAME, kaggle_files.notebook_text())
    fields = {"run_name": info.run_name, "mabe_version": info.mabe_version, "python": info.python}
    readme = kaggle_files.readme_text({**fields, "wheels": info.wheels, "throughput_text": text})
    atomic_write_text(stage / "README.md", readme)
    metadata = {"title": f"mabe bundle {info.run_name}", "id": "YOUR_KAGGLE_USERNAME/mabe-bundle",
                "licenses": [{"name": "other"}]}
    atomic_write_text(stage / "dataset-metadata.json", json.dumps(metadata, indent=2) + "\n")


def _readable(root: Path) -> None:
    """Directories 755, files 644 (script 755): temporary files are created private."""
    root.chmod(0o755)
    for path in root.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
        elif path.name != kaggle_files.SCRIPT_NAME:
            path.chmod(0o644)


def _write_manifest(stage: Path, info: BundleInfo) -> None:
    record = asdict(info)
    record["path"] = str(info.path)
    if info.throughput is not None:
        record["throughput"]["frames_per_second"] = round(info.throughput.fps, 1)
    atomic_write_text(stage / "bundle.json", json.dumps(record, indent=2) + "\n")
