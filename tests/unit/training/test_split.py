"""The validation split never puts a video (or, by lab, a lab) on both sides."""

from __future__ import annotations

import pytest

from mabe.data.types import VideoMeta
from mabe.errors import ConfigError
from mabe.training.split import split_videos


def _metas(n_labs: int, per_lab: int) -> list[VideoMeta]:
    return [
        VideoMeta("train", f"Lab{lab}", lab * 100 + v, 30.0, 2, ("nose",), ())
        for lab in range(n_labs)
        for v in range(per_lab)
    ]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(("n_labs", "per_lab"), [(1, 2), (3, 5), (4, 1), (2, 9)])
def test_video_split_never_leaks(seed: int, n_labs: int, per_lab: int) -> None:
    metas = _metas(n_labs, per_lab)
    train, val = split_videos(metas, 0.25, "video", seed)
    train_keys, val_keys = {m.key for m in train}, {m.key for m in val}
    assert not train_keys & val_keys
    assert train_keys | val_keys == {m.key for m in metas}
    assert train and val


@pytest.mark.parametrize("seed", [0, 5])
def test_lab_split_holds_out_whole_labs(seed: int) -> None:
    metas = _metas(5, 4)
    train, val = split_videos(metas, 0.3, "lab", seed)
    assert not {m.lab_id for m in train} & {m.lab_id for m in val}
    assert train and val


def test_split_is_seeded_and_optional() -> None:
    metas = _metas(3, 6)
    assert split_videos(metas, 0.3, "video", 7) == split_videos(metas, 0.3, "video", 7)
    assert split_videos(metas, 0.0, "video", 7) == (metas, [])
    with pytest.raises(ConfigError, match="two labs"):
        split_videos(_metas(1, 4), 0.3, "lab", 0)
