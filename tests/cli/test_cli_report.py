"""`mabe predict` on new recordings, `mabe report` and `mabe plot ethogram` on a tiny trained run.

One tiny run is trained per module (seconds); the decoding thresholds of
copies of it are set by hand so that what fires is known.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import Result, invoke

from mabe.data.schema import parse_behaviors_labeled
from mabe.decode import DecodeParams
from mabe.workflows.whitelist import model_whitelist

pytestmark = pytest.mark.slow

TINY = ("--set", "lstm_hidden=8", "--set", "max_windows_per_epoch=64")


def _invoke(*args: object) -> Result:
    return invoke(*args, quiet=True)


def _one_line_error(result: Result) -> str:
    assert result.code == 2, result
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


def _drawn_share(data: bytes) -> float:
    """Share of non-white pixels of a PNG (fails if ``data`` is not a PNG)."""
    from matplotlib import image

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    rgb = image.imread(io.BytesIO(data), format="png")[..., :3]
    return float((rgb.min(axis=2) < 0.92).mean())



@pytest.fixture(scope="module")
def tiny_run(small_dataset, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("report") / "run"
    result = _invoke(
        "train", "--data", small_dataset, "--out", run, "--config", "demo",
        "--set", "epochs=2", "--set", "save_freq=2", *TINY,
    )
    assert result.code == 0, result.err
    return run


def _run_with_decoding(run: Path, dst: Path, params: DecodeParams) -> Path:
    shutil.copytree(run, dst)
    params.save(dst / "decode.json")
    return dst


@pytest.fixture(scope="module")
def low_threshold_run(tiny_run, tmp_path_factory) -> Path:
    """The tiny run with every threshold at 0.05: every allowed slot fires."""
    return _run_with_decoding(tiny_run, tmp_path_factory.mktemp("low") / "run", DecodeParams(default_threshold=0.05))


@pytest.fixture(scope="module")
def unlabelled(small_dataset, tmp_path_factory) -> Path:
    """The small dataset with every test video's behaviors_labeled emptied (new recordings)."""
    dst = tmp_path_factory.mktemp("unlabelled") / "data"
    shutil.copytree(small_dataset, dst)
    meta = pd.read_csv(dst / "test.csv")
    meta["behaviors_labeled"] = ""
    meta.to_csv(dst / "test.csv", index=False)
    return dst


def _triples(sub: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(sub["agent_id"], sub["target_id"], sub["action"], strict=True))


# ----------------------------------------------------------------------------- predict on new recordings


def test_new_recordings_get_every_model_action_on_every_pair(low_threshold_run, small_dataset, unlabelled, tmp_path):
    run = low_threshold_run
    actions = json.loads((run / "summary.json").read_text())["actions"]
    labelled_out, open_out = tmp_path / "labelled.csv", tmp_path / "open.csv"
    result = _invoke("predict", "--run", run, "--data", small_dataset, "--out", labelled_out)
    assert result.code == 0, result.err
    assert "no behaviors_labeled" not in result.out
    result = _invoke("predict", "--run", run, "--data", unlabelled, "--out", open_out)
    assert result.code == 0, result.err
    assert "2 videos had no behaviors_labeled: predicted every model action on every pair" in result.out

    labelled, opened = pd.read_csv(labelled_out), pd.read_csv(open_out)
    meta = pd.read_csv(small_dataset / "test.csv").set_index("video_id")
    allowed_all = model_whitelist([(1, 1), (1, 2), (2, 1), (2, 2)], actions)
    for video_id in meta.index:
        whitelist = set(parse_behaviors_labeled(meta.loc[video_id, "behaviors_labeled"]))
        lab_rows, open_rows = labelled[labelled["video_id"] == video_id], opened[opened["video_id"] == video_id]
        assert _triples(lab_rows) <= whitelist
        assert _triples(open_rows) <= allowed_all
        # both directions of the pair are decoded on a new recording, never a self pair
        assert {t[:2] for t in _triples(open_rows)} == {("mouse1", "mouse2"), ("mouse2", "mouse1")}
    assert len(opened) > len(labelled) > 0


