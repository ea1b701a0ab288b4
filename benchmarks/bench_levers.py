"""Issue #17 item 6: cheap levers of the MABe 2025 write-ups, measured on the grouped 5-fold CV.

Everything here works on finished ``mabe cv`` run directories (same folds: ``--seed 0``), so a
lever that only changes the network reuses the baseline's tree out-of-fold files, and a lever
that only changes prediction or decoding needs no training at all::

    # the runs (each prints its table and writes RUN/cv.json)
    mabe cv --data D --out base --folds 5                                        # baseline ensemble
    mabe cv --data D --out ema --folds 5 --members network --set ema_decay=0.999
    mabe cv --data D --out s43 --folds 5 --members network --set seed=43       # second seed
    mabe cv --data D --out maug --folds 5 --members network --set mirror_augment=true

    python benchmarks/bench_levers.py predict --data D --run base --out tta --tta     # mirror TTA, same fold models
    python benchmarks/bench_levers.py score --data D --plan base --out s_x network=ema lgbm=base
    python benchmarks/bench_levers.py score --data D --plan base --out s_2 network=base,s43 lgbm=base  # seeds averaged
    python benchmarks/bench_levers.py thresholds --data D --plan base --scored s_base  # fold-averaged thresholds
    python benchmarks/bench_levers.py ap --data D --plan base base=base tta=tta 2seeds=base,s43

``score`` writes ``OUT/oof`` (several directories of one member are averaged) and scores it
exactly as ``mabe cv`` does (blend weights and decoding tuned on the other folds).
``thresholds`` compares, inside the same CV, decoding tuned once on the other folds pooled
(what ``mabe cv`` does) with the same decoding whose per-action thresholds are the mean of
the thresholds tuned on each other fold alone (the 2nd-place recipe). ``ap`` gives the
network's threshold-free frame-level average precision per fold (macro over actions), which
does not go through the blend or the decoding tuner. Results: ``results/2026-12-07-levers.md``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from mabe.data.io import MabeDataset
from mabe.decode.tune import decode_videos
from mabe.features.shared_pairs import shared_pair_features
from mabe.training.labels import action_vocabulary
from mabe.training.prepare import labelled_metas
from mabe.workflows import cv as cv_mod
from mabe.workflows import cv_scores as cs
from mabe.workflows.blend import BlendStats, _column, average_probs, video_truth, whitelisted_only
from mabe.workflows.members import MemberSpec
from mabe.workflows.oof import load_oof, oof_path, save_oof


def _folds(plan_run: Path) -> list[list[int]]:
    return json.loads((plan_run / "cv_plan.json").read_text())["folds"]


def predict(ds: MabeDataset, run: Path, out: Path, tta: bool) -> float:
    """Predict every network fold model's held-out videos again (optionally with mirror TTA) into ``out/oof``."""
    from mabe.training.inference import load_trained, predict_video
    from mabe.workflows.predict import to_video_probs

    by_id = {m.video_id: m for m in labelled_metas(ds, "train")}
    t0 = time.perf_counter()
    for k, fold in enumerate(_folds(run)):
        model, config, info = load_trained(run / f"members/network/fold{k}")
        config = config.model_copy(update={"mirror_tta": tta})
        for v in fold:
            video = ds.load_video(by_id[v])
            with shared_pair_features():
                vp = to_video_probs(video.meta, predict_video(model, config, info, video), None)
            save_oof(out, "network", whitelisted_only(vp), k)
    return time.perf_counter() - t0


def _member_oof(ds: MabeDataset, dirs: list[str], name: str, video_id: int):
    vps = [load_oof(oof_path(d, name, video_id))[0] for d in dirs]
    return vps[0] if len(vps) == 1 else average_probs(vps)


def score(ds: MabeDataset, plan_run: Path, out: Path, sources: dict[str, list[str]]) -> dict:
    """Write the (averaged) out-of-fold files of each member into ``out`` and score them as ``mabe cv`` does."""
    metas = labelled_metas(ds, "train")
    folds = _folds(plan_run)
    fold_of = {v: k for k, f in enumerate(folds) for v in f}
    for name, dirs in sources.items():
        for m in metas:
            save_oof(out, name, _member_oof(ds, dirs, name, m.video_id), fold_of[m.video_id])
    specs = [MemberSpec(n, n) for n in sources]
    report, _, _ = cv_mod._score_run(out, ds, metas, folds, specs, action_vocabulary(metas))
    result = {
        "score_mean": report["score_mean"],
        "score_std": report["score_std"],
        "fold_scores": report["fold_scores"],
        "choices": [f["choice"] for f in report["folds"]],
        "by_model": {n: {"mean": b["score_mean"], "sd": b["score_std"], "folds": b["fold_scores"]}
                     for n, b in report["by_model"].items()},
        "tuned_oof_score": report["tuned_oof_score"],
    }
    (out / "score.json").write_text(json.dumps(result, indent=1))
    return result


