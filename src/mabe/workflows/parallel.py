"""Predict and decode videos in worker processes (``mabe predict --workers N``).

Each worker loads the trained model (or ensemble) once, then takes one video at a time:
read it, run the model, decode, and send back only the decoded intervals (a
small table), so every process holds one video at most and the parent's
memory does not grow with the split. Results come back in the order of the
videos given, so the submission is the same as with one process. Workers are
started with ``spawn`` (a fresh interpreter each: safe whatever threads the
parent already runs) and use ``cpu_count // workers`` threads each, for torch
and for OpenMP (LightGBM), so that together they use the cores once.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mabe import progress
from mabe.data.io import MabeDataset
from mabe.data.types import VideoMeta
from mabe.errors import MabeError
from mabe.progress import track
from mabe.workflows.predict import decode_one, load_decode_params, load_video_predictor

__all__ = ["decode_videos_parallel", "default_threads_per_worker"]

_STATE: dict[str, Any] = {}


def default_threads_per_worker(workers: int) -> int:
    """Torch threads per worker so that the workers share the usable cores."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, int(workers)))


def _init(run_dir: str, data_dir: str, which: str, threads: int, stop: Any) -> None:
    _STATE["stop"] = stop
    try:
        _load(run_dir, data_dir, which, threads)
    except Exception as exc:  # noqa: BLE001 - a failing initializer would be restarted forever
        _STATE["error"] = MabeError(str(exc)) if isinstance(exc, MabeError) else exc


def _load(run_dir: str, data_dir: str, which: str, threads: int) -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # Before torch or LightGBM start their OpenMP pools: LightGBM predicts with as many
    # threads as OpenMP allows (all cores by default), so N workers would each run
    # on every core and slow one another down instead of sharing the cores.
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
    progress.set_enabled(False)
    _STATE.update(
        predict=load_video_predictor(run_dir, which),
        dataset=MabeDataset(data_dir),
        params=load_decode_params(run_dir),
    )


def _decode_one(job: tuple[VideoMeta, Sequence[str] | None]) -> tuple[pd.DataFrame, tuple] | None:
    meta, actions = job
    if _STATE["stop"].is_set():  # another video failed: the parent only drains what is queued
        return None
    if "error" in _STATE:
        raise _STATE["error"]
    try:
        vp = _STATE["predict"](_STATE["dataset"].load_video(meta))
        return decode_one(vp, _STATE["params"], actions)
    except MabeError as exc:  # subclasses with extra __init__ arguments do not unpickle
        raise MabeError(str(exc)) from None


def decode_videos_parallel(
    run_dir: str | Path,
    data_dir: str | Path,
    metas: Sequence[VideoMeta],
    which: str = "best",
    workers: int = 2,
    description: str = "predicting",
    actions: Sequence[str] | None = None,
) -> Iterator[tuple[pd.DataFrame, tuple]]:
    """Decode the intervals of each video, computed by ``workers`` processes, in ``metas`` order.

    Parameters
    ----------
    run_dir, data_dir, which
        As for :func:`mabe.workflows.predict.predict_split`.
    metas
        The videos, in the order their tables are yielded.
    actions
        Decode only these actions (``None``: all), as ``--actions``.
    workers
        Worker processes (at most one per video).

    Yields
    ------
    tuple
        What :func:`mabe.workflows.predict.decode_one` returns for each video.
    """
    metas = list(metas)
    if not metas:
        return
    workers = max(1, min(int(workers), len(metas)))
    threads = default_threads_per_worker(workers)
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    pool = context.Pool(workers, initializer=_init, initargs=(str(run_dir), str(data_dir), which, threads, stop))
    jobs = [(m, actions) for m in metas]
    first_error: BaseException | None = None
    drained = False
    try:
        results = pool.imap(_decode_one, jobs, chunksize=1)
        for _ in track(range(len(jobs)), description, total=len(jobs)):
            try:
                item = next(results)
            except Exception as exc:  # the worker's error for this video
                if first_error is None:
                    first_error = exc
                    stop.set()
                continue
            if first_error is None and item is not None:
                yield item
        drained = True
    finally:
        # After a worker's error every result is still collected (the rest return at once), and the
        # pool is closed, not terminated: terminating while tasks are in flight can hang the parent.
        if drained:
            pool.close()
        else:  # the caller stopped early (Ctrl-C, an error of its own)
            pool.terminate()
        pool.join()
    if first_error is not None:
        raise first_error
