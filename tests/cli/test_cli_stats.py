"""``mabe stats`` on a hand-built dataset whose numbers are worked out by hand, and ``mabe report`` without labels."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import Result, invoke

from mabe.data.importers.sources import SOURCE_COLUMNS
from mabe.data.io import MabeDataset
from mabe.data.schema import METADATA_COLUMNS
from mabe.workflows.stats import compute_stats


def _invoke(*args: object) -> Result:
    return invoke(*args, quiet=True)


def _one_line_error(result: Result) -> str:
    assert result.code == 2, result
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


BL = ["mouse1,mouse2,sniff", "mouse2,mouse1,sniff", "mouse1,self,rear"]
# video 1: all three triples labelled; video 2 (the same recording, frames 100-199): only mouse1 -> mouse2 sniff;
# video 3: another recording, unlabelled (behaviors_labeled empty)
VIDEOS = {1: (BL, "treated", 0), 2: (BL[:1], "control", 100), 3: ([], "control", 0)}
BOUTS = {
    1: [(1, 2, "sniff", 10, 20), (1, 2, "sniff", 40, 50), (1, 2, "sniff", 90, 100), (1, 1, "rear", 0, 5)],
    2: [(1, 2, "sniff", 0, 10), (1, 2, "sniff", 50, 70), (2, 1, "sniff", 5, 9)],
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """Lab L at 10 fps, three 100-frame test videos with labels and a sources.csv."""
    root = tmp_path / "d"
    rows, sources = [], []
    for vid, (whitelist, condition, first) in VIDEOS.items():
        row = dict.fromkeys(METADATA_COLUMNS, "")
        row.update(lab_id="L", video_id=vid, frames_per_second=10, video_duration_sec=10.0,
                   mouse1_id=1, mouse2_id=2, mouse1_condition=condition, mouse2_condition="control",
                   mouse1_strain="C57", mouse2_strain="C57", body_parts_tracked='["nose"]',
                   behaviors_labeled=json.dumps(whitelist) if whitelist else "")
        rows.append(row)
        src = dict.fromkeys(SOURCE_COLUMNS, "")
        src.update(video_id=vid, lab_id="L", split="test", source_file=f"/rec{1 if vid < 3 else 2}.csv", fps=10,
                   first_frame=first, n_frames=100, individuals=json.dumps(["adult", "juvenile"]),
                   mouse_ids=json.dumps({"adult": 1, "juvenile": 2}))
        sources.append(src)
    root.mkdir()
    pd.DataFrame(rows, columns=list(METADATA_COLUMNS)).to_csv(root / "test.csv", index=False)
    pd.DataFrame(sources, columns=list(SOURCE_COLUMNS)).to_csv(root / "sources.csv", index=False)
    for vid, bouts in BOUTS.items():
        ann = pd.DataFrame(bouts, columns=["agent_id", "target_id", "action", "start_frame", "stop_frame"])
        ann = ann.astype({"agent_id": "int8", "target_id": "int8", "start_frame": "int32", "stop_frame": "int32"})
        (root / "test_annotation" / "L").mkdir(parents=True, exist_ok=True)
        ann.to_parquet(root / "test_annotation" / "L" / f"{vid}.parquet", index=False)
    return root


def _submission(tmp_path: Path, rows: list[tuple]) -> Path:
    sub = pd.DataFrame(rows, columns=["video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"])
    sub.insert(0, "row_id", range(len(sub)))
    path = tmp_path / "sub.csv"
    sub.to_csv(path, index=False)
    return path


def _labels_as_submission(tmp_path: Path, data: Path) -> Path:
    sol = MabeDataset(data).solution("test", progress=False, include_boutless=False)
    return _submission(tmp_path, sol[["video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"]]
                       .values.tolist())


def _row(table: pd.DataFrame, unit_col: str, unit: object, agent: str, target: str, action: str) -> pd.Series:
    hit = table[(table[unit_col] == unit) & (table["agent"] == agent) & (table["target"] == target) & (table["action"] == action)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_labels_per_video_equal_the_hand_computation(data, tmp_path) -> None:
    result = _invoke("stats", "--labels", "--data", data, "--split", "test", "--out", tmp_path / "o")
    assert result.code == 0, result.err
    table = pd.read_csv(tmp_path / "o" / "stats.csv")
    assert pd.read_parquet(tmp_path / "o" / "stats.parquet").shape == table.shape
    # bouts [10,20) [40,50) [90,100): the last touches the video's end
    v1 = _row(table, "video_id", 1, "mouse1", "mouse2", "sniff")
    assert v1[["bouts", "total_duration_s", "fraction", "latency_s", "mean_bout_s", "median_bout_s", "max_bout_s",
               "mean_gap_s", "censored_bouts"]].tolist() == [3, 3.0, 0.3, 1.0, 1.0, 1.0, 1.0, 3.0, 1]
    assert (v1["agent_name"], v1["target_name"], v1["agent_condition"], v1["target_condition"]) == ("adult", "juvenile", "treated", "control")
    none = _row(table, "video_id", 1, "mouse2", "mouse1", "sniff")  # labelled, no bout
    assert none["bouts"] == 0 and none["total_duration_s"] == 0 and np.isnan(none["latency_s"])
    rear = _row(table, "video_id", 1, "mouse1", "self", "rear")
    assert (rear["bouts"], rear["total_duration_s"], rear["latency_s"], rear["target_name"]) == (1, 0.5, 0.0, "adult")
    # video 2 labels only mouse1 -> mouse2 sniff: the reverse pair (which has a bout in the file) is empty
    unlabelled = _row(table, "video_id", 2, "mouse2", "mouse1", "sniff")
    assert not unlabelled["counted"] and pd.isna(unlabelled["bouts"]) and pd.isna(unlabelled["total_duration_s"])
    assert table.loc[table["video_id"] == 3, "bouts"].isna().all()  # an unlabelled video's labels count nowhere
    assert "9 rows (4 counted, 5 not labelled: empty)" in result.out


def test_submission_and_labels_give_the_same_numbers(data, tmp_path) -> None:
    sub = _labels_as_submission(tmp_path, data)
    assert _invoke("stats", "--labels", "--data", data, "--out", tmp_path / "a").code == 0
    assert _invoke("stats", "--submission", sub, "--data", data, "--out", tmp_path / "b").code == 0
    a, b = (pd.read_csv(tmp_path / x / "stats.csv") for x in "ab")
    labelled = a["video_id"] != 3
    pd.testing.assert_frame_equal(a[labelled].reset_index(drop=True), b[labelled].reset_index(drop=True))


def test_unlabelled_video_counts_what_the_model_could_predict(data, tmp_path) -> None:
    ds = MabeDataset(data)
    sub = pd.DataFrame([(3, "mouse1", "mouse2", "sniff", 20, 40)],
                       columns=["video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"])
    table = compute_stats(ds, "test", sub, predicted=True)
    v3 = table[table["video_id"] == 3].set_index(["agent", "target", "action"])
    assert v3.loc[("mouse1", "mouse2", "sniff"), "bouts"] == 1
    assert v3.loc[("mouse2", "mouse1", "sniff"), "bouts"] == 0  # the model decoded it and found nothing
    assert pd.isna(v3.loc[("mouse1", "self", "rear"), "bouts"])  # never predicted anywhere: unknown
    with_run = compute_stats(ds, "test", sub, predicted=True, vocabulary=["sniff", "rear"])
    v3 = with_run[with_run["video_id"] == 3].set_index(["agent", "target", "action"])
    assert v3.loc[("mouse1", "self", "rear"), "bouts"] == 0 and v3.loc[("mouse2", "self", "rear"), "bouts"] == 0


def test_by_groups_rows_and_draws_one_figure_per_action(data, tmp_path) -> None:
    out = tmp_path / "o"
    result = _invoke("stats", "--labels", "--data", data, "--out", out, "--by", "agent_condition")
    assert result.code == 0, result.err
    by = pd.read_csv(out / "stats_by.csv").set_index(["agent_condition", "action"])
    # sniff: treated = video 1 mouse1 (3 bouts); control = video 1 mouse2 (0) and video 2 mouse1 (2)
    assert by.loc[("treated", "sniff"), ["n", "bouts_median", "total_duration_s_mean"]].tolist() == [1, 3.0, 3.0]
    assert by.loc[("control", "sniff"), ["n", "bouts_median", "total_duration_s_mean"]].tolist() == [2, 1.0, 1.5]
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["by_rear.png", "by_sniff.png"]
    # a video-level csv column works too
    assert _invoke("stats", "--labels", "--data", data, "--out", tmp_path / "p", "--by", "mouse1_condition").code == 0
    assert _one_line_error(_invoke("stats", "--labels", "--data", data, "--out", tmp_path / "q", "--by", "colour")).startswith("error:")


def test_per_recording_puts_the_cut_back_together(data, tmp_path) -> None:
    result = _invoke("stats", "--labels", "--data", data, "--out", tmp_path / "o", "--per", "recording")
    assert result.code == 0, result.err
    table = pd.read_csv(tmp_path / "o" / "stats.csv")
    sniff = _row(table, "recording", "/rec1.csv", "mouse1", "mouse2", "sniff")
    # [10,20) [40,50) [90,110) [150,170) of 200 frames
    assert sniff[["bouts", "total_duration_s", "fraction", "latency_s", "max_bout_s", "video_ids"]].tolist() == [4, 6.0, 0.3, 1.0, 2.0, "1;2"]


def test_agreement_of_the_labels_with_themselves_is_perfect(data, tmp_path) -> None:
    sub = _labels_as_submission(tmp_path, data)
    out = tmp_path / "o"
    result = _invoke("stats", "--submission", sub, "--labels", "--agreement", "--data", data, "--out", out)
    assert result.code == 0, result.err
    summary = pd.read_csv(out / "agreement_summary.csv")
    assert (summary["mad"] == 0.0).all()
    several = summary[summary["n"] > 1]  # sniff (3 rows) and all actions; rear has one row: r and ICC undefined
    assert set(several["action"]) == {"sniff", "all"}
    assert np.allclose(several["pearson_r"], 1.0) and np.allclose(several["icc_2_1"], 1.0)
    assert summary.loc[summary["action"] == "rear", "icc_2_1"].isna().all()
    assert (out / "plots" / "agreement_sniff.png").is_file() and (out / "predicted_stats.csv").is_file()
    # a prediction 1 s too long on every sniff bout of video 1: +3 s there, MAD over 3 sniff rows = 1 s
    sol = pd.read_csv(sub)
    sol.loc[(sol["video_id"] == 1) & (sol["action"] == "sniff"), "stop_frame"] += 10
    sol.loc[(sol["video_id"] == 1) & (sol["stop_frame"] > 100), "stop_frame"] = 100  # stays in the video
    sol.to_csv(sub, index=False)
    assert _invoke("stats", "--submission", sub, "--labels", "--agreement", "--data", data, "--out", tmp_path / "p").code == 0
    paired = pd.read_csv(tmp_path / "p" / "agreement.csv").set_index(["video_id", "agent", "target", "action"])
    assert paired.loc[(1, "mouse1", "mouse2", "sniff"), "total_duration_s_predicted"] == pytest.approx(5.0)
    summary = pd.read_csv(tmp_path / "p" / "agreement_summary.csv").set_index(["action", "measure"])
    assert summary.loc[("sniff", "total_duration_s"), "mad"] == pytest.approx(2.0 / 3)


def test_never_replaces_a_file_and_bad_options_are_one_line(data, tmp_path) -> None:
    out = tmp_path / "o"
    assert _invoke("stats", "--labels", "--data", data, "--out", out).code == 0
    before = (out / "stats.csv").read_bytes()
    line = _one_line_error(_invoke("stats", "--labels", "--data", data, "--out", out))
    assert "already exists" in line and (out / "stats.csv").read_bytes() == before
    sub = _labels_as_submission(tmp_path, data)
    assert "--agreement" in _one_line_error(_invoke("stats", "--labels", "--submission", sub, "--data", data, "--out", tmp_path / "x"))
    assert _one_line_error(_invoke("stats", "--data", data, "--out", tmp_path / "x"))
    assert "--per" in _one_line_error(_invoke("stats", "--labels", "--data", data, "--out", tmp_path / "x", "--per", "day"))
    assert "train" in _one_line_error(_invoke("stats", "--labels", "--data", data, "--split", "train", "--out", tmp_path / "x"))
    bad = _submission(tmp_path, [(9, "mouse1", "mouse2", "sniff", 0, 5)])
    assert "video_id 9" in _one_line_error(_invoke("stats", "--submission", bad, "--data", data, "--out", tmp_path / "x"))
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_report_on_unlabelled_videos_draws_every_ethogram_statistics_and_time_budget(small_dataset, tmp_path) -> None:
    run = tmp_path / "run"
    result = _invoke("train", "--data", small_dataset, "--out", run, "--config", "demo", "--set", "epochs=1",
                     "--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=64")
    assert result.code == 0, result.err
    (run / "decode.json").write_text(json.dumps({"default_threshold": 0.05}))  # make something fire
    unlabelled = tmp_path / "data"
    shutil.copytree(small_dataset, unlabelled)
    shutil.rmtree(unlabelled / "test_annotation")
    meta = pd.read_csv(unlabelled / "test.csv")
    meta["behaviors_labeled"] = ""
    meta.to_csv(unlabelled / "test.csv", index=False)
    result = _invoke("report", run, "--data", unlabelled, "--split", "test", "--out", tmp_path / "rep")
    assert result.code == 0, result.err
    figures = {p.name for p in (tmp_path / "rep" / "figures").iterdir()}
    assert {f"ethogram_{v}.png" for v in meta["video_id"]} <= figures and "time_budget.png" in figures
    page = (tmp_path / "rep" / "report.html").read_text()
    assert "Behaviour statistics" in page and "no scores" in page
    section = page[page.index('id="behaviour-statistics"'):]
    assert re.search(r"<th>bouts</th>", section) and "<th>mean_fraction</th>" in section
