"""The packaged lab catalog: complete, typed, consistent with the schema vocabularies."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from mabe.data import schema
from mabe.data.catalog import ActionSpec, LabSpec, load_catalog, select_labs
from mabe.data.synth.body import LAYOUT
from mabe.errors import MabeError


def test_catalog_has_19_typed_labs() -> None:
    catalog = load_catalog()
    assert len(catalog) == 19
    assert list(catalog) == sorted(catalog)
    for name, lab in catalog.items():
        assert isinstance(lab, LabSpec) and lab.name == name
        assert lab.fps_values and all(f > 0 for f in lab.fps_values)
        assert set(lab.mice_per_video) <= {2, 3, 4}
        assert lab.pix_per_cm_range[0] <= lab.pix_per_cm_range[1]
        assert lab.duration_sec[0] <= lab.duration_sec[1] <= lab.duration_sec[2]
        assert 1 <= lab.whitelist_min_max[0] <= lab.whitelist_min_max[1]
        assert lab.typical_fps in lab.fps_values
        assert all(isinstance(a, ActionSpec) for a in lab.actions.values())


def test_actions_and_body_parts_match_the_schema() -> None:
    catalog = load_catalog()
    actions = {a for lab in catalog.values() for a in lab.actions}
    assert actions == set(schema.ACTIONS)
    for lab in catalog.values():
        for name, spec in lab.actions.items():
            assert spec.kind == ("self" if name in schema.SELF_ACTIONS else "pair")
            p10, p50, p90 = spec.duration_frames
            assert 0 < p10 <= p50 <= p90
            assert spec.bouts_per_minute > 0
    parts = {p for lab in catalog.values() for s in lab.body_part_sets for p in s}
    assert len(parts) == 25
    assert parts <= set(LAYOUT)


def test_catalog_is_packaged_not_read_from_shared() -> None:
    resource = resources.files("mabe.data").joinpath("resources").joinpath("lab_catalog.json")
    assert resource.is_file()
    package_dir = Path(resources.files("mabe")).resolve()
    assert package_dir in Path(str(resource)).resolve().parents


def test_load_catalog_returns_a_fresh_dict() -> None:
    first = load_catalog()
    first.pop("CRIM13")
    assert "CRIM13" in load_catalog()


def test_select_labs() -> None:
    assert [lab.name for lab in select_labs(["CRIM13", "CalMS21_task1", "CRIM13"])] == [
        "CRIM13",
        "CalMS21_task1",
    ]
    assert len(select_labs(None)) == 19
    with pytest.raises(MabeError, match="unknown lab.*NoSuchLab.*valid labs: AdaptableSnail"):
        select_labs(["NoSuchLab"])
