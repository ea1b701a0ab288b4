"""``mabe demo``: synth → train → tune → predict the test split → score it, on a laptop CPU.

Layout under ``out``::

    out/data/          the synthetic dataset (reused by later demos with the same settings)
    out/run/           the trained run (out/run-2, out/run-3, ... on later demos)
    out/run/submission.csv

Nothing already under ``out`` is replaced. Nothing here prints: the stages are
reported with :func:`mabe.progress.status` and :func:`run_demo` returns a
:class:`DemoResult` that ``mabe demo`` prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mabe.data.io import MabeDataset
from mabe.data.submission import write_submission
from mabe.data.synth import synthesize
from mabe.errors import MabeError
from mabe.metrics import ScoreReport, score_report
from mabe.progress import status
from mabe.workflows.predict import predict_split
from mabe.workflows.train import TrainResult, train_run

DEMO_LABS = ("CalMS21_task1", "JovialSwallow")
"""Two labs with pair and approach/attack/mount/sniff-type actions, 30 and 10 fps."""
DEMO_VIDEOS = 16
DEMO_MINUTES = 2.0
_MARKER = "mabe_demo.json"


@dataclass
class DemoResult:
    """What :func:`run_demo` did: where the data and run are, the training, the test-split score.

    Attributes
    ----------
    data, run
        The synthetic dataset and the run trained on it.
    trained
        The training (summary and tuned decoding).
    submission
        ``run/submission.csv``.
    n_intervals
        Rows of the submission.
    report
        The MABe score of the submission on the test split, per lab and per (lab, action).
    """

    data: Path
    run: Path
    trained: TrainResult
    submission: Path
    n_intervals: int
    report: ScoreReport

    @property
    def score(self) -> float:
        """Return the test-split MABe score."""
        return float(self.report.score)

    def per_lab(self) -> pd.DataFrame:
        """Return the score per lab as a table (``lab_id``, ``score``)."""
        return pd.DataFrame({"lab_id": self.report.per_lab.index, "score": self.report.per_lab.to_numpy()})


def _demo_data(out: Path, seed: int) -> Path:
    """Synthesize the demo dataset, or reuse one a previous demo wrote with the same settings."""
    data = out / "data"
    settings = {"labs": list(DEMO_LABS), "videos": DEMO_VIDEOS, "minutes": DEMO_MINUTES, "seed": seed}
    marker = out / _MARKER
    if data.exists():
        if marker.is_file() and json.loads(marker.read_text()).get("data") == settings:
            status(f"reusing the synthetic dataset in {data}")
            return data
        raise MabeError(f"{data}: exists but was not written by this demo; choose another --out")
    status(f"synthesizing {DEMO_VIDEOS} videos of {DEMO_MINUTES:g} min from labs {', '.join(DEMO_LABS)}")
    summary = synthesize(data, n_videos=DEMO_VIDEOS, seed=seed, labs=list(DEMO_LABS), minutes=DEMO_MINUTES)
    status(str(summary))
    marker.write_text(json.dumps({"data": settings}, indent=2) + "\n")
    return data


def _next_run_dir(out: Path) -> Path:
    run = out / "run"
    n = 1
    while run.exists():
        n += 1
        run = out / f"run-{n}"
    return run


def run_demo(
    out: Path, seed: int = 0, config_path: Path | None = None, overrides: list[str] | None = None
) -> DemoResult:
    """Run the whole pipeline on synthetic data and return the test-split MABe score (and more).

    Parameters
    ----------
    out
        Directory for the demo's data and run (created; nothing in it is replaced).
    seed
        Seed of the synthetic data and of training.
    config_path
        Config to train (default: the packaged ``demo`` config).
    overrides
        ``--set`` items, applied after ``seed=SEED``.
    """
    if out.exists() and not out.is_dir():
        raise MabeError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    data = _demo_data(out, seed)
    run = _next_run_dir(out)
    config = config_path or Path("demo")
    sets = [f"seed={seed}", *(overrides or [])]
    status(f"training config '{config}' into {run}")
    trained = train_run(data=data, out=run, config_path=config, overrides=sets, tune=True)

    status("predicting the test split")
    submission = predict_split(run, data, "test")
    sub_path = write_submission(submission, run / "submission.csv")
    report = score_report(MabeDataset(data).solution("test", progress=False), submission)
    return DemoResult(data, run, trained, sub_path, len(submission), report)
