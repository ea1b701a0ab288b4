"""Cross-fitting folds: every video (or lab) held out exactly once, never in two folds."""

from __future__ import annotations

import pytest

from mabe.data.types import VideoMeta
from mabe.errors import ConfigError
from mabe.training.folds import fold_of, make_folds
from mabe.training.split import explicit_split


def _metas(n_labs: int, per_lab: int, uneven: bool = False) -> list[VideoMeta]:
    return [
        VideoMeta("train", f"Lab{lab}", lab * 100 + v, 30.0, 2, ("nose",), (), 60.0 * (1 + (v % 3 if uneven else 0)))
        for lab in range(n_labs)
        for v in range(per_lab + (lab if uneven else 0))
    ]


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize(("n_labs", "per_lab", "n_folds"), [(1, 5, 5), (3, 4, 5), (2, 9, 3), (6, 2, 2)])
def test_video_folds_hold_out_every_video_exactly_once(seed, n_labs, per_lab, n_folds) -> None:
    metas = _metas(n_labs, per_lab, uneven=True)
    folds = make_folds(metas, n_folds, "video", seed)
    assert len(folds) == n_folds and all(folds)
    flat = [v for f in folds for v in f]
    assert len(flat) == len(set(flat)) == len(metas)
    assert set(flat) == {m.video_id for m in metas}
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1
    assert make_folds(metas, n_folds, "video", seed) == folds


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize(("n_labs", "n_folds"), [(2, 2), (5, 3), (7, 5)])
def test_lab_folds_never_split_a_lab(seed, n_labs, n_folds) -> None:
    metas = _metas(n_labs, 3, uneven=True)
    folds = make_folds(metas, n_folds, "lab", seed)
    where = fold_of(folds)
    assert set(where) == {m.video_id for m in metas}
    assert all(folds)
    for lab in {m.lab_id for m in metas}:
        assert len({where[m.video_id] for m in metas if m.lab_id == lab}) == 1


def test_video_folds_spread_each_lab() -> None:
    folds = make_folds(_metas(2, 6), 3, "video", 0)
    for fold in folds:
        assert {v // 100 for v in fold} == {0, 1}


def test_seeds_change_the_assignment() -> None:
    metas = _metas(2, 10)
    assert make_folds(metas, 5, "video", 0) != make_folds(metas, 5, "video", 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_folds": 1}, "at least 2 folds"),
        ({"n_folds": 3, "group_by": "lab"}, "needs at least 3 labs"),
        ({"n_folds": 9}, "at least 9 labelled videos"),
        ({"group_by": "cage"}, "group_by must be"),
    ],
)
def test_bad_fold_settings_are_named(kwargs, message) -> None:
    with pytest.raises(ConfigError, match=message):
        make_folds(_metas(2, 3), **kwargs)


def test_explicit_split_keeps_given_ids_and_refuses_overlap() -> None:
    metas = _metas(1, 5)
    train, val = explicit_split(metas, [0, 1, 2], [4])
    assert [m.video_id for m in train] == [0, 1, 2] and [m.video_id for m in val] == [4]
    with pytest.raises(ConfigError, match="both sides"):
        explicit_split(metas, [0, 1], [1])
    with pytest.raises(ConfigError, match="not labelled"):
        explicit_split(metas, [0, 99], [])
