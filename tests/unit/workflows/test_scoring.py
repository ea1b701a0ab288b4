"""The scoring policy shared by ``mabe score`` and the Modal scorer (issue 16, item 9).

A tiny real dataset and submissions made from its own test labels: what is an
error, what is a warning, and which file a failure names.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mabe.data.io import MabeDataset
from mabe.data.schema import SUBMISSION_COLUMNS
from mabe.errors import DataError, InvalidSolution, InvalidSubmission, MabeError
from mabe.workflows.scoring import EmptySubmission, IgnoredRows, score_submission


def perfect_rows(data: Path, split: str = "test") -> pd.DataFrame:
    """The split's labelled bouts as submission rows (placeholders of bout-less videos dropped)."""
    solution = MabeDataset(data).solution(split, progress=False)
    bouts = solution[solution["action"].notna()].reset_index(drop=True)
    bouts["row_id"] = range(len(bouts))
    return bouts[list(SUBMISSION_COLUMNS)]


def write(rows: pd.DataFrame, path: Path) -> Path:
    rows = rows.reset_index(drop=True).assign(row_id=lambda df: range(len(df)))
    rows[list(SUBMISSION_COLUMNS)].to_csv(path, index=False)
    return path


def with_ignored_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """3 rows on an unknown video and 1 of zero length added; none changes the score."""
    extra = [rows.iloc[:3].assign(video_id=987654), rows.iloc[:1].assign(stop_frame=rows["start_frame"].iloc[0])]
    return pd.concat([rows, *extra], ignore_index=True)


def test_a_perfect_submission_scores_one_without_warnings(small_dataset, tmp_path):
    scored = score_submission(small_dataset, write(perfect_rows(small_dataset), tmp_path / "sub.csv"), progress=False)
    assert scored.report.score == 1.0 and scored.warnings == []
    record = scored.to_dict()
    assert json.loads(json.dumps(record)) == record  # plain values, as the Modal function returns them
    assert record["rows"] == len(perfect_rows(small_dataset)) and sum(record["ignored"].values()) == 0


def test_ignored_rows_warn_and_strict_refuses_them(small_dataset, tmp_path):
    path = write(with_ignored_rows(perfect_rows(small_dataset)), tmp_path / "extra.csv")
    scored = score_submission(small_dataset, path, progress=False)
    assert scored.report.score == 1.0
    assert scored.report.ignored["unknown_video"] == 3 and scored.report.ignored["zero_length"] == 1
    assert len(scored.warnings) == 1 and scored.warnings[0].startswith(f"{path}: 4 of ")
    with pytest.raises(IgnoredRows, match=r"extra\.csv: 4 of .* rows ignored .*\(--strict\)$"):
        score_submission(small_dataset, path, strict=True, progress=False)


def test_an_empty_submission_scores_zero_with_a_warning_and_strict_refuses_it(small_dataset, tmp_path):
    path = write(perfect_rows(small_dataset).iloc[:0], tmp_path / "empty.csv")
    scored = score_submission(small_dataset, path, progress=False)
    assert scored.report.score == 0.0
    assert len(scored.warnings) == 1 and scored.warnings[0].startswith(f"{path}: the submission is empty")
    with pytest.raises(EmptySubmission, match=r"empty\.csv: the submission is empty.*\(--strict\)$"):
        score_submission(small_dataset, path, strict=True, progress=False)


def test_an_unscorable_submission_names_the_submission(small_dataset, tmp_path):
    rows = perfect_rows(small_dataset)
    clash = rows.iloc[:1].assign(action=lambda df: df["action"].map(lambda a: "attack" if a != "attack" else "sniff"))
    path = write(pd.concat([rows, clash], ignore_index=True), tmp_path / "clash.csv")
    with pytest.raises(InvalidSubmission, match=r"^\S*clash\.csv: video .* more than one action") as caught:
        score_submission(small_dataset, path, progress=False)
    assert not isinstance(caught.value, InvalidSolution)


def test_unusable_labels_name_the_dataset_not_the_submission(small_dataset, tmp_path, monkeypatch):
    # the dataset reader refuses bad label files itself; a solution it let through is still told apart by type
    path = write(perfect_rows(small_dataset), tmp_path / "sub.csv")
    solution = MabeDataset(small_dataset).solution("test", progress=False)
    monkeypatch.setattr(MabeDataset, "solution", lambda self, split, progress=True: solution.drop(columns="lab_id"))
    with pytest.raises(InvalidSolution, match=f"^{small_dataset}: solution is missing column") as caught:
        score_submission(small_dataset, path, progress=False)
    assert "sub.csv" not in str(caught.value)


def test_a_split_without_labels_or_a_missing_file_is_one_error(small_dataset, tmp_path):
    with pytest.raises(MabeError, match="--split must be train or test"):
        score_submission(small_dataset, tmp_path / "sub.csv", split="val", progress=False)
    data = tmp_path / "data"
    shutil.copytree(small_dataset, data)
    shutil.rmtree(data / "test_annotation")
    with pytest.raises(MabeError, match="no test_annotation/ directory"):
        score_submission(data, tmp_path / "sub.csv", progress=False)
    with pytest.raises(DataError, match="submission file not found"):
        score_submission(small_dataset, tmp_path / "missing.csv", progress=False)
