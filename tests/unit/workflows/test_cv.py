"""Cross-fitting end to end on a tiny dataset: out-of-fold files, honest scores, the ensemble run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mabe.config import load_config, packaged_config_path, read_config_file
from mabe.data.io import MabeDataset
from mabe.errors import MabeError
from mabe.metrics import check_submission
from mabe.workflows.members import MemberSpec
from mabe.workflows.oof import load_oof, oof_path, oof_videos
from mabe.workflows.recommend import recommended_config

pytestmark = pytest.mark.slow

ONE_BLOCK = {**read_config_file(packaged_config_path("actions"))["model_options"], "dilations": [1]}
"""The recommended tcn_bigru's options with one multi-scale block instead of four."""
TINY_NET = [
    "epochs=2",
    "max_windows_per_epoch=48",
    f"model_options={json.dumps(ONE_BLOCK)}",  # tcn_bigru's depth; conv_channels is conv_bilstm's only
    "lstm_hidden=8",  # tcn_bigru's width
    "batch_size=16",
    "early_stopping_patience=0",
    "num_workers=0",
]


def _net(data: Path, name: str, seed: int) -> MemberSpec:
    config = recommended_config(MabeDataset(data), [*TINY_NET, f"seed={seed}"])
    return MemberSpec(name, "network", config.to_dict())