def test_actions_restricts_and_one_action_decodes_the_same_with_or_without_whitelist(
    low_threshold_run, small_dataset, unlabelled, tmp_path
):
    run = low_threshold_run
    labelled_out, open_out = tmp_path / "labelled.csv", tmp_path / "open.csv"
    assert _invoke("predict", "--run", run, "--data", small_dataset, "--out", labelled_out, "--actions", "sniff").code == 0
    assert _invoke("predict", "--run", run, "--data", unlabelled, "--out", open_out, "--actions", "sniff").code == 0
    labelled, opened = pd.read_csv(labelled_out), pd.read_csv(open_out)
    assert set(labelled["action"]) == {"sniff"} and set(opened["action"]) == {"sniff"}
    # with one action there is no competition between actions: the whitelisted
    # pair's intervals are identical, the new recording adds the reverse pair
    key = ["video_id", "agent_id", "target_id", "action", "start_frame", "stop_frame"]
    same = opened[(opened["agent_id"] == "mouse1") & (opened["target_id"] == "mouse2")][key].reset_index(drop=True)
    pd.testing.assert_frame_equal(same, labelled[key].reset_index(drop=True))
    assert (opened["agent_id"] == "mouse2").any()


def test_unknown_action_is_one_line(tiny_run, unlabelled, tmp_path):
    out = tmp_path / "sub.csv"
    line = _one_line_error(_invoke("predict", "--run", tiny_run, "--data", unlabelled, "--out", out, "--actions", "sniff,dance"))
    assert "dance" in line and "does not predict" in line and "sniff" in line
    assert not out.exists()


def test_videos_without_interval_are_summarised_and_an_empty_submission_is_refused(
    tiny_run, unlabelled, small_dataset, tmp_path
):
    meta = pd.read_csv(small_dataset / "test.csv")
    labs = dict(zip(meta["lab_id"], meta["video_id"], strict=True))
    firing_lab, silent_lab = sorted(labs)
    # probabilities of a sigmoid are < 1: threshold 1.0 never fires
    actions = json.loads((tiny_run / "summary.json").read_text())["actions"]
    partly = DecodeParams(default_threshold=1.0, thresholds={firing_lab: {a: 0.05 for a in actions}})
    run = _run_with_decoding(tiny_run, tmp_path / "partly", partly)
    out = tmp_path / "partly.csv"
    result = _invoke("predict", "--run", run, "--data", unlabelled, "--out", out)
    assert result.code == 0, result.err
    assert result.err.strip() == f"warning: 1 of 2 videos yielded no interval: {labs[silent_lab]}"
    assert set(pd.read_csv(out)["video_id"]) == {labs[firing_lab]}

    silent = _run_with_decoding(tiny_run, tmp_path / "silent", DecodeParams(default_threshold=1.0))
    out = tmp_path / "empty.csv"
    line = _one_line_error(_invoke("predict", "--run", silent, "--data", unlabelled, "--out", out))
    assert "0 intervals" in line and "--allow-empty" in line and not out.exists()
    result = _invoke("predict", "--run", silent, "--data", unlabelled, "--out", out, "--allow-empty")
    assert result.code == 0, result.err
    assert len(pd.read_csv(out)) == 0
    assert "holds 0 intervals" in result.err and "2 of 2 videos yielded no interval" in result.err


def test_predict_split_report_returns_the_per_video_summary(low_threshold_run, unlabelled):
    from mabe.workflows.predict import predict_split_report

    result = predict_split_report(low_threshold_run, unlabelled, "test", actions=["attack"])
    videos = result.videos
    assert list(videos.columns) == ["video_id", "lab_id", "n_frames", "labelled", "n_intervals"]
    assert not videos["labelled"].any() and (videos["n_frames"] > 0).all()
    counts = result.table.groupby("video_id").size()
    assert videos.set_index("video_id")["n_intervals"].to_dict() == counts.reindex(videos["video_id"], fill_value=0).to_dict()
    assert set(result.table["action"]) <= {"attack"}


# ----------------------------------------------------------------------------- report


