"""Validation videos without a single bout are not validated on; no bout anywhere is an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mabe.data.io import MabeDataset
from mabe.errors import DataError
from mabe.training.prepare import labelled_metas, positive_points, prepare
from mabe.training.split import split_videos
from mabe.workflows.recommend import recommended_config


def _copy_without_bouts(src: Path, dst: Path, which: set[str]) -> None:
    """Copy ``src`` and delete the annotation files of the videos keyed in ``which``."""
    shutil.copytree(src, dst)
    ds = MabeDataset(dst)
    for meta in ds.metas("train"):
        if meta.key in which:
            ds.annotation_path(meta).unlink(missing_ok=True)


def test_held_out_videos_without_bouts_fall_back_to_training_videos(tiny_data: Path, tmp_path: Path) -> None:
    config = recommended_config(tiny_data, ["val_fraction=0.5"])
    metas = labelled_metas(MabeDataset(tiny_data))
    _, val = split_videos(metas, config.val_fraction, config.split_by, config.seed)
    assert val
    prepared = prepare(config)
    assert not prepared.val_is_train and positive_points(prepared.val_store, prepared.config, len(prepared.actions))

    data = tmp_path / "data"
    _copy_without_bouts(tiny_data, data, {m.key for m in val})
    prepared = prepare(config.model_copy(update={"data_dir": str(data)}))
    assert prepared.val_is_train and prepared.val_store is prepared.train_store
    assert positive_points(prepared.val_store, prepared.config, len(prepared.actions)) > 0


def test_no_bout_anywhere_is_a_clear_error(tiny_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _copy_without_bouts(tiny_data, data, {m.key for m in MabeDataset(tiny_data).metas("train")})
    with pytest.raises(DataError, match="nothing to learn"):
        prepare(recommended_config(data))


def test_explicit_split_replaces_the_configs_split(tiny_data: Path) -> None:
    config = recommended_config(tiny_data, ["val_fraction=0.5"])
    ids = [m.video_id for m in labelled_metas(MabeDataset(tiny_data))]
    own_train, _ = split_videos(labelled_metas(MabeDataset(tiny_data)), 0.5, "video", config.seed)
    train_ids = [i for i in ids if i not in {m.video_id for m in own_train}][:2]
    prepared = prepare(config, split=(train_ids, []))
    assert [m.video_id for m in prepared.train_metas] == train_ids
    assert prepared.val_is_train
    # the vocabulary stays that of every labelled video, whatever the split
    assert prepared.actions == prepare(config).actions
