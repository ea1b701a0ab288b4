"""Every figure of mabe.plots renders to a non-blank PNG, with consistent action colours."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from png_checks import colour_share, drawn_share

from mabe import plots
from mabe.decode import DecodeParams
from mabe.plots import (
    action_color,
    decode_params_figure,
    decode_params_frame,
    ethogram,
    learning_curves,
    probability_traces,
    save_figure,
    score_bars,
    score_table,
)

# An empty figure of these sizes draws < 1% non-white pixels (title and frame);
# a figure with data draws several percent.
DRAWN_FLOOR = 0.03


def _metrics(n: int = 6, shift: float = 0.0) -> pd.DataFrame:
    epoch = np.arange(1, n + 1)
    return pd.DataFrame({
        "epoch": epoch,
        "train_loss": 1.0 / epoch + shift,
        "val_loss": 1.2 / epoch + shift,
        "val_macro_f1": 0.1 * epoch / n + 0.3,
        "lr": 1e-3 * 0.5 ** epoch,
    })


def _bouts(rows):
    return pd.DataFrame(rows, columns=["agent_id", "target_id", "action", "start_frame", "stop_frame"])


def test_doctests_of_the_plot_modules_pass():
    import importlib

    for name in ("common", "curves", "ethogram", "scores", "tables", "traces"):
        module = importlib.import_module(f"mabe.plots.{name}")
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_palette_is_stable_distinct_and_covers_unknown_names():
    from mabe.data.schema import ACTIONS

    colours = [action_color(a) for a in ACTIONS]
    assert all(c.startswith("#") and len(c) == 7 for c in colours)
    # the actions that often share a video never share a colour
    common = ["sniff", "attack", "mount", "chase", "sniffgenital", "sniffface", "sniffbody", "approach", "avoid", "rear"]
    assert len({action_color(a) for a in common}) == len(common)
    assert action_color("interact") == action_color("interact")
    assert plots.action_colors(["sniff", "interact"]) == {"sniff": action_color("sniff"), "interact": action_color("interact")}


def test_learning_curves_draw_every_run_and_label_axes(png):
    fig = learning_curves({"members/net/fold0": _metrics(), "members/net/fold1": _metrics(shift=0.1)})
    loss, f1, lr = fig.axes
    assert len(loss.get_lines()) == 4 and len(f1.get_lines()) == 2 and len(lr.get_lines()) == 2
    assert [ax.get_xlabel() for ax in fig.axes] == ["epoch"] * 3
    assert lr.get_yscale() == "log"  # lr spans 32x
    assert drawn_share(png(fig)) > DRAWN_FLOOR


def test_learning_curves_without_columns_say_so():
    fig = learning_curves({"run": pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5]})})
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "no validation macro f1 recorded" in texts and "no learning rate recorded" in texts


def test_score_bars_one_panel_per_lab_in_action_colours(png):
    table = pd.DataFrame({
        "lab_id": ["A", "A", "B"], "action": ["attack", "sniff", "sniff"], "f": [0.4, 0.8, 0.6],
        "tp": [20, 80, 30], "fp": [30, 20, 10], "fn": [30, 20, 30],
    })
    scored = score_table(table)
    assert scored["precision"].round(3).tolist() == [0.4, 0.8, 0.75]
    assert scored["recall"].round(3).tolist() == [0.4, 0.8, 0.5]
    fig = score_bars(scored)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["A (mean F 0.600)", "B (mean F 0.600)"]
    data = png(fig)
    assert drawn_share(data) > DRAWN_FLOOR
    assert colour_share(data, action_color("attack")) > 0.002
    assert colour_share(data, action_color("sniff")) > 0.004


def test_score_table_precision_nan_without_predictions():
    t = pd.DataFrame({"lab_id": ["A"], "action": ["mount"], "f": [0.0], "tp": [0], "fp": [0], "fn": [9]})
    row = score_table(t).iloc[0]
    assert np.isnan(row["precision"]) and row["recall"] == 0.0


def test_ethogram_has_true_and_predicted_lanes_per_pair(png):
    true = _bouts([("mouse1", "mouse2", "attack", 0, 300), ("mouse2", "self", "rear", 600, 900)])
    pred = _bouts([("mouse1", "mouse2", "attack", 30, 330), ("mouse2", "mouse1", "sniff", 0, 100)])
    fig = ethogram(pred, fps=30.0, n_frames=1200, true=true, title="v")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "mouse1 → mouse2  true", "predicted",
        "mouse2 → self  true", "predicted",  # an agent's self lane comes first
        "mouse2 → mouse1  true", "predicted",
    ]
    assert ax.get_xlabel() == "time (s)" and ax.get_xlim() == (0.0, 40.0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["attack", "rear", "sniff"]
    data = png(fig)
    assert colour_share(data, action_color("attack")) > 0.01
    assert colour_share(data, action_color("rear")) > 0.005


def test_ethogram_marks_pairs_that_were_not_annotated():
    true = _bouts([("mouse1", "mouse2", "attack", 0, 300)])
    pred = _bouts([("mouse2", "mouse1", "sniff", 0, 100)])
    fig = ethogram(pred, fps=30.0, n_frames=600, true=true, annotated={("mouse1", "mouse2")})
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["mouse1 → mouse2  true", "predicted", "mouse2 → mouse1  not annotated", "predicted"]


def test_ethogram_without_labels_has_prediction_lanes_only_and_handles_nothing():
    pred = _bouts([("mouse1", "mouse2", "sniff", 0, 10)])
    fig = ethogram(pred, fps=10.0, n_frames=100)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["mouse1 → mouse2  predicted"]
    empty = ethogram(_bouts([]), fps=10.0, n_frames=100)
    assert "no bouts, true or predicted" in [t.get_text() for t in empty.axes[0].texts]
    with pytest.raises(ValueError, match="fps"):
        ethogram(pred, fps=0.0)
    with pytest.raises(ValueError, match="action"):
        ethogram(pred.drop(columns="action"), fps=10.0)


def test_ethogram_and_traces_call_mice_by_their_individual_names():
    true = _bouts([("mouse1", "mouse2", "attack", 0, 300), ("mouse2", "self", "rear", 600, 900)])
    pred = _bouts([("mouse3", "mouse1", "sniff", 0, 100)])  # a mouse beyond the names keeps mouseN
    fig = ethogram(pred, fps=30.0, n_frames=1200, true=true, names=("adult", "juvenile"),
                   annotated={("mouse1", "mouse2"), ("mouse2", "self")})
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [
        "adult → juvenile  true", "predicted",
        "juvenile → self  true", "predicted",
        "mouse3 → adult  not annotated", "predicted",
    ]
    probs = np.full((50, 2, 1), 0.5, np.float32)
    traces = probability_traces(probs, [(1, 2), (2, 2)], ["sniff"], DecodeParams(), "A", 30.0,
                                names=("adult", "juvenile"))
    assert [ax.get_title(loc="left") for ax in traces.axes] == ["adult → juvenile", "juvenile → self"]
    plain = probability_traces(probs, [(1, 2), (2, 2)], ["sniff"], DecodeParams(), "A", 30.0)
    assert [ax.get_title(loc="left") for ax in plain.axes] == ["mouse1 → mouse2", "mouse2 → self"]


def test_one_frame_bouts_stay_visible(png):
    pred = _bouts([("mouse1", "mouse2", "sniffgenital", s, s + 1) for s in range(0, 9000, 26)])
    data = png(ethogram(pred, fps=30.0, n_frames=9000))
    assert colour_share(data, action_color("sniffgenital"), tol=0.1) > 0.005


def test_probability_traces_draw_thresholds_in_action_colours(png):
    rng = np.random.default_rng(0)
    probs = rng.uniform(0, 0.3, size=(300, 3, 2)).astype(np.float32)
    probs[100:150, 1, 1] = 0.95  # sniff of mouse1 -> mouse2
    pairs, actions = [(1, 1), (1, 2), (2, 1)], ["rear", "sniff"]
    params = DecodeParams(thresholds={"A": {"sniff": 0.7}}, smoothing={"sniff": 5})
    wl = {("mouse1", "self", "rear"), ("mouse1", "mouse2", "sniff")}
    fig = probability_traces(probs, pairs, actions, params, "A", fps=30.0, whitelist=wl)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["mouse1 → self", "mouse1 → mouse2"]
    sniff_ax = fig.axes[1]
    (line,) = sniff_ax.get_lines()[:1]
    assert line.get_color() == action_color("sniff")
    thresholds = [ln.get_ydata()[0] for ln in sniff_ax.get_lines()[1:]]
    assert thresholds == [0.7]
    # the smoothed trace is what decoding thresholds: peak 0.95, edges averaged
    assert line.get_ydata()[125] == pytest.approx(0.95, abs=1e-6)
    assert line.get_ydata()[100] < 0.95
    assert drawn_share(png(fig)) > DRAWN_FLOOR


def test_probability_traces_check_shapes():
    with pytest.raises(ValueError, match="shape"):
        probability_traces(np.zeros((5, 2, 2)), [(1, 2)], ["a", "b"], DecodeParams(), "A", 30.0)


def test_decode_params_table_and_figure(png, tmp_path):
    params = DecodeParams(thresholds={"A": {"sniff": 0.3}}, smoothing={"attack": 11}, min_length={"sniff": 10})
    table = decode_params_frame(params, ["attack", "sniff"], ["A", "B"])
    assert table.columns.tolist() == ["action", "threshold A", "threshold B", "smoothing", "min_length", "max_gap"]
    assert table.values.tolist() == [["attack", 0.5, 0.5, 11, 1, 0], ["sniff", 0.3, 0.5, 1, 10, 0]]
    path = save_figure(decode_params_figure(table), tmp_path / "sub" / "decode.png")
    data = path.read_bytes()
    assert drawn_share(data) > 0.02
    assert not list(path.parent.glob("*.tmp"))