def thresholds(ds: MabeDataset, plan_run: Path, scored: Path, candidate: str = "blend") -> dict:
    """Per outer fold: decoding tuned on the other folds pooled vs the same with fold-averaged thresholds."""
    metas = labelled_metas(ds, "train")
    actions = action_vocabulary(metas)
    folds = _folds(plan_run)
    fold_of = {v: k for k, f in enumerate(folds) for v in f}
    names = sorted(p.name for p in (scored / "oof").iterdir())
    stats = BlendStats(names, len(folds))
    oof: dict[str, dict] = {n: {} for n in names}
    for m in metas:
        per = {n: load_oof(oof_path(scored, n, m.video_id))[0] for n in names}
        for n in names:
            oof[n][m.video_id] = per[n]
        if len(names) > 1:
            truth = video_truth(per[names[0]], ds.load_annotations(m), set(m.behaviors_labeled))
            stats.add(fold_of[m.video_id], per, truth)
    sol = ds.solution("train", progress=False)
    res: dict = {"pooled": [], "averaged": [], "thresholds": []}
    for k, fold in enumerate(folds):
        others = [v for j, f in enumerate(folds) if j != k for v in f]
        weights = cs._weights_for(candidate, names, actions, stats, k)
        pooled = cs.tune_choice(candidate, weights, oof, others, sol).params
        per_fold = [cs.tune_choice(candidate, weights, oof, f, sol).params for j, f in enumerate(folds) if j != k]
        thr = {lab: {a: float(np.mean([p.threshold_for(lab, a) for p in per_fold])) for a in acts}
               for lab, acts in pooled.thresholds.items()}
        averaged = pooled.model_copy(update={"thresholds": thr})
        sol_k = cs.solution_of(sol, fold)
        for key, params in (("pooled", pooled), ("averaged", averaged)):
            res[key].append(cs._score(sol_k, decode_videos(cs.candidate_probs(oof, fold, weights), params)))
        res["thresholds"].append({"pooled": pooled.thresholds, "averaged": thr})
    return res


def _ap(y: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(-p, kind="stable")
    y = y[order].astype(float)
    precision = np.cumsum(y) / np.arange(1, len(y) + 1)
    return float((precision * y).sum() / max(y.sum(), 1.0))


def frame_ap(ds: MabeDataset, plan_run: Path, sources: dict[str, list[str]]) -> dict:
    """Network frame-level average precision per fold (macro over actions) of each (averaged) OOF source."""
    metas = labelled_metas(ds, "train")
    folds = _folds(plan_run)
    fold_of = {v: k for k, f in enumerate(folds) for v in f}
    truths: dict[int, dict] = {}
    out = {}
    for label, dirs in sources.items():
        acc: dict[tuple[int, str], tuple[list, list]] = {}
        for m in metas:
            vp = _member_oof(ds, dirs, "network", m.video_id)
            if m.video_id not in truths:
                truths[m.video_id] = video_truth(vp, ds.load_annotations(m), set(m.behaviors_labeled))
            for action, (pairs, labels) in truths[m.video_id].items():
                ps, ys = acc.setdefault((fold_of[m.video_id], action), ([], []))
                ps.append(_column(vp, action, pairs).ravel())
                ys.append(labels.ravel())
        per_action: dict[str, list[float]] = {}
        for (k, action), (ps, ys) in sorted(acc.items()):
            per_action.setdefault(action, [float("nan")] * len(folds))[k] = _ap(np.concatenate(ys), np.concatenate(ps))
        macro = [float(np.mean([per_action[a][k] for a in per_action])) for k in range(len(folds))]
        out[label] = {"per_action": per_action, "macro_ap_folds": macro, "macro_ap_mean": float(np.mean(macro))}
    return out


def _sources(items: list[str]) -> dict[str, list[str]]:
    return {k: v.split(",") for k, v in (i.split("=", 1) for i in items)}


def main() -> None:
    """Command line: ``predict``, ``score``, ``thresholds`` or ``ap`` (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["predict", "score", "thresholds", "ap"])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--run", type=Path)
    parser.add_argument("--plan", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--scored", type=Path)
    parser.add_argument("--tta", action="store_true")
    parser.add_argument("sources", nargs="*")
    args = parser.parse_intermixed_args()
    ds = MabeDataset(args.data)
    if args.what == "predict":
        result: object = {"predict_seconds": predict(ds, args.run, args.out, args.tta)}
    elif args.what == "score":
        result = score(ds, args.plan, args.out, _sources(args.sources))
    elif args.what == "thresholds":
        result = thresholds(ds, args.plan, args.scored)
    else:
        result = frame_ap(ds, args.plan, _sources(args.sources))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
