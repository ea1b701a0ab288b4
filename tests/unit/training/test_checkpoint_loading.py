"""Checkpoints are read as data: weights only, both by torch and by the torch-free listing (issue 16, item 10)."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
import torch

from mabe.errors import DataError
from mabe.training.inference import read_checkpoint
from mabe.training.runfiles import read_checkpoint_info


class _Touch:
    """Unpickling this calls ``Path.touch(marker)`` (any code could run instead)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def _plain_checkpoint(path: Path) -> dict:
    state = {
        "state_dict": collections.OrderedDict(w=torch.ones(3)),
        "mabe": {"epoch": 3, "metric": 0.25},
        "plain": {"set": {1, 2}, "bytes": b"\x00\x01", "tuple": (1, "a", 2.5), "counter": collections.Counter("aab")},
    }
    torch.save(state, path)
    return state


@pytest.mark.parametrize("reader", [read_checkpoint, read_checkpoint_info], ids=["torch", "listing"])
def test_a_checkpoint_that_would_run_code_is_refused_in_one_line(reader, tmp_path):
    path, marker = tmp_path / "best.ckpt", tmp_path / "code_ran"
    state = _plain_checkpoint(tmp_path / "plain.ckpt")
    torch.save({**state, "mabe": {"epoch": 3, "note": _Touch(marker)}}, path)
    with pytest.raises(DataError) as caught:
        reader(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: refused: loading it needs arbitrary unpickling (")
    assert "getattr" in message  # the global the file asked for (how Path.touch is pickled)
    assert "\n" not in message
    assert not marker.exists()
    torch.load(path, weights_only=False)  # the premise: a full unpickle runs it
    assert marker.exists()


def test_plain_values_and_tensors_are_read_by_both(tmp_path):
    path = tmp_path / "plain.ckpt"
    state = _plain_checkpoint(path)
    loaded = read_checkpoint(path)
    assert loaded["plain"] == state["plain"] and torch.equal(loaded["state_dict"]["w"], torch.ones(3))
    assert read_checkpoint_info(path) == {"epoch": 3, "metric": 0.25}


@pytest.mark.parametrize("content", [b"junk, not a checkpoint", b"\x80\x02}q\x00."])
def test_an_unreadable_file_is_one_line_naming_it(tmp_path, content):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"bad\.ckpt: not a readable checkpoint") as caught:
        read_checkpoint(path)
    assert "\n" not in str(caught.value)
