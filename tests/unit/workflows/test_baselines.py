"""The reference baselines write valid submissions from training labels only."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from mabe.data.io import MabeDataset
from mabe.metrics import check_submission, score_report
from mabe.workflows.baselines import (
    fit_prior,
    fit_proximity,
    prior_baseline,
    proximity_baseline,
    score_baselines,
)


@pytest.fixture(scope="module")
def no_test_labels(small_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small dataset without ``test_annotation/``: baselines must not need it."""
    root = tmp_path_factory.mktemp("baselines") / "data"
    shutil.copytree(small_dataset, root, ignore=shutil.ignore_patterns("test_annotation"))
    return root


def _whitelisted(sub: pd.DataFrame, ds: MabeDataset, split: str) -> bool:
    allowed = {m.video_id: set(m.behaviors_labeled) for m in ds.metas(split)}
    return all((r.agent_id, r.target_id, r.action) in allowed[r.video_id] for r in sub.itertuples())


def test_prior_is_one_whole_video_bout_per_pair(no_test_labels: Path) -> None:
    ds = MabeDataset(no_test_labels)
    sub = prior_baseline(no_test_labels, "test")
    check_submission(sub)
    assert _whitelisted(sub, ds, "test")
    for meta in ds.metas("test"):
        rows = sub[sub["video_id"] == meta.video_id]
        pairs = {(a, t) for a, t, _ in meta.behaviors_labeled}
        assert len(rows) == len(pairs) == len(set(zip(rows["agent_id"], rows["target_id"], strict=True)))
        assert (rows["start_frame"] == 0).all()
        assert (rows["stop_frame"] == ds.load_pose(meta).n_frames).all()


def test_prior_shares_are_labelled_over_whitelisted_frames(no_test_labels: Path) -> None:
    ds = MabeDataset(no_test_labels)
    labelled: dict[tuple[str, str], float] = defaultdict(float)
    exposed: dict[tuple[str, str], float] = defaultdict(float)
    for meta in ds.metas("train"):
        n = ds.load_pose(meta).n_frames
        for _, _, action in meta.behaviors_labeled:
            exposed[meta.lab_id, action] += n
        ann = ds.load_annotations(meta)
        for r in ([] if ann is None else ann.itertuples()):
            target = "self" if r.target_id == r.agent_id else f"mouse{r.target_id}"
            if (f"mouse{r.agent_id}", target, r.action) in set(meta.behaviors_labeled):
                labelled[meta.lab_id, r.action] += r.stop_frame - r.start_frame
    prior = fit_prior(no_test_labels)
    expected = {key: labelled[key] / n for key, n in exposed.items() if n > 0}
    got = {(lab, action): v for lab, shares in prior.share.items() for action, v in shares.items()}
    assert got == pytest.approx(expected) and any(v > 0 for v in got.values())
    for action in {a for _, a in exposed}:
        pooled = sum(labelled[k] for k in exposed if k[1] == action) / sum(n for k, n in exposed.items() if k[1] == action)
        assert prior.pooled[action] == pytest.approx(pooled)


@pytest.mark.slow  # fits the proximity rule per lab over every distance: seconds, so make test only
def test_proximity_rule_is_fitted_on_train_and_valid(no_test_labels: Path) -> None:
    ds = MabeDataset(no_test_labels)
    rule = fit_proximity(no_test_labels)
    assert set(rule.actions) == {m.lab_id for m in ds.metas("train")}
    assert all(dist > 0 for ranked in rule.actions.values() for _, dist in ranked)
    sub = proximity_baseline(no_test_labels, "test", rule=rule)
    check_submission(sub)
    assert _whitelisted(sub, ds, "test") and len(sub)
    assert (sub["target_id"] != "self").any()


@pytest.mark.slow  # fits the proximity rule per lab over every distance: seconds, so make test only
def test_scores_on_labelled_split(small_dataset: Path) -> None:
    reports = score_baselines(small_dataset, "test")
    assert set(reports) == {"prior", "proximity"}
    for report in reports.values():
        assert 0.0 <= report.score <= 1.0
    solution = MabeDataset(small_dataset).solution("test", progress=False)
    assert score_report(solution, proximity_baseline(small_dataset, "test")).score == pytest.approx(
        reports["proximity"].score
    )
