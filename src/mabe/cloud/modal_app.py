r"""mabe on Modal: the CLI's workflows on rented GPUs, with data and runs on a persistent volume.

Install the extra (``pip install -e ".[modal]"``), log in once (``modal token new``), store the
Kaggle credentials as a Modal secret named ``kaggle`` (keys ``KAGGLE_USERNAME`` and
``KAGGLE_KEY``), then::

    modal run -m mabe.cloud.modal_app::download                       # mabe download --out DATA
    modal run -m mabe.cloud.modal_app::train --run r1 --gpu H100 \
        --timeout-hours 8 --overrides "epochs=30;batch_size=256"     # mabe train --data DATA --out RUNS/r1 --set ...
    modal run -m mabe.cloud.modal_app::predict --run r1               # mabe predict --run RUNS/r1 --data DATA
    modal run -m mabe.cloud.modal_app::score --run r1 --split train   # mabe score --data DATA --submission ... [--strict]
    modal run -m mabe.cloud.modal_app::checkpoints --run r1           # mabe checkpoints RUNS/r1
    modal run -m mabe.cloud.modal_app::fetch --run r1 --out r1        # what prediction needs, into ./r1 (--everything: all)

Each remote function calls the same workflow function as the matching ``mabe`` command, on
``/vol/data`` (the competition data) and ``/vol/runs/<run>``. GPU type and time limit are
options of the entrypoints (``--gpu``, ``--timeout-hours``), applied with ``with_options``;
``--gpu H100:2 --config recommended --overrides "strategy=ddp;devices=2"`` trains one network on two
GPUs of one machine (the default ensemble trains its folds one device at a time and refuses DDP).
Defining the app needs no account and no network: Modal connects on ``modal run``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import modal

# whole modules, so that each remote function calls what the CLI calls at the time it runs
from mabe import __version__
from mabe.data import submission
from mabe.platform import kaggle_download, run_archive
from mabe.workflows import checkpoints as checkpoints_workflow
from mabe.workflows import predict as predict_workflow
from mabe.workflows import scoring as scoring_workflow
from mabe.workflows import train as train_workflow

APP_NAME = "mabe"
VOLUME_NAME = "mabe-vol"
MOUNT = "/vol"
DATA_DIR = f"{MOUNT}/data"
RUNS_DIR = f"{MOUNT}/runs"
KAGGLE_SECRET = "kaggle"
PYTHON = "3.11"

DEFAULT_GPU = "A10G"
HOUR = 3600
SETTINGS: dict[str, dict[str, Any]] = {
    "download_remote": {"timeout": 4 * HOUR, "cpu": 2.0},
    "train_remote": {"gpu": DEFAULT_GPU, "timeout": 8 * HOUR, "cpu": 8.0, "memory": 32768},
    "predict_remote": {"gpu": DEFAULT_GPU, "timeout": 2 * HOUR, "cpu": 8.0, "memory": 32768},
    "score_remote": {"timeout": HOUR, "cpu": 2.0},
    "checkpoints_remote": {"timeout": HOUR, "cpu": 1.0},
    "fetch_remote": {"timeout": HOUR, "cpu": 2.0},
}
"""Static settings of each remote function; the entrypoints override GPU and timeout per call."""

_SOURCE_IGNORE = [".git", ".venv", "**/__pycache__", "**/*.egg-info", "runs", "data", "demo_run", "build", "dist"]


def _project_root() -> Path | None:
    root = Path(__file__).resolve().parents[3]
    pyproject = root / "pyproject.toml"
    return root if pyproject.is_file() and 'name = "mabe"' in pyproject.read_text() else None


def build_image() -> modal.Image:
    """Debian + Python 3.11 + this project (from the local source tree, else mabe from the index).

    torch comes from PyPI's default (CUDA) build, so the GPU is used.
    """
    image = modal.Image.debian_slim(python_version=PYTHON).env({"OMP_WAIT_POLICY": "PASSIVE"})
    root = _project_root()
    if root is None:
        return image.pip_install(f"mabe=={__version__}")
    return image.add_local_dir(str(root), "/opt/mabe-src", copy=True, ignore=_SOURCE_IGNORE).run_commands(
        "python -m pip install --no-cache-dir /opt/mabe-src"
    )


app = modal.App(APP_NAME)
image = build_image()
volume = modal.Volume.from_name(VOLUME_NAME, create_if_missing=True)
VOLUMES: dict[str | PurePosixPath, modal.Volume | modal.CloudBucketMount] = {MOUNT: volume}


def _reload() -> None:
    if not modal.is_local():
        volume.reload()


def _commit() -> None:
    if not modal.is_local():
        volume.commit()


def _run_dir(run: str) -> Path:
    if not run or "/" in run or run.startswith("."):
        raise ValueError(f"run must be a plain name such as r1, not {run!r}")
    return Path(RUNS_DIR) / run


@app.function(image=image, volumes=VOLUMES, secrets=[modal.Secret.from_name(KAGGLE_SECRET)], **SETTINGS["download_remote"])
def download_remote(files: list[str] | None = None) -> dict[str, Any]:
    """``mabe download --out /vol/data [--files ...]`` (workflow :func:`mabe.platform.kaggle_download.download`)."""
    result = kaggle_download.download(Path(DATA_DIR), list(files or []))
    _commit()
    return {"fetched": len(result.fetched), "complete": len(result.complete), "problems": [str(p) for p in result.problems[:20]]}


@app.function(image=image, volumes=VOLUMES, **SETTINGS["train_remote"])
def train_remote(
    run: str, overrides: list[str] | None = None, resume: bool = False, tune: bool = True, config: str | None = None
) -> dict[str, Any]:
    """``mabe train --data /vol/data --out /vol/runs/RUN [--config C] --set ...``.

    As the CLI: without ``config`` the default ensemble
    (:func:`mabe.workflows.train.train_ensemble`), with one a single network
    (:func:`mabe.workflows.train.train_run`).
    """
    _reload()
    try:
        if config is None:
            summary = train_workflow.train_ensemble(
                data=Path(DATA_DIR), out=_run_dir(run), overrides=list(overrides or []), resume=resume
            )
        else:
            summary = train_workflow.train_run(
                data=Path(DATA_DIR), out=_run_dir(run), config_path=Path(config),
                overrides=list(overrides or []), resume=resume, tune=tune,
            ).summary
    finally:
        _commit()  # keep checkpoints of a run cut by the timeout: --resume continues it
    return summary


@app.function(image=image, volumes=VOLUMES, **SETTINGS["predict_remote"])
def predict_remote(run: str, split: str = "test", out_name: str = "submission.csv") -> str:
    """``mabe predict --run /vol/runs/RUN --data /vol/data --out /vol/runs/RUN/OUT`` (:func:`mabe.workflows.predict.predict_split`)."""
    _reload()
    out = _run_dir(run) / out_name
    table = predict_workflow.predict_split(_run_dir(run), Path(DATA_DIR), split)
    submission.write_submission(table, out, overwrite=True)
    _commit()
    return str(out)


@app.function(image=image, volumes=VOLUMES, **SETTINGS["score_remote"])
def score_remote(run: str, split: str = "test", out_name: str = "submission.csv", strict: bool = False) -> dict[str, Any]:
    """``mabe score --data /vol/data --submission /vol/runs/RUN/OUT [--strict]`` (:func:`mabe.workflows.scoring.score_submission`).

    The same policy as the CLI: an empty submission or ignored rows are
    ``warnings`` in the result, or errors with ``strict``.
    """
    _reload()
    scored = scoring_workflow.score_submission(Path(DATA_DIR), _run_dir(run) / out_name, split, strict=strict, progress=False)
    return scored.to_dict()


@app.function(image=image, volumes=VOLUMES, **SETTINGS["checkpoints_remote"])
def checkpoints_remote(run: str) -> list[dict[str, Any]]:
    """``mabe checkpoints /vol/runs/RUN`` (:func:`mabe.workflows.checkpoints.run_checkpoints`), as plain values."""
    _reload()
    return [{"folder": str(folder), "rows": rows} for folder, rows in checkpoints_workflow.run_checkpoints(_run_dir(run))]


@app.function(image=image, volumes=VOLUMES, **SETTINGS["fetch_remote"])
def fetch_remote(run: str, everything: bool = False) -> bytes:
    """/vol/runs/RUN as one archive (:func:`mabe.platform.run_archive.pack_run`): what prediction needs, or all."""
    _reload()
    return run_archive.pack_run(_run_dir(run), everything)


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ";").split(";") if part.strip()]


@app.local_entrypoint()
def download(files: str = "") -> None:
    """Fill the volume's data/ from Kaggle; ``--files "train.csv;test_tracking/*"`` for a part."""
    print(download_remote.remote(_split_list(files) or None))


