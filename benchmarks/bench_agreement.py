"""Agreement of predicted with manually scored behaviour statistics on the real data (issue 18).

Reproduces ``results/2026-12-07-agreement.{md,json,png}``::

    python benchmarks/bench_agreement.py --work /tmp/agreement

In ``--work`` (reused when already there) it imports the ethome DeepLabCut
recording cut into 30 s videos (the last 2 in test) with its BORIS labels,
converts the CalMS21 windows (30 % in test), trains the default ensemble on
each (CalMS21 with ``--budget 3``) and predicts the test splits; then
``mabe stats --agreement`` compares, per video × pair × action, the predicted
total duration and bout count with the labelled ones, on the test videos
and on the training videos' out-of-fold predictions (``--oof``, decoded with
the run's decoding, which was tuned on those same probabilities: slightly
optimistic). For ethome, whose 6 videos are one recording with one labelled
pair, the out-of-fold training videos and the test videos are also pooled
(n = 6 videos), and put back per recording (its train part and its test part). Needs ``../shared/data`` (or ``MABE_SHARED_DATA``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from mabe.fileio import atomic_write_bytes, atomic_write_json, atomic_write_text
from mabe.plots.common import figure_png, new_figure
from mabe.workflows.stats import run_stats

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "benchmarks" / "results" / "2026-12-07-agreement"


def _shared() -> Path:
    return Path(os.environ.get("MABE_SHARED_DATA", REPO.parent / "shared" / "data"))


def _mabe(*args: object, cwd: Path) -> None:
    cmd = [sys.executable, "-m", "mabe", "-q", *map(str, args)]
    print("$ mabe", " ".join(map(str, args)), flush=True)
    subprocess.run(cmd, cwd=cwd, check=True)


def prepare(work: Path) -> None:
    """Import / convert, train and predict whatever is not in ``work`` yet."""
    shared = _shared()
    work.mkdir(parents=True, exist_ok=True)
    dlc = sorted((shared / "ethome_dlc").glob("*_DLC.csv"))
    boris = sorted((shared / "ethome_dlc").glob("*_boris.csv"))
    if not (work / "ethome").is_dir():
        _mabe("import", *dlc, "--out", "ethome", "--lab", "ethome", "--fps", 30, "--min-confidence", 0.5,
              "--annotations", *boris, "--annotation-format", "boris", "--target", "juvenile",
              "--split-minutes", 0.5, "--test-last", 2, cwd=work)
    if not (work / "calms").is_dir():
        subprocess.run([sys.executable, shared / "calms21_to_kaggle.py", "calms", "--test-fraction", "0.3",
                        "--seed", "0"], cwd=work, check=True)
    for name, extra in (("ethome", []), ("calms", ["--budget", 3])):
        if not (work / "runs" / name / "ensemble.json").is_file():
            _mabe("train", "--data", name, "--out", f"runs/{name}", *extra, cwd=work)
        if not (work / f"{name}_pred.csv").is_file():
            _mabe("predict", "--run", f"runs/{name}", "--data", name, "--split", "test",
                  "--out", f"{name}_pred.csv", cwd=work)


CASES = (
    # dataset, predictions, split, per
    ("ethome", "test", "test", "video"),
    ("ethome", "oof", "train", "video"),
    ("ethome", "oof+test", "both", "video"),
    ("ethome", "oof+test", "both", "recording"),
    ("calms", "test", "test", "video"),
    ("calms", "oof", "train", "video"),
)


def _agreement(work: Path, name: str, source: str, split: str, per: str) -> pd.DataFrame:
    out = work / "stats" / f"{name}-{source}-{per}"
    if out.exists():
        paired = pd.read_csv(out / "agreement.csv")
        return paired
    kwargs = {"submission": work / f"{name}_pred.csv"} if source == "test" else {"oof": work / "runs" / name}
    result = run_stats(work / name, out, split, labels=True, agreement=True, per=per, **kwargs)  # type: ignore[arg-type]
    return result.tables["paired"]


def _both_splits(work: Path, name: str, per: str) -> pd.DataFrame:
    """Test predictions and out-of-fold training predictions, paired per recording."""
    from mabe.data.io import MabeDataset
    from mabe.data.submission import read_submission
    from mabe.metrics.agreement import paired_stats
    from mabe.workflows.stats import compute_stats
    from mabe.workflows.stats_inputs import oof_submission

    dataset = MabeDataset(work / name)
    parts = []
    for split, preds in (("test", read_submission(work / f"{name}_pred.csv")), ("train", oof_submission(work / "runs" / name))):
        labels = dataset.solution(split, progress=False, include_boutless=False)
        p = compute_stats(dataset, split, preds, True, per).rename(columns={"recording": "unit"})
        t = compute_stats(dataset, split, labels, False, per).rename(columns={"recording": "unit"})
        p = p.rename(columns={"video_id": "unit"})
        t = t.rename(columns={"video_id": "unit"})
        parts.append(paired_stats(p.assign(unit=p["unit"].astype(str) + f" ({split})"),
                                  t.assign(unit=t["unit"].astype(str) + f" ({split})")))
    return pd.concat(parts, ignore_index=True)


def main(argv: list[str] | None = None) -> dict:
    """Run the cases; write the results next to the other benchmarks unless ``--no-save``."""
    from mabe.metrics.agreement import agreement_summary

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/mabe-agreement"))
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    prepare(work)
    results, pairs = [], {}
    for name, source, split, per in CASES:
        paired = _both_splits(work, name, per) if split == "both" else _agreement(work, name, source, split, per)
        summary = agreement_summary(paired)
        pairs[(name, source, per)] = paired
        for row in summary.to_dict("records"):
            results.append({"dataset": name, "predictions": source, "split": split, "per": per, **row})
    table = pd.DataFrame(results)
    print(table.round(3).to_string(index=False))
    record = {"cases": results, "work": str(work)}
    if not args.no_save:
        atomic_write_json(RESULT.with_suffix(".json"), record)
        atomic_write_text(RESULT.with_suffix(".md"), _markdown(table))
        atomic_write_bytes(RESULT.with_suffix(".png"), figure_png(_figure(pairs)))
    return record


def _markdown(table: pd.DataFrame) -> str:
    cols = ["dataset", "predictions", "per", "action", "measure", "n", "labelled_mean", "predicted_mean",
            "pearson_r", "icc_2_1", "icc_3_1", "mean_diff", "mad"]
    lines = ["# Agreement of predicted with manually scored statistics (issue 18)", "",
             "`python benchmarks/bench_agreement.py` (see its docstring). One row per action and measure:",
             "n units (video or recording × pair × action counted in both), means, Pearson r, ICC(2,1)",
             "(absolute agreement), ICC(3,1) (consistency), mean difference predicted − labelled and mean",
             "absolute difference (seconds for `total_duration_s`, bouts for `bouts`).", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table[cols].to_dict("records"):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.values()) + " |")
    return "\n".join(lines) + "\n"


def _figure(pairs: dict) -> object:
    keys = [(k, a) for k, p in pairs.items() for a in sorted(p["action"].unique())]
    cols = 4
    rows = -(-len(keys) // cols)
    fig = new_figure(3.2 * cols, 3.2 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes[len(keys):]:
        ax.set_axis_off()
    for ax, ((name, source, per), action) in zip(axes, keys, strict=False):
        p = pairs[(name, source, per)]
        p = p[p["action"] == action]
        x, y = p["total_duration_s_labelled"].to_numpy(float), p["total_duration_s_predicted"].to_numpy(float)
        ax.scatter(x, y, s=12, alpha=0.6)
        top = float(max(x.max(initial=0), y.max(initial=0), 1e-6)) * 1.05
        ax.plot([0, top], [0, top], "--", color="#777777", linewidth=1)
        ax.set_title(f"{name} {source} ({per})\n{action}", fontsize=9)
        ax.set_xlabel("labelled s")
        ax.set_ylabel("predicted s")
    return fig


if __name__ == "__main__":
    main()
