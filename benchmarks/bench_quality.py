"""Quality table of issue 7: every model on the same data and the same folds, MABe score.

Rows (all cross-validated on the same K folds of the training videos, grouped by video):

``v5``
    The seed V5 config (``configs/v5.yaml``), trained per fold as a single
    ``mabe train --config v5`` run does: its own 20 % validation split of the
    other folds, decoding tuned on that split, then the held-out fold decoded.
``previous``
    The previous default (``mabe train --config recommended``: the recommended
    network, sized to the data), same procedure.
``trees``, ``network``
    The members of the default ensemble alone, cross-fitted
    (:func:`mabe.workflows.cv.run_cv`): decoding of fold k tuned on the
    out-of-fold probabilities of the other folds.
``ensemble``
    The default ``mabe train``: trees + network blended per action, the
    candidate (member or blend) chosen and decoding tuned on the other folds.
``linear``
    Logistic regression on per-window summary features
    (``benchmarks/linear_baseline.py``), decoding tuned like the members.

Data sets: ``calms21`` = the 1,400 real CalMS21 windows
(``../shared/data/calms21_to_kaggle.py``, every window in the training split);
``synth`` = a simulated set of 6 labs (2-4 mice, 10-120 fps, 3-minute videos),
which also has a test split: each row is then trained on all training videos
and scored on the test split too (``test`` column).

Times are wall seconds on the machine as it was (see the load average that
``run_all.py`` records). ``ensemble_time_sec`` is the whole default
``mabe train`` (cross-fitting, blending, tuning); ``predict_sec_per_video_minute``
its prediction speed on the test split; ``peak_rss_mb`` the benchmark
process's peak memory.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_quality.py [--quick]
[--sets calms21,synth] [--rows v5,previous,trees,network,ensemble,linear]
[--folds 5] [--work DIR] [--refit] [--json]``. ``--refit`` also scores, on
the synthetic test split, the ensemble's members refitted once on every
training video against the fold models it keeps. ``--quick`` shrinks every model and the
synthetic set (minutes instead of hours); its numbers only show that the
table is produced.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mabe import progress
from mabe.data.io import MabeDataset
from mabe.data.synth import synthesize
from mabe.decode import DecodeParams
from mabe.decode.tune import decode_videos
from mabe.metrics import score_report
from mabe.training.folds import make_folds
from mabe.training.labels import action_vocabulary
from mabe.training.split import split_videos
from mabe.workflows.blend import BlendStats, average_probs, blend_probs
from mabe.workflows.cv_scores import cross_validate
from mabe.workflows.ensemble import EnsemblePredictor, EnsembleRecord
from mabe.workflows.members import MemberSpec, fit_member
from mabe.workflows.predict import iter_video_probs, load_decode_params, predict_split
from mabe.workflows.train import resolve_train_config
from mabe.workflows.tune import tune_run

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # linear_baseline, imported where it is used

ROWS = ("v5", "previous", "trees", "network", "ensemble", "linear")
SETS = ("calms21", "synth")
SYNTH_LABS = ("AdaptableSnail", "CalMS21_task1", "JovialSwallow", "LyricalHare", "GroovyShrew", "ReflectiveManatee")
"""2-4 mice; 10 (JovialSwallow), 25-30 and 120 (LyricalHare) fps; 4 to 18 body parts."""
SHARED = HERE.parent.parent / "shared" / "data"

FULL = {"synth_videos": 48, "synth_minutes": 3.0, "net": [], "v5": [], "trees": []}
PREVIOUS = [
    "model_type=tcn_bilstm",
    "model_options={dilations: [1, 2, 4, 8, 16], kernel_size: 3}",
    "lab_vocabulary=null",
    "epochs=15",
    "early_stopping_patience=8",
]
"""``previous``: the recommended network as it was before ``tcn_bigru`` (TCN + BiLSTM,
15 epochs on small data; the width still comes from the data size)."""
QUICK = {
    "synth_videos": 18,
    "synth_minutes": 1.0,
    "net": ["epochs=2", "max_windows_per_epoch=128"],
    "v5": ["epochs=2", "max_windows_per_epoch=128", "early_stopping_patience=0"],
    "trees": ["lgbm.n_estimators=40"],
}


def _score(solution, submission) -> float:
    if solution.empty:
        return float("nan")
    return float(score_report(solution, submission, allow_empty=True).score)


def _subset(solution, ids):
    return solution[solution["video_id"].astype(str).isin({str(v) for v in ids})]


def make_data(name: str, work: Path, sizes: dict, seed: int) -> Path:
    """Write (or reuse) the data set ``name`` under ``work``."""
    root = work / f"data_{name}"
    if root.is_dir():
        return root
    if name == "calms21":
        script = SHARED / "calms21_to_kaggle.py"
        if not script.is_file():
            raise SystemExit(f"{script}: not found (the shared CalMS21 data is needed for the calms21 set)")
        subprocess.run([sys.executable, str(script), str(root), "--test-fraction", "0", "--seed", str(seed)],
                       check=True, capture_output=True)
    else:
        synthesize(root, n_videos=sizes["synth_videos"], seed=seed, labs=list(SYNTH_LABS),
                   minutes=sizes["synth_minutes"], progress=False)
    return root


def _has_test(data: Path) -> bool:
    ds = MabeDataset(data)
    return "test" in ds.splits() and ds.has_labels("test") and any(m.behaviors_labeled for m in ds.metas("test"))


# ------------------------------------------------------------------ rows


def single_model_row(config_name: str, sets: list[str], data: Path, work: Path, folds, test: bool) -> dict:
    """A single network per fold with its own validation split and decoding tuned there (the old procedure)."""
    from mabe.training.fit import fit

    dataset = MabeDataset(data)
    metas = {m.video_id: m for m in dataset.metas("train") if m.behaviors_labeled}
    solution = dataset.solution("train", progress=False)
    scores, started = [], time.perf_counter()
    for k, fold in enumerate(folds):
        run = work / f"fold{k}"
        config = resolve_train_config(data, run, config_name, sets)
        pool = [v for v in metas if v not in set(fold)]
        train, val = split_videos([metas[v] for v in pool], config.val_fraction, config.split_by, config.seed)
        fit(config, run, split=([m.video_id for m in train], [m.video_id for m in val]), progress_bar=False)
        tune_run(run, data)
        videos = list(iter_video_probs(run, dataset, [metas[v] for v in fold]))
        scores.append(_score(_subset(solution, fold), decode_videos(videos, load_decode_params(run))))
    out = _summary(scores) | {"time_sec": round(time.perf_counter() - started, 1)}
    if test:
        run = work / "all"
        fit(resolve_train_config(data, run, config_name, sets), run, progress_bar=False)
        tune_run(run, data)
        out["test"] = _score(dataset.solution("test", progress=False), predict_split(run, data, "test"))
    return out


def ensemble_rows(data: Path, work: Path, folds: int, sizes: dict, seed: int, test: bool) -> tuple[dict, list]:
    """trees, network and ensemble rows from one cross-fitting run (the default ``mabe train``)."""
    from mabe.workflows.cv import member_specs, run_cv

    dataset = MabeDataset(data)
    specs = member_specs(dataset, ("network", "lgbm"), None, sizes["net"] + sizes["trees"])
    started = time.perf_counter()
    if (work / "cv.json").is_file():  # a finished run of an earlier invocation (same --work): its numbers
        result = json.loads((work / "cv.json").read_text())
        took = float(result["wall_time_sec"])
    else:
        result = run_cv(data, work, folds=folds, specs=specs, seed=seed)
        took = time.perf_counter() - started
    rows = {
        "trees": _summary(result["by_model"]["lgbm"]["fold_scores"]),
        "network": _summary(result["by_model"]["network"]["fold_scores"]),
        "ensemble": _summary([f["score"] for f in result["folds"]]) | {"time_sec": round(took, 1)},
    }
    rows["ensemble"]["selected"] = result["selected"]
    rows["ensemble"]["blend"] = _summary(result["by_model"]["blend"]["fold_scores"])["cv_mean"]
    if test:
        rows_test, timing = _test_scores(work, dataset)
        for name, key in (("trees", "lgbm"), ("network", "network"), ("ensemble", "final")):
            rows[name]["test"] = rows_test[key]
        rows["ensemble"] |= timing
    return rows, [f["video_ids"] for f in result["folds"]]


def _test_scores(run: Path, dataset: MabeDataset) -> tuple[dict, dict]:
    """Each candidate of an ensemble run on the test split, plus the ensemble's prediction speed."""

    candidates = json.loads((run / "candidates.json").read_text())
    predictor = EnsemblePredictor(run)
    metas = [m for m in dataset.metas("test") if m.behaviors_labeled]
    per_member, started, minutes = [], time.perf_counter(), 0.0
    for meta in metas:
        video = dataset.load_video(meta)
        minutes += video.n_frames / float(meta.fps) / 60.0
        per_member.append({n: average_probs([p.predict(video) for p in fs]) for n, fs in predictor.members.items()})
    took = time.perf_counter() - started
    solution = dataset.solution("test", progress=False)
    out = {}
    for name, cand in candidates.items():
        videos = [blend_probs({m: v[m] for m in v if m in predictor.members}, cand["weights"]) for v in per_member]
        out[name] = _score(solution, decode_videos(videos, DecodeParams.from_dict(cand["decode"])))
    out["final"] = out[predictor.record.selected]
    return out, {"predict_sec_per_video_minute": round(took / max(minutes, 1e-9), 2)}


