"""The cross-fitting run directory: what a failed attempt leaves, when --resume may continue (no training here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mabe import progress
from mabe.errors import MabeError
from mabe.training.run import Run
from mabe.workflows.cv_dir import DATA_KEY, Attempt, check_run_dir, data_change, has_work

FINGERPRINT = {"train_csv_sha256": "abc", "files": {"train_tracking/L/1.parquet": 100, "train_annotation/L/1.parquet": 7}}
PLAN = {"n_folds": 2, "group_by": "video", "seed": 0, "folds": [[1], [2]], "members": [], DATA_KEY: FINGERPRINT}


def _unfinished(out: Path, plan: dict, finished: bool = True) -> Path:
    """A run directory as a failed attempt leaves it: the plan and (optionally) one finished fold model."""
    fold = out / "members" / "lgbm" / "fold0"
    fold.mkdir(parents=True)
    Run(out).plan_path.write_text(json.dumps(plan))
    if finished:
        Run(fold).summary_path.write_text("{}")
    return out


@pytest.fixture
def notes():
    lines: list[str] = []
    previous = progress.set_status_handler(lines.append)
    yield lines
    progress.set_status_handler(previous)


def test_a_new_directory_or_one_holding_only_a_cache_is_a_new_run(tmp_path):
    assert check_run_dir(tmp_path / "absent", PLAN, resume=False) is False
    (tmp_path / "r" / "feature_cache").mkdir(parents=True)
    assert check_run_dir(tmp_path / "r", PLAN, resume=False) is False
    (tmp_path / "r" / "mycache").mkdir()
    assert check_run_dir(tmp_path / "r", PLAN, resume=False, cache_dir=tmp_path / "r" / "mycache" / "x") is False
    with pytest.raises(MabeError, match="not a mabe run directory"):
        check_run_dir(tmp_path / "r", PLAN, resume=False)


def test_resume_where_there_is_no_run_is_refused_as_for_one_network(tmp_path):
    with pytest.raises(MabeError, match="nothing to resume"):
        check_run_dir(tmp_path / "absent", PLAN, resume=True)
    (tmp_path / "r" / "feature_cache").mkdir(parents=True)
    with pytest.raises(MabeError, match="nothing to resume"):
        check_run_dir(tmp_path / "r", PLAN, resume=True)
    assert not (tmp_path / "absent").exists() and (tmp_path / "r" / "feature_cache").is_dir()


def test_a_plan_without_work_does_not_block_even_with_other_settings(tmp_path, notes):
    out = _unfinished(tmp_path / "r", PLAN | {"seed": 7}, finished=False)
    assert check_run_dir(out, PLAN, resume=False) is False
    assert any("kept nothing" in n for n in notes)


def test_work_kept_needs_resume_the_same_plan_and_the_same_data(tmp_path):
    out = _unfinished(tmp_path / "r", PLAN)
    with pytest.raises(MabeError, match="--resume"):
        check_run_dir(out, PLAN, resume=False)
    with pytest.raises(MabeError, match="other folds or settings"):
        check_run_dir(out, PLAN | {"seed": 1}, resume=True)
    changed = PLAN | {DATA_KEY: FINGERPRINT | {"files": {**FINGERPRINT["files"], "train_annotation/L/1.parquet": 6}}}
    with pytest.raises(MabeError, match=r"data changed .*train_annotation/L/1.parquet has another size"):
        check_run_dir(out, changed, resume=True)
    assert check_run_dir(out, PLAN, resume=True) is True


def test_a_run_from_before_fingerprints_resumes_unchecked_with_a_note(tmp_path, notes):
    old = {k: v for k, v in PLAN.items() if k != DATA_KEY}
    out = _unfinished(tmp_path / "r", old)
    assert check_run_dir(out, PLAN, resume=True) is True
    assert any("no fingerprint" in n for n in notes)


def test_data_change_names_what_changed():
    assert data_change(FINGERPRINT, FINGERPRINT) is None
    assert data_change(FINGERPRINT, FINGERPRINT | {"files": {**FINGERPRINT["files"], "train_tracking/L/2.parquet": 5}}) == (
        "train_tracking/L/2.parquet is new"
    )


def test_a_failed_attempt_without_work_removes_only_what_it_created(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "feature_cache").mkdir()  # an earlier attempt's, killed while preparing
    with pytest.raises(RuntimeError), Attempt(out):
        Run(out).plan_path.write_text("{}")
        (out / "members" / "network" / "fold0").mkdir(parents=True)
        (out / "oof").mkdir()
        raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == ["feature_cache"]

    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError), Attempt(fresh, cache_dir=fresh / "cache"):
        (fresh / "cache").mkdir(parents=True)
        (fresh / "feature_cache").mkdir()
        raise RuntimeError("boom")
    assert [p.name for p in fresh.iterdir()] == ["cache"], "the user's --cache-dir stays; the run's own cache goes"

    gone = tmp_path / "gone"
    with pytest.raises(RuntimeError), Attempt(gone):
        (gone / "feature_cache").mkdir(parents=True)
        raise RuntimeError("boom")
    assert not gone.exists()


def test_a_failed_attempt_with_work_keeps_everything_and_names_resume(tmp_path):
    out = tmp_path / "r"
    with pytest.raises(RuntimeError) as caught, Attempt(out):
        _unfinished(out, PLAN)
        raise RuntimeError("boom")
    assert has_work(out) and Run(out).plan_path.is_file()
    assert any("--resume" in note and "(1 finished fold model)" in note for note in caught.value.__notes__)
