"""Small pose files written with the tools' own writers (movement / pynwb), once per session."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

KEYPOINTS = ["nose", "neck", "tail"]
N_FRAMES = 40


def shared_data() -> Path:
    """``<repo>/../shared/data`` (or ``$MABE_SHARED_DATA``)."""
    env = os.environ.get("MABE_SHARED_DATA")
    return (
        Path(env)
        if env
        else Path(__file__).resolve().parents[4] / ".." / "shared" / "data"
    )


@dataclass
class Written:
    """A pose file and the arrays it was written from (movement layout)."""

    path: Path
    software: str
    position: np.ndarray  # (frames, 2, keypoints, individuals)
    confidence: np.ndarray  # (frames, keypoints, individuals)
    individuals: list[str]


def source_arrays(seed: int = 0, individuals: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Random positions with a few NaN keypoints and confidences spread over [0, 1]."""
    rng = np.random.default_rng(seed)
    position = rng.uniform(0, 500, (N_FRAMES, 2, len(KEYPOINTS), individuals)).round(3)
    confidence = rng.uniform(0, 1, (N_FRAMES, len(KEYPOINTS), individuals)).round(4)
    position[3, :, 1, 0] = np.nan
    position[7, :, :, -1] = np.nan
    return position, confidence


def write_anipose(path: Path, position: np.ndarray, confidence: np.ndarray) -> None:
    """An Anipose 3D csv as Anipose writes it (one animal, z and camera columns)."""
    columns: dict[str, np.ndarray] = {}
    for k, name in enumerate(KEYPOINTS):
        columns[f"{name}_x"] = position[:, 0, k, 0]
        columns[f"{name}_y"] = position[:, 1, k, 0]
        columns[f"{name}_z"] = np.zeros(N_FRAMES)
        columns[f"{name}_error"] = np.zeros(N_FRAMES)
        columns[f"{name}_ncams"] = np.full(N_FRAMES, 2)
        columns[f"{name}_score"] = confidence[:, k, 0]
    columns["fnum"] = np.arange(N_FRAMES)
    for i in range(3):
        columns[f"center_{i}"] = np.zeros(N_FRAMES)
        for j in range(3):
            columns[f"M_{i}{j}"] = np.eye(3)[i, j] * np.ones(N_FRAMES)
    pd.DataFrame(columns).to_csv(path, index=False)


@pytest.fixture(scope="session")
def pose_files(tmp_path_factory) -> dict[str, Written]:
    """One small file per format: dlc_csv, dlc_h5, sleap_h5, lp_csv, anipose_csv, nwb."""
    from movement.io import load_poses, save_poses

    root = tmp_path_factory.mktemp("pose_files")
    position, confidence = source_arrays()
    names = ["adult", "juvenile"]
    ds = load_poses.from_numpy(
        position, confidence, names, KEYPOINTS, source_software="DeepLabCut"
    )
    out: dict[str, Written] = {}
    save_poses.to_dlc_file(ds, root / "s1_dlc.csv", split_individuals=False)
    out["dlc_csv"] = Written(
        root / "s1_dlc.csv", "DeepLabCut", position, confidence, names
    )
    save_poses.to_dlc_file(ds, root / "s2_dlc.h5", split_individuals=False)
    out["dlc_h5"] = Written(
        root / "s2_dlc.h5", "DeepLabCut", position, confidence, names
    )
    save_poses.to_sleap_analysis_file(ds, root / "s3.analysis.h5")
    out["sleap_h5"] = Written(
        root / "s3.analysis.h5", "SLEAP", position, confidence, names
    )
    one = ds.isel(individuals=[0])
    save_poses.to_lp_file(one, root / "s4_lp.csv")  # writes s4_lp_adult.csv
    lp_pos, lp_conf = position[..., :1], confidence[..., :1]
    out["lp_csv"] = Written(
        root / "s4_lp_adult.csv", "LightningPose", lp_pos, lp_conf, ["individual_0"]
    )
    write_anipose(root / "s5_anipose.csv", position, confidence)
    out["anipose_csv"] = Written(
        root / "s5_anipose.csv", "Anipose", lp_pos, lp_conf, ["id_0"]
    )
    try:
        from pynwb import NWBHDF5IO

        one_fps = load_poses.from_numpy(
            position[..., :1], confidence[..., :1], ["adult"], KEYPOINTS, fps=30.0
        )
        nwb = save_poses.to_nwb_file(one_fps)
        with NWBHDF5IO(str(root / "s6.nwb"), "w") as io:
            io.write(nwb[0] if isinstance(nwb, list) else nwb)
        out["nwb"] = Written(root / "s6.nwb", "NWB", lp_pos, lp_conf, ["adult"])
    except ImportError:  # pragma: no cover - pynwb ships with movement
        pass
    return out