def refit_check(ens_run: Path, data: Path, work: Path) -> dict:
    """Test-split score of the ensemble's fold models against the same members refitted on every training video.

    Both use the blend weights and decoding the ensemble tuned on its
    out-of-fold probabilities; the refitted members keep an inner validation
    split of the same size for early stopping.
    """

    dataset = MabeDataset(data)
    record = EnsembleRecord.load(ens_run)
    metas = [m for m in dataset.metas("train") if m.behaviors_labeled]
    train, valid = split_videos(metas, 0.2, "video", record.seed)
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    members = []
    for member in record.active_members():
        fit_member(MemberSpec(member.name, member.kind, member.settings), dataset, train, valid, record.actions,
                   work / "members" / member.name, work / "feature_cache")
        members.append(member.model_copy(update={"folds": [f"members/{member.name}"]}))
    took = time.perf_counter() - started
    record.model_copy(update={"members": members}).save(work)
    shutil.copy(ens_run / "decode.json", work / "decode.json")
    solution = dataset.solution("test", progress=False)
    return {
        "fold_ensemble_test": _score(solution, predict_split(ens_run, data, "test")),
        "refit_test": _score(solution, predict_split(work, data, "test")),
        "refit_time_sec": round(took, 1),
    }


def linear_row(data: Path, folds, test: bool) -> dict:
    """Logistic regression on window summaries, decoding tuned on the other folds' out-of-fold output."""
    from linear_baseline import LinearBaseline

    dataset = MabeDataset(data)
    metas = {m.video_id: m for m in dataset.metas("train") if m.behaviors_labeled}
    actions = action_vocabulary(metas.values())
    oof, started = {}, time.perf_counter()
    for fold in folds:
        model = LinearBaseline(actions).fit(dataset, [m for v, m in metas.items() if v not in set(fold)])
        for v in fold:
            oof[v] = model.predict(dataset.load_video(metas[v]))
    solution = dataset.solution("train", progress=False)
    report, final, _ = cross_validate({"linear": oof}, folds, actions, BlendStats(["linear"], len(folds)), solution)
    out = _summary(report["by_model"]["linear"]["fold_scores"]) | {"time_sec": round(time.perf_counter() - started, 1)}
    if test:
        model = LinearBaseline(actions).fit(dataset, list(metas.values()))
        tests = [m for m in dataset.metas("test") if m.behaviors_labeled]
        videos = [model.predict(dataset.load_video(m)) for m in tests]
        out["test"] = _score(dataset.solution("test", progress=False), decode_videos(videos, final.params))
    return out


