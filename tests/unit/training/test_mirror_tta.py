"""``mirror_tta``: the prediction is the mean of the video's and its mirror image's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from mabe.config import load_config
from mabe.data.types import Pose, Video, VideoMeta
from mabe.features.mirror import mirror_coords
from mabe.training.inference import predict_video
from mabe.training.network import build_network
from mabe.training.samples import resolve_input_dim

_NET = ["model_type=tcn_bigru", "lstm_hidden=8", "model_options={dilations: [1, 2], scales: [1]}",
        "sequence_length=32", "batch_size=8", "lab_vocabulary=[LabA]"]


def test_mirror_tta_averages_the_video_and_its_mirror_image() -> None:
    parts = ("nose", "ear_left", "ear_right", "tail_base")
    meta = VideoMeta("train", "LabA", 7, 30.0, 2, parts, (("mouse1", "mouse2", "sniff"),), video_width=200.0)
    rng = np.random.default_rng(1)
    video = Video(meta, Pose((np.cumsum(rng.normal(size=(70, 2, 4, 2)), axis=0) + 50).astype(np.float32), parts))
    mirror = replace(video, pose=Pose(mirror_coords(video.pose.coords, parts, 100.0), parts))
    config = load_config("actions", _NET)
    torch.manual_seed(0)
    info = {"class_names": ["mount", "sniff"], "input_dim": resolve_input_dim(config)}
    model = build_network(config, info["input_dim"], 2).eval()

    plain = predict_video(model, config, info, video).probs
    mirrored = predict_video(model, config, info, mirror).probs
    tta = predict_video(model, config.model_copy(update={"mirror_tta": True}), info, video)
    assert not np.allclose(plain, mirrored, atol=1e-4)  # the network sees a different input
    np.testing.assert_allclose(tta.probs, 0.5 * (plain + mirrored), atol=2e-4)
    assert tta.probs.shape == plain.shape == (70, 4, 2)


def test_mirror_augment_shows_about_half_the_windows_mirrored() -> None:
    from mabe.features.mirror import pair_mirror_signs
    from mabe.training.module import BehaviourModule

    config = load_config("actions", [*_NET, "mirror_augment=true", "noise_std=0"])
    width = resolve_input_dim(config)
    module = BehaviourModule(config.to_dict(), width, width, ["mount", "sniff"], {})
    torch.manual_seed(0)
    x = torch.randn(200, 5, width)
    out = module._augment(x, torch.ones(200, 5, dtype=torch.bool))
    signs = torch.ones(width)
    signs[: len(pair_mirror_signs())] = torch.from_numpy(pair_mirror_signs())
    same = (out == x).flatten(1).all(1)
    flipped = (out == x * signs).flatten(1).all(1)
    assert bool((same ^ flipped).all())  # each window: itself or its mirror image
    assert 60 < int(flipped.sum()) < 140
    module.config = config.model_copy(update={"mirror_augment": False})
    assert torch.equal(module._augment(x, torch.ones(200, 5, dtype=torch.bool)), x)