def _embedded(page: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_report_with_data_embeds_every_figure(tiny_run, small_dataset, tmp_path):
    out = tmp_path / "rep"
    result = _invoke("report", tiny_run, "--data", small_dataset, "--out", out)
    assert result.code == 0, result.err
    page = (out / "report.html").read_text()
    pngs = sorted((out / "figures").glob("*.png"))
    names = {p.stem for p in pngs}
    meta = pd.read_csv(small_dataset / "test.csv")
    assert names == {"learning_curves", "scores", "time_budget"} | {f"ethogram_{v}" for v in meta["video_id"]} | {
        n for n in names if n.startswith("traces_")
    }
    assert len([n for n in names if n.startswith("traces_")]) == 1
    embedded = _embedded(page)
    assert len(embedded) == len(pngs)
    for png in pngs:
        data = png.read_bytes()
        assert data in embedded, f"{png.name} not embedded"
        assert _drawn_share(data) > 0.02, f"{png.name} looks blank"
    for heading in ("Run", "Learning curves", "Decoding parameters", "Scores per lab and action", "Ethograms", "Probability traces",
                    "Tracking quality"):
        assert f">{heading}</h2>" in page
    import yaml

    model_type = yaml.safe_load((tiny_run / "config.yaml").read_text())["model_type"]
    assert "MABe score" in page and model_type in page
    assert f"wrote {out / 'report.html'} ({len(pngs)} figures)" in result.out
    # decoding checks ran on this run's test predictions, and the page shows exactly what they find
    from mabe.workflows.decoding_checks import degenerate_decoding
    from mabe.workflows.predict import predict_split_report

    predicted = predict_split_report(tiny_run, small_dataset, "test")
    table, videos = predicted.table, predicted.videos
    assert videos["labelled"].all()  # so the actions checked are the model's that the test videos list
    listed = {a for text in meta["behaviors_labeled"] for (_, _, a) in parse_behaviors_labeled(text)}
    model_actions = set(json.loads((tiny_run / "summary.json").read_text())["actions"])
    findings = degenerate_decoding(table, dict(zip(videos["video_id"], videos["n_frames"], strict=True)),
                                   sorted(model_actions & listed))
    all_clear = "Decoding checks: no one-frame bouts" in page
    warning = f"Decoding looks degenerate ({len(findings)} findings)" in page
    assert (all_clear, warning) == (len(findings) == 0, len(findings) > 0), findings
    assert all(f"<b>{kind}</b>" in page for kind in findings["kind"])


def test_report_traces_the_requested_video_and_refuses_an_unknown_one(tiny_run, small_dataset, tmp_path):
    video = int(pd.read_csv(small_dataset / "test.csv")["video_id"].iloc[-1])
    out = tmp_path / "rep"
    assert _invoke("report", tiny_run, "--data", small_dataset, "--out", out, "--video", video).code == 0
    assert (out / "figures" / f"traces_{video}.png").is_file()
    line = _one_line_error(_invoke("report", tiny_run, "--data", small_dataset, "--out", tmp_path / "r2", "--video", 12345))
    assert "12345" in line and not (tmp_path / "r2").exists()


def test_report_without_data_and_never_overwriting(tiny_run, tmp_path):
    out = tmp_path / "rep"
    result = _invoke("report", tiny_run, "--out", out)
    assert result.code == 0, result.err
    page = (out / "report.html").read_text()
    assert [p.name for p in (out / "figures").iterdir()] == ["learning_curves.png"]
    assert "No --data given" in page and ">Decoding parameters</h2>" in page and "Scores per lab" not in page

    before = (out / "report.html").read_bytes()
    line = _one_line_error(_invoke("report", tiny_run, "--out", out))
    assert str(out) in line and "--overwrite" in line
    assert (out / "report.html").read_bytes() == before
    (out / "mine.txt").write_text("keep me")
    assert _invoke("report", tiny_run, "--out", out, "--overwrite").code == 0
    assert (out / "mine.txt").read_text() == "keep me"

    other = tmp_path / "notes"
    other.mkdir()
    (other / "a.txt").write_text("x")
    line = _one_line_error(_invoke("report", tiny_run, "--out", other, "--overwrite"))
    assert "not a report directory" in line and sorted(p.name for p in other.iterdir()) == ["a.txt"]
    assert "nope" in _one_line_error(_invoke("report", tmp_path / "nope"))


def test_report_on_an_ensemble_layout_draws_every_fold(tiny_run, tmp_path):
    ens = tmp_path / "ens"
    for k in (0, 1):
        shutil.copytree(tiny_run, ens / "members" / "net" / f"fold{k}")
    metrics = pd.read_csv(ens / "members" / "net" / "fold1" / "metrics.csv")
    metrics["train_loss"] *= 1.5
    metrics.to_csv(ens / "members" / "net" / "fold1" / "metrics.csv", index=False)
    shutil.copy(tiny_run / "decode.json", ens / "decode.json")
    (ens / "ensemble.json").write_text(json.dumps(
        {"members": [{"name": "net", "kind": "network", "folds": 2}], "actions": ["attack", "sniff"]}
    ))
    (ens / "cv.json").write_text(json.dumps({"score": 0.25}))

    from mabe.workflows.report_html import find_metrics

    assert sorted(find_metrics(ens)) == ["members/net/fold0", "members/net/fold1"]
    out = tmp_path / "rep"
    result = _invoke("report", ens, "--out", out)
    assert result.code == 0, result.err
    page = (out / "report.html").read_text()
    assert "net (network, 2 folds)" in page and "cv score" in page
    assert "<td>attack</td>" in page and "<td>sniff</td>" in page


# ----------------------------------------------------------------------------- plot ethogram


def test_plot_ethogram_of_one_video(low_threshold_run, small_dataset, tmp_path):
    sub = tmp_path / "sub.csv"
    assert _invoke("predict", "--run", low_threshold_run, "--data", small_dataset, "--out", sub).code == 0
    video = int(pd.read_csv(sub)["video_id"].iloc[0])
    fig = tmp_path / "eth.png"
    result = _invoke("plot", "ethogram", "--data", small_dataset, "--submission", sub, "--video", video, "--out", fig)
    assert result.code == 0, result.err
    n_pred = int((pd.read_csv(sub)["video_id"] == video).sum())
    assert f"video {video}, {n_pred} predicted bouts" in result.out
    assert _drawn_share(fig.read_bytes()) > 0.02

    before = fig.read_bytes()
    line = _one_line_error(_invoke("plot", "ethogram", "--data", small_dataset, "--submission", sub, "--video", video, "--out", fig))
    assert "--overwrite" in line and fig.read_bytes() == before
    line = _one_line_error(_invoke("plot", "ethogram", "--data", small_dataset, "--submission", sub, "--video", 999, "--out", tmp_path / "x.png"))
    assert "999" in line
    line = _one_line_error(_invoke("plot", "ethogram", "--data", small_dataset, "--submission", sub, "--video", video, "--out", tmp_path / "x.jpg"))
    assert ".png" in line


def test_report_figures_call_mice_by_the_names_of_sources_csv(tiny_run, small_dataset, tmp_path, monkeypatch):
    import mabe.workflows.report_html as report_html
    from mabe.data.importers.sources import SOURCE_COLUMNS, sources_path

    data = tmp_path / "data"
    shutil.copytree(small_dataset, data)
    videos = pd.read_csv(data / "test.csv")["video_id"].tolist()
    names = ["adult", "juvenile", "intruder", "fourth"]
    rows = [{c: "" for c in SOURCE_COLUMNS} | {"video_id": v, "individuals": json.dumps(names), "first_frame": 0,
                                               "n_frames": 1800, "fps": 30.0} for v in videos]
    pd.DataFrame(rows, columns=list(SOURCE_COLUMNS)).to_csv(sources_path(data), index=False)
    drawn: dict[str, list] = {"ethogram": [], "probability_traces": []}

    def recorded(name):
        real = getattr(report_html, name)

        def draw(*args, **kwargs):
            drawn[name].append(real(*args, **kwargs))
            return drawn[name][-1]

        return draw

    for name in drawn:
        monkeypatch.setattr(report_html, name, recorded(name))
    report_html.build_report(tiny_run, tmp_path / "rep", data, "test", videos[0])
    lanes = {t.get_text() for fig in drawn["ethogram"] for t in fig.axes[0].get_yticklabels()}
    titles = {ax.get_title(loc="left") for ax in drawn["probability_traces"][0].axes}
    assert len(drawn["ethogram"]) == len(videos) and lanes and titles
    assert all(label == "predicted" or "adult" in label or "juvenile" in label for label in lanes), lanes
    assert not any("mouse" in text for text in lanes | titles), lanes | titles
    sources_path(data).unlink()
    drawn["ethogram"].clear()
    report_html.build_report(tiny_run, tmp_path / "rep2", data, "test", videos[0])
    lanes = {t.get_text() for fig in drawn["ethogram"] for t in fig.axes[0].get_yticklabels()}
    assert any("mouse1" in label for label in lanes) and not any("adult" in label for label in lanes)