def _summary(scores) -> dict:
    finite = [float(s) for s in scores if s is not None and not math.isnan(float(s))]
    mean = sum(finite) / len(finite) if finite else float("nan")
    sd = (sum((s - mean) ** 2 for s in finite) / (len(finite) - 1)) ** 0.5 if len(finite) > 1 else 0.0
    return {"cv_mean": round(mean, 4), "cv_std": round(sd, 4), "fold_scores": [round(float(s), 4) for s in scores]}


# ------------------------------------------------------------------ main


def run_set(name: str, rows: list[str], work: Path, folds: int, sizes: dict, seed: int, refit: bool = False) -> dict:
    data = make_data(name, work, sizes, seed)
    test = _has_test(data)
    out: dict[str, Any] = {"n_train_videos": len([m for m in MabeDataset(data).metas("train") if m.behaviors_labeled])}
    fold_ids = None
    if {"trees", "network", "ensemble"} & set(rows):
        ens, fold_ids = ensemble_rows(data, work / f"{name}_ensemble", folds, sizes, seed, test)
        out |= {k: v for k, v in ens.items() if k in rows}
    if fold_ids is None:
        fold_ids = make_folds([m for m in MabeDataset(data).metas("train") if m.behaviors_labeled], folds, "video", seed)
    for row, config, sets in (("v5", "v5", sizes["v5"]), ("previous", "recommended", PREVIOUS + sizes["net"])):
        if row in rows:
            out[row] = single_model_row(config, sets, data, work / f"{name}_{row}", fold_ids, test)
    if "linear" in rows:
        out["linear"] = linear_row(data, fold_ids, test)
    if refit and test and (work / f"{name}_ensemble" / "ensemble.json").is_file():
        out["refit_vs_folds"] = refit_check(work / f"{name}_ensemble", data, work / f"{name}_refit")
    out["folds"] = fold_ids if name != "calms21" else [len(f) for f in fold_ids]
    return out


