"""``mabe import`` / ``mabe export`` as a user runs them: summaries on success, one line and exit 2 on bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_dlc(path: Path, n_frames: int = 30) -> None:
    from movement.io import load_poses, save_poses

    rng = np.random.default_rng(0)
    ds = load_poses.from_numpy(
        rng.uniform(0, 500, (n_frames, 2, 2, 2)),
        np.ones((n_frames, 2, 2)),
        ["adult", "juvenile"],
        ["nose", "tail"],
    )
    save_poses.to_dlc_file(ds, path, split_individuals=False)


def test_import_validate_export_from_the_command_line(run_cli, tmp_path: Path) -> None:
    write_dlc(tmp_path / "s_DLC.csv")
    events = tmp_path / "s_boris.csv"
    events.write_text(
        "Time,Media file path,FPS,Subject,Behavior,Status\n"
        "0.1,s.avi,10,adult,sniff,START\n0.5,s.avi,10,adult,sniff,STOP\n"
    )
    data = tmp_path / "d"
    args = [
        "import",
        tmp_path / "s_DLC.csv",
        "--out",
        data,
        "--lab",
        "mylab",
        "--fps",
        "10",
    ]
    result = run_cli(
        *args,
        "--annotations",
        events,
        "--annotation-format",
        "boris",
        "--target",
        "juvenile",
    )
    assert result.code == 0, result.err
    assert (
        "video 1 (train): s_DLC.csv frames 0-29, 2 mice (adult, juvenile), 1 intervals"
        in result.out
    )
    assert run_cli("validate", data).code == 0
    again = run_cli(*args)
    assert (
        again.code == 2
        and again.err.count("\n") == 1
        and "already imported" in again.err
    )
    sub = tmp_path / "sub.csv"
    sub.write_text(
        "row_id,video_id,agent_id,target_id,action,start_frame,stop_frame\n0,1,mouse1,mouse2,sniff,1,5\n"
    )
    exported = run_cli(
        "export",
        "--submission",
        sub,
        "--data",
        data,
        "--format",
        "boris",
        "--out",
        tmp_path / "r",
    )
    assert exported.code == 0, exported.err
    text = (tmp_path / "r" / "s_DLC_predicted_boris.csv").read_text()
    assert "0.1000," in text and ",adult,sniff,,juvenile," in text


def test_import_errors_are_one_line_with_exit_code_2(run_cli, tmp_path: Path) -> None:
    write_dlc(tmp_path / "s_DLC.csv")
    no_fps = run_cli(
        "import", tmp_path / "s_DLC.csv", "--out", tmp_path / "d", "--lab", "L"
    )
    assert no_fps.code == 2 and no_fps.err.strip().endswith(
        "pass --fps (frames per second)"
    )
    assert no_fps.err.count("\n") == 1
    events = tmp_path / "s_boris.csv"
    events.write_text("Time,Subject,Behavior,Status\n1.0,adult,bite,POINT\n")
    point = run_cli(
        "import",
        tmp_path / "s_DLC.csv",
        "--out",
        tmp_path / "d",
        "--lab",
        "L",
        "--fps",
        "10",
        "--annotations",
        events,
        "--annotation-format",
        "boris",
        "--target",
        "juvenile",
    )
    assert point.code == 2 and "line 2: POINT event 'bite' has no duration" in point.err
    assert not (tmp_path / "d").exists()
    bad = run_cli(
        "import",
        tmp_path / "s_DLC.csv",
        "--out",
        tmp_path / "d",
        "--lab",
        "L",
        "--fps",
        "-3",
    )
    assert bad.code == 2 and "--fps" in bad.err


def test_import_says_what_it_left_out(run_cli, tmp_path: Path) -> None:
    write_dlc(tmp_path / "s_DLC.csv")
    lines = (tmp_path / "s_DLC.csv").read_text().splitlines()
    cells = lines[6].split(",")  # frame 2, adult nose: likelihood erased by hand
    cells[3] = ""
    lines[6] = ",".join(cells)
    (tmp_path / "s_DLC.csv").write_text("\n".join(lines) + "\n")
    labels = tmp_path / "project.csv"
    labels.write_text(
        "video,agent,target,action,start_frame,stop_frame\n"
        "s_DLC,adult,juvenile,sniff,1,5\nother_DLC,adult,juvenile,sniff,1,5\n"
        "other_DLC,adult,,rear,7,9\n"
    )
    result = run_cli(
        "import", tmp_path / "s_DLC.csv", "--out", tmp_path / "d", "--lab", "L",
        "--fps", "10", "--min-confidence", "0.5",
        "--annotations", labels, "--annotation-format", "intervals",
    )
    assert result.code == 0, result.err
    assert "1 intervals" in result.out
    assert (
        "1 keypoints below --min-confidence left out (1 of them without a confidence)"
        in result.out
    )
    assert (
        "2 label row(s) about recordings not in this import skipped (project.csv: 2)"
        in result.out
    )
