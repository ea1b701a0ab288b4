"""``mabe demo``: synth → train → tune → predict the test split → score it, on a laptop CPU.

Layout under ``out``::

    out/data/          the synthetic dataset (reused by later demos with the same settings)
    out/run/           the trained run (out/run-2, out/run-3, ... on later demos)
    out/run/submission.csv

Nothing already under ``out`` is replaced.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from mabe.errors import MabeError

DEMO_LABS = ("CalMS21_task1", "JovialSwallow")
"""Two labs with pair and approach/attack/mount/sniff-type actions, 30 and 10 fps."""
DEMO_VIDEOS = 16
DEMO_MINUTES = 2.0
_MARKER = "mabe_demo.json"


def _demo_data(out: Path, seed: int) -> Path:
    """Synthesize the demo dataset, or reuse one a previous demo wrote with the same settings."""
    from mabe.data.synth import synthesize

    data = out / "data"
    settings = {"labs": list(DEMO_LABS), "videos": DEMO_VIDEOS, "minutes": DEMO_MINUTES, "seed": seed}
    marker = out / _MARKER
    if data.exists():
        if marker.is_file() and json.loads(marker.read_text()).get("data") == settings:
            typer.echo(f"reusing the synthetic dataset in {data}")
            return data
        raise MabeError(f"{data}: exists but was not written by this demo; choose another --out")
    typer.echo(f"synthesizing {DEMO_VIDEOS} videos of {DEMO_MINUTES:g} min from labs {', '.join(DEMO_LABS)}")
    summary = synthesize(data, n_videos=DEMO_VIDEOS, seed=seed, labs=list(DEMO_LABS), minutes=DEMO_MINUTES)
    typer.echo(str(summary))
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
) -> float:
    """Run the whole pipeline on synthetic data; print and return the test-split MABe score."""
    from mabe.cli.tables import print_table
    from mabe.data.io import MabeDataset
    from mabe.data.submission import write_submission
    from mabe.metrics import score_report
    from mabe.workflows.predict import predict_split
    from mabe.workflows.train import train_run

    if out.exists() and not out.is_dir():
        raise MabeError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    data = _demo_data(out, seed)
    run = _next_run_dir(out)
    config = config_path or "demo"
    sets = [f"seed={seed}", *(overrides or [])]
    typer.echo(f"training config '{config}' into {run}")
    train_run(data=data, out=run, config_path=config, overrides=sets, tune=True)

    typer.echo("predicting the test split")
    submission = predict_split(run, data, "test")
    sub_path = write_submission(submission, run / "submission.csv")
    typer.echo(f"wrote {sub_path} ({len(submission)} intervals)")

    report = score_report(MabeDataset(data).solution("test", progress=False), submission)
    print_table(report.table, title="test split: F per (lab, action)")
    per_lab = pd.DataFrame({"lab_id": report.per_lab.index, "score": report.per_lab.to_numpy()})
    print_table(per_lab, title="test split: score per lab")
    typer.echo(f"test-split MABe score: {report.score:.4f}")
    return report.score