@app.local_entrypoint()
def train(
    run: str, overrides: str = "", gpu: str = DEFAULT_GPU, timeout_hours: float = 8.0, resume: bool = False,
    config: str = "",
) -> None:
    """Train RUN on the volume's data; ``--overrides "epochs=30;batch_size=256"`` are ``--set`` values.

    ``--config v5`` (or any packaged name) trains one network; without it the default ensemble.
    """
    fn = train_remote.with_options(gpu=gpu, timeout=int(timeout_hours * HOUR))
    summary = fn.remote(run, _split_list(overrides), resume, True, config or None)
    print({k: summary.get(k) for k in ("status", "epochs_completed", "best_epoch", "best_metrics", "device", "wall_time_sec")})


@app.local_entrypoint()
def predict(run: str, split: str = "test", gpu: str = DEFAULT_GPU, timeout_hours: float = 2.0) -> None:
    """Write /vol/runs/RUN/submission.csv for a split of the volume's data."""
    print(predict_remote.with_options(gpu=gpu, timeout=int(timeout_hours * HOUR)).remote(run, split))


@app.local_entrypoint()
def score(run: str, split: str = "test", strict: bool = False) -> None:
    """Score /vol/runs/RUN/submission.csv against the split's labels (``--strict`` as ``mabe score``)."""
    result = score_remote.remote(run, split, "submission.csv", strict)
    for warning in result["warnings"]:
        print(f"warning: {warning}")
    print({k: result[k] for k in ("score", "per_lab", "rows", "ignored")})


@app.local_entrypoint()
def checkpoints(run: str) -> None:
    """List the checkpoints of /vol/runs/RUN, as ``mabe checkpoints`` does for a local run."""
    tables = checkpoints_remote.remote(run)
    for table in tables:
        print(table["folder"])
        for row in table["rows"]:
            print(f"  {row['name']}  epoch {row['epoch']}  metric {row['metric']:.4f}  {row['size_bytes']} bytes")
    if not tables:
        print(f"{RUNS_DIR}/{run}: no checkpoints")


@app.local_entrypoint()
def fetch(run: str, out: str = "", everything: bool = False) -> None:
    """Copy /vol/runs/RUN into the new local directory OUT (default ./RUN) for ``mabe predict`` / ``mabe bundle``.

    Only what prediction needs (one checkpoint per model, no out-of-fold files) unless ``--everything``.
    """
    local = run_archive.unpack_run(fetch_remote.remote(run, everything), Path(out or run), name=f"{RUNS_DIR}/{run}")
    n_files = sum(1 for p in local.rglob("*") if p.is_file())
    print(f"fetched {RUNS_DIR}/{run} into {local}: {n_files} files")