def table(result: dict) -> str:
    sets = [s for s in SETS if s in result["sets"]]
    header = "| row | " + " | ".join(
        f"{s} CV ({result['folds']} folds)" + (" | synth test" if s == "synth" else "") for s in sets
    ) + " |"
    lines = [header, "|" + "---|" * (1 + len(sets) + ("synth" in sets))]
    for row in ROWS:
        cells = []
        for s in sets:
            r = result["sets"][s].get(row)
            cells.append(f"{r['cv_mean']:.3f} ± {r['cv_std']:.3f}" if r else "-")
            if s == "synth":
                cells.append(f"{r['test']:.3f}" if r and "test" in r else "-")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=None, help="Keep data and runs here (default: a temporary folder).")
    ap.add_argument("--refit", action="store_true", help="Also compare refitting on everything with the fold ensemble.")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--synth-videos", type=int, default=None, help="Synthetic videos (default 48; quick 18).")
    ap.add_argument("--synth-minutes", type=float, default=None, help="Minutes per synthetic video (default 3).")
    ap.add_argument("--set-net", action="append", default=[], help="Extra --set for every network row.")
    ap.add_argument("--set-v5", action="append", default=[], help="Extra --set for the v5 row.")
    args = ap.parse_args(argv)
    progress.set_enabled(False)
    sizes = dict(QUICK if args.quick else FULL)
    if args.synth_videos is not None:
        sizes["synth_videos"] = args.synth_videos
    if args.synth_minutes is not None:
        sizes["synth_minutes"] = args.synth_minutes
    sizes["net"] = sizes["net"] + args.set_net
    sizes["v5"] = sizes["v5"] + args.set_v5
    rows = [r for r in args.rows.split(",") if r]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_quality_") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result: dict[str, Any] = {"quick": args.quick, "folds": args.folds, "rows": rows, "sizes": sizes, "sets": {}}
        for name in [s for s in args.sets.split(",") if s]:
            result["sets"][name] = run_set(name, rows, work, args.folds, sizes, args.seed, args.refit)
    result["wall_time_sec"] = round(time.perf_counter() - started, 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["table"] = table(result)
    headline = {"wall_time_sec": result["wall_time_sec"], "peak_rss_mb": result["peak_rss_mb"]}
    for s, r in result["sets"].items():
        for row in ("ensemble", "linear"):
            if row in r:
                headline[f"{s}_{row}_cv"] = r[row]["cv_mean"]
        if "test" in r.get("ensemble", {}):
            headline[f"{s}_ensemble_test"] = r["ensemble"]["test"]
    result["headline"] = headline
    if args.json:
        print(json.dumps(result))
    else:
        print(result["table"])
        print(json.dumps(headline, indent=2))
    return result


if __name__ == "__main__":
    main()