@pytest.fixture(scope="module")
def cv_run(small_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from mabe.workflows.cv import run_cv

    run = tmp_path_factory.mktemp("cv") / "run"
    specs = [_net(small_dataset, "net_a", 0), _net(small_dataset, "net_b", 1)]
    return run, run_cv(small_dataset, run, folds=2, specs=specs, seed=0)


def test_every_training_video_is_out_of_fold_exactly_once(cv_run, small_dataset) -> None:
    run, result = cv_run
    train_ids = sorted(m.video_id for m in MabeDataset(small_dataset).metas("train") if m.behaviors_labeled)
    folds = [f["video_ids"] for f in result["folds"]]
    assert sorted(v for f in folds for v in f) == train_ids  # each once, none missing
    for name in ("net_a", "net_b"):
        assert oof_videos(run, name) == train_ids
        for k, fold in enumerate(folds):
            for v in fold:
                vp, stored_fold = load_oof(oof_path(run, name, v))
                assert stored_fold == k and vp.video_id == v
                assert vp.probs.ndim == 3 and np.isfinite(vp.probs).all()


def test_fold_models_never_saw_their_held_out_videos(cv_run) -> None:
    run, result = cv_run
    for k, fold in enumerate(result["folds"]):
        summary = json.loads((run / "members" / "net_a" / f"fold{k}" / "summary.json").read_text())
        seen = set(summary["data"]["train_video_ids"]) | set(summary["data"]["val_video_ids"])
        assert seen and not seen & set(fold["video_ids"])
        fold_config = load_config(run / "members" / "net_a" / f"fold{k}" / "config.yaml")
        assert (fold_config.model_type, fold_config.lstm_hidden, fold_config.model_options) == ("tcn_bigru", 8, ONE_BLOCK)


def test_cv_json_has_the_promised_keys(cv_run) -> None:
    run, result = cv_run
    on_disk = json.loads((run / "cv.json").read_text())
    assert on_disk == result
    for key in ("score_mean", "score_std", "folds", "per_lab", "per_lab_action", "by_model", "selected"):
        assert key in on_disk
    assert set(on_disk["by_model"]) == {"net_a", "net_b", "blend"}
    scores = [f["score"] for f in on_disk["folds"]]
    assert on_disk["score_mean"] == pytest.approx(np.mean(scores))
    assert all(set(f["scores"]) == {"net_a", "net_b", "blend"} for f in on_disk["folds"])
    assert all(f["score"] == f["scores"][f["choice"]] for f in on_disk["folds"])
    assert set(on_disk["per_lab"]) <= {m for m in ("CalMS21_task2", "JovialSwallow")}


def test_ensemble_tuned_oof_score_is_at_least_each_members(cv_run) -> None:
    run, result = cv_run
    tuned = result["tuned_oof_score"]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["selected"] == result["selected"]
    for member in ("net_a", "net_b"):
        assert summary["tuned_oof_score"] >= tuned[member] - 1e-12
    assert summary["tuned_oof_score"] == pytest.approx(tuned[result["selected"]])
    # among the candidates at least as good as every member in sample, the best cross-validated one is kept
    floor = max(tuned["net_a"], tuned["net_b"])
    eligible = [c for c, t in tuned.items() if t >= floor - 1e-12]
    best_cv = max(result["by_model"][c]["score_mean"] for c in eligible)
    assert result["by_model"][result["selected"]]["score_mean"] == pytest.approx(best_cv)


def test_ensemble_run_predicts_a_valid_submission(cv_run, small_dataset) -> None:
    from mabe.workflows.predict import predict_split

    run, _ = cv_run
    submission = predict_split(run, small_dataset, "test")
    check_submission(submission)
    assert len(submission) > 0


def test_tuning_an_ensemble_run_uses_its_out_of_fold_videos(cv_run, small_dataset) -> None:
    from mabe.workflows.tune import tune_ensemble

    run, result = cv_run
    tuned = tune_ensemble(run, small_dataset)
    assert tuned.n_videos == sum(len(f["video_ids"]) for f in result["folds"])
    assert tuned.tuned_score >= tuned.default_score


def test_a_finished_cv_run_is_never_replaced(cv_run, small_dataset) -> None:
    from mabe.workflows.cv import run_cv

    run, _ = cv_run
    before = (run / "cv.json").read_text()
    with pytest.raises(MabeError, match="finished"):
        run_cv(small_dataset, run, folds=2, specs=[_net(small_dataset, "net_a", 0)])
    assert (run / "cv.json").read_text() == before


def test_an_unfinished_run_resumes_without_refitting(cv_run, small_dataset, tmp_path) -> None:
    import shutil

    from mabe.workflows.cv import run_cv

    run, result = cv_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    for name in ("summary.json", "ensemble.json", "cv.json"):
        (copy / name).unlink()
    lost = result["folds"][1]["video_ids"][0]
    oof_path(copy, "net_b", lost).unlink()
    model = copy / "members" / "net_a" / "fold0" / "summary.json"
    stamp = model.stat().st_mtime_ns
    specs = [_net(small_dataset, "net_a", 0), _net(small_dataset, "net_b", 1)]
    with pytest.raises(MabeError, match="--resume"):
        run_cv(small_dataset, copy, folds=2, specs=specs, seed=0)
    with pytest.raises(MabeError, match="other folds or settings"):
        run_cv(small_dataset, copy, folds=2, specs=specs, seed=5, resume=True)
    again = run_cv(small_dataset, copy, folds=2, specs=specs, seed=0, resume=True)
    assert model.stat().st_mtime_ns == stamp  # fold models are kept
    assert oof_path(copy, "net_b", lost).is_file()
    assert [f["video_ids"] for f in again["folds"]] == [f["video_ids"] for f in result["folds"]]
    assert (copy / "ensemble.json").is_file()


class _Touch:
    """Unpickling this calls ``Path.touch(marker)`` (any code could run instead)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def test_an_ensemble_member_checkpoint_that_would_run_code_is_refused(cv_run, small_dataset, tmp_path) -> None:
    """A shared ensemble run is data: its fold models load as weights only (issue 16, item 10)."""
    import shutil

    import torch

    from mabe.errors import DataError
    from mabe.workflows.predict import predict_split

    run, marker = tmp_path / "shared", tmp_path / "code_ran"
    shutil.copytree(cv_run[0], run)
    crafted = sorted((run / "members").glob("*/fold*/checkpoints/*.ckpt"))  # whichever the blend selected
    assert crafted
    for path in crafted:
        state = torch.load(path, map_location="cpu", weights_only=True)
        torch.save({**state, "mabe": {**state["mabe"], "note": _Touch(marker)}}, path)
    with pytest.raises(DataError, match=r"fold\d/checkpoints/\w+\.ckpt: refused: loading it needs arbitrary unpickling"):
        predict_split(run, small_dataset, "test")
    assert not marker.exists()
