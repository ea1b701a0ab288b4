"""`mabe render`: the clip reads back with its frames and fps, lanes fill inside bouts only, bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from cli_helpers import Result, invoke

from mabe.data import schema
from mabe.plots.common import action_color
from mabe.plots.video import PANEL, LanePanel, bgr
from mabe.workflows.render import build_lanes

N_FRAMES = 90  # 3 s at 30 fps
TRUE_BOUT = (30, 60)  # mouse1 -> mouse2 sniff
PRED_BOUT = (45, 75)


def _write_dataset(root: Path) -> Path:
    """One 3-second video of two walking mice (nose, neck, tail_base) with one labelled bout."""
    row: dict[str, object] = dict.fromkeys(schema.METADATA_COLUMNS, np.nan)
    row.update(lab_id="LabR", video_id=7, frames_per_second=30.0, video_duration_sec=N_FRAMES / 30.0,
               video_width_pix=640, video_height_pix=360, body_parts_tracked=json.dumps(["nose", "neck", "tail_base"]),
               behaviors_labeled=json.dumps(["mouse1,mouse2,sniff"]), mouse1_id="1", mouse2_id="2")
    (root / "train_tracking" / "LabR").mkdir(parents=True)
    (root / "train_annotation" / "LabR").mkdir(parents=True)
    pd.DataFrame([row], columns=list(schema.METADATA_COLUMNS)).to_csv(root / "train.csv", index=False)
    rows = []
    for f in range(N_FRAMES):
        for m, y in ((1, 120.0), (2, 240.0)):
            for k, part in enumerate(("nose", "neck", "tail_base")):
                rows.append((f, m, part, 100.0 + 3 * f - 25 * k, y))
    track = pd.DataFrame(rows, columns=["video_frame", "mouse_id", "bodypart", "x", "y"])
    track = track.astype({"video_frame": "int64", "mouse_id": "int64", "x": "float32", "y": "float32"})
    track.to_parquet(root / "train_tracking" / "LabR" / "7.parquet", index=False)
    pd.DataFrame({"agent_id": [1], "target_id": [2], "action": ["sniff"], "start_frame": [TRUE_BOUT[0]],
                  "stop_frame": [TRUE_BOUT[1]]}).to_parquet(root / "train_annotation" / "LabR" / "7.parquet", index=False)
    return root


@pytest.fixture
def data(tmp_path) -> Path:
    return _write_dataset(tmp_path / "data")


@pytest.fixture
def submission(tmp_path) -> Path:
    path = tmp_path / "sub.csv"
    pd.DataFrame({"row_id": [0], "video_id": [7], "agent_id": ["mouse1"], "target_id": ["mouse2"], "action": ["sniff"],
                  "start_frame": [PRED_BOUT[0]], "stop_frame": [PRED_BOUT[1]]}).to_csv(path, index=False)
    return path


def _one_line_error(result: Result) -> str:
    assert result.code == 2, result
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


def _frames(path: Path) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened()
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames, fps


def _box(frame: np.ndarray, panel: LanePanel, row: int) -> np.ndarray:
    x0, y0, x1, y1 = panel.now_box(row)
    return frame[y0 + 4:y1 - 3, x1 - 20:x1 - 4].reshape(-1, 3).mean(axis=0)


def test_clip_reads_back_and_lanes_fill_only_inside_their_bouts(data, submission, tmp_path):
    out = tmp_path / "clips" / "clip.mp4"
    result = invoke("--quiet", "render", "--data", data, "--video-id", 7, "--labels", "--submission", submission,
                    "--out", out)
    assert result.code == 0, result.err
    assert f"wrote {out}: video 7, frames 0-89" in result.out
    frames, fps = _frames(out)
    assert len(frames) == N_FRAMES and fps == pytest.approx(30.0)
    lanes = build_lanes(("mouse1", "mouse2"), pd.DataFrame({"agent_id": [1], "target_id": [2], "action": ["sniff"],
                        "start_frame": [TRUE_BOUT[0]], "stop_frame": [TRUE_BOUT[1]]}), None)
    panel = LanePanel(lanes * 2, 640, 0, N_FRAMES, 30.0, "")  # same geometry: a true lane, then the pred lane
    sniff = np.array(bgr(action_color("sniff")), dtype=float)
    filled = lambda frame, row: np.abs(_box(frame, panel, row) - sniff).max() < 40  # noqa: E731 - mp4 is lossy
    empty = lambda frame, row: np.abs(_box(frame, panel, row) - np.array(PANEL)).max() < 25  # noqa: E731
    assert filled(frames[40], 0) and empty(frames[40], 1)        # labelled, not yet predicted
    assert filled(frames[50], 0) and filled(frames[50], 1)        # both
    assert empty(frames[10], 0) and empty(frames[10], 1)          # neither
    assert empty(frames[70], 0) and filled(frames[70], 1)         # predicted only
    assert frames[10].shape[0] == panel.height + 360


def test_a_clip_window_on_a_recording_and_existing_out_refused(data, tmp_path):
    recording = tmp_path / "rec.mp4"
    writer = cv2.VideoWriter(str(recording), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (640, 360))
    for f in range(N_FRAMES):
        writer.write(np.full((360, 640, 3), (0, 0, 200) if f < 45 else (0, 200, 0), dtype=np.uint8))
    writer.release()
    out = tmp_path / "on_video.mp4"
    result = invoke("--quiet", "render", "--data", data, "--video-id", 7, "--video", recording,
                    "--start", 1, "--seconds", 1, "--out", out)
    assert result.code == 0, result.err
    frames, _ = _frames(out)
    assert len(frames) == 30
    corner = lambda frame: frame[-20:, -20:].reshape(-1, 3).mean(axis=0)  # noqa: E731 - the recording shows through
    assert corner(frames[0])[2] > 150 and corner(frames[-1])[1] > 150      # frame 30 red, frame 59 green
    before = out.read_bytes()
    again = invoke("--quiet", "render", "--data", data, "--video-id", 7, "--out", out)
    assert "already exists" in _one_line_error(again) and str(out) in again.err
    assert out.read_bytes() == before


def test_bad_input_is_one_line_naming_the_file(data, tmp_path):
    out = tmp_path / "x.mp4"
    assert "no video_id 99" in _one_line_error(invoke("render", "--data", data, "--video-id", 99, "--out", out))
    line = _one_line_error(invoke("render", "--data", data, "--video-id", 7, "--start", 10, "--out", out))
    assert "7.parquet" in line and "past the end" in line
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video")
    line = _one_line_error(invoke("render", "--data", data, "--video-id", 7, "--video", fake, "--out", out))
    assert str(fake) in line and "not a video" in line
    assert ".mp4" in _one_line_error(invoke("render", "--data", data, "--video-id", 7, "--out", tmp_path / "x.avi"))
    assert not out.exists() and not list(tmp_path.glob(".x.*"))


def test_info_details_lists_missing_parts_and_jumps(data):
    path = data / "train_tracking" / "LabR" / "7.parquet"
    track = pd.read_parquet(path)
    drop = (track["mouse_id"] == 2) & (track["bodypart"] == "tail_base") & (track["video_frame"] < 9)
    swap = (track["video_frame"] >= 50)
    track.loc[swap, "mouse_id"] = 3 - track.loc[swap, "mouse_id"]  # identities swap at frame 50
    track[~drop].to_parquet(path, index=False)
    result = invoke("info", data, "--details")
    assert result.code == 0, result.err
    lines = result.out[result.out.index("tracking per mouse"):].splitlines()
    header = [c.strip() for c in next(line for line in lines if "jump_frames" in line).split("┃")]
    rows = {cells[header.index("name")]: cells for cells in
            ([c.strip() for c in line.split("│")] for line in lines if line.startswith("│"))}
    assert rows["mouse2"][header.index("% tail_base")] == "10"   # missing in 9 of 90 frames
    assert rows["mouse1"][header.index("% tail_base")] == "0"
    for name in ("mouse1", "mouse2"):
        assert rows[name][header.index("jumps")] == "1"
        assert rows[name][header.index("jump_frames")] == rows[name][header.index("swap_frames")] == "50"
