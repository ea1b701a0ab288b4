"""Pose files of every format -> dense arrays equal to what was written, after confidence filtering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mabe.data.importers.pose import detect_software, load_recording
from mabe.errors import DataError

FORMATS = ["dlc_csv", "dlc_h5", "sleap_h5", "lp_csv", "anipose_csv", "nwb"]
DETECTED = {
    "LightningPose": "DeepLabCut"
}  # same csv format; read by the same movement code


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_reads_back_what_was_written(pose_files, fmt: str) -> None:
    if fmt not in pose_files:
        pytest.skip("pynwb not available")
    written = pose_files[fmt]
    assert detect_software(written.path) == DETECTED.get(
        written.software, written.software
    )
    rec = load_recording(written.path, written.software, fps=30.0, min_confidence=0.3)
    assert rec.individuals == tuple(written.individuals)
    assert sorted(rec.keypoints) == ["neck", "nose", "tail"]
    src_order = ["nose", "neck", "tail"]
    order = [src_order.index(k) for k in rec.keypoints]
    # source (frames, 2, keypoints, individuals) -> (frames, individuals, keypoints, 2)
    source = written.position[:, :, order, :].transpose(0, 3, 2, 1)
    conf = written.confidence[:, order, :].transpose(0, 2, 1)
    expected = source.copy()
    expected[~np.isfinite(source).all(-1) | (conf < 0.3)] = np.nan
    assert rec.coords.shape == expected.shape
    assert np.array_equal(np.isnan(rec.coords), np.isnan(expected))
    np.testing.assert_allclose(rec.coords, expected, atol=1e-3)
    assert rec.n_low_confidence == int(
        ((conf < 0.3) & np.isfinite(source).all(-1)).sum()
    )
    assert rec.n_low_confidence > 0


def test_without_threshold_only_missing_keypoints_are_absent(pose_files) -> None:
    written = pose_files["dlc_csv"]
    rec = load_recording(written.path, fps=25.0)
    assert rec.fps == 25.0 and rec.n_low_confidence == 0
    assert np.isnan(rec.coords[3, 0, 1]).all() and np.isnan(rec.coords[7, 1]).all()
    assert int(np.isnan(rec.coords[..., 0]).sum()) == 1 + 3


def test_fps_missing_everywhere_is_an_error_not_a_guess(pose_files) -> None:
    with pytest.raises(DataError, match="does not record its frame rate; pass --fps"):
        load_recording(pose_files["sleap_h5"].path)


def test_nwb_frame_rate_comes_from_the_file_and_must_agree(pose_files) -> None:
    if "nwb" not in pose_files:
        pytest.skip("pynwb not available")
    assert load_recording(pose_files["nwb"].path).fps == pytest.approx(30.0)
    with pytest.raises(DataError, match="says 30 fps but --fps is 25"):
        load_recording(pose_files["nwb"].path, fps=25.0)


def test_unrecognised_and_unreadable_files(tmp_path: Path) -> None:
    odd = tmp_path / "poses.txt"
    odd.write_text("hello\n")
    with pytest.raises(DataError, match="pass --source-software"):
        load_recording(odd, fps=30)
    bad = tmp_path / "bad.csv"
    bad.write_text("scorer,a\nnonsense,1\n")
    with pytest.raises(DataError, match="not readable as DeepLabCut output"):
        load_recording(bad, fps=30)
    with pytest.raises(DataError, match="pose file not found"):
        load_recording(tmp_path / "absent.csv", fps=30)


def test_more_than_four_individuals_is_refused(tmp_path: Path) -> None:
    from movement.io import load_poses, save_poses

    position = np.ones((5, 2, 1, 5))
    ds = load_poses.from_numpy(
        position, np.ones((5, 1, 5)), [f"m{i}" for i in range(5)], ["nose"]
    )
    save_poses.to_dlc_file(ds, tmp_path / "five.csv", split_individuals=False)
    with pytest.raises(DataError, match="5 individuals .* at most 4 mice"):
        load_recording(tmp_path / "five.csv", fps=30)


def _dlc_with_blank_likelihoods(path: Path, blank: list[tuple[int, int]]) -> np.ndarray:
    """A DeepLabCut csv as a person leaves it after editing: some likelihood cells empty.

    ``blank`` holds (frame, column) pairs, column counting the x/y/likelihood
    triples left to right (individual-major). Returns the (frames, 2, kp, ind)
    positions; every written likelihood is 0.9.
    """
    from movement.io import load_poses, save_poses

    rng = np.random.default_rng(1)
    position = rng.uniform(0, 500, (6, 2, 2, 2)).round(3)
    ds = load_poses.from_numpy(
        position, np.full((6, 2, 2), 0.9), ["adult", "juvenile"], ["nose", "tail"]
    )
    save_poses.to_dlc_file(ds, path, split_individuals=False)
    lines = path.read_text().splitlines()
    for frame, triple in blank:
        cells = lines[4 + frame].split(",")
        cells[1 + 3 * triple + 2] = "" if triple % 2 else "nan"
        lines[4 + frame] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return position


def test_a_missing_likelihood_does_not_pass_min_confidence(tmp_path: Path) -> None:
    # (frame 1, adult nose), (frame 2, adult tail), (frame 4, juvenile tail)
    path = tmp_path / "edited_DLC.csv"
    position = _dlc_with_blank_likelihoods(path, [(1, 0), (2, 1), (4, 3)])
    kept = load_recording(path, fps=30.0)
    assert not np.isnan(kept.coords).any() and kept.n_low_confidence == 0
    filtered = load_recording(path, fps=30.0, min_confidence=0.5)
    assert filtered.n_low_confidence == 3 and filtered.n_no_confidence == 3
    gone = np.isnan(filtered.coords).all(-1)
    assert sorted(zip(*np.nonzero(gone), strict=True)) == [(1, 0, 0), (2, 0, 1), (4, 1, 1)]
    np.testing.assert_allclose(
        filtered.coords[0], position[0].transpose(2, 1, 0), atol=1e-3
    )
    # the threshold decides the rest: 0.9 passes 0.9, not 0.95
    assert load_recording(path, fps=30.0, min_confidence=0.9).n_low_confidence == 3
    assert load_recording(path, fps=30.0, min_confidence=0.95).n_low_confidence == 24


def test_min_confidence_on_a_file_without_confidence_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "unscored_DLC.csv"
    _dlc_with_blank_likelihoods(path, [(f, t) for f in range(6) for t in range(4)])
    assert load_recording(path, fps=30.0).n_low_confidence == 0
    with pytest.raises(DataError, match="records no confidence for any keypoint"):
        load_recording(path, fps=30.0, min_confidence=0.5)
