"""A fake Kaggle client serving a synthetic dataset's files (nothing reaches kaggle.com)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from mabe.platform.kaggle_client import COMPETITION, RemoteFile


class FakeKaggle:
    """Serves every file under ``root`` as the competition's data; records the calls it gets."""

    def __init__(self, root: Path, fail_after: int | None = None, sizes: dict[str, int] | None = None) -> None:
        self.root = Path(root)
        self.calls: list[tuple[str, str]] = []
        self.fail_after = fail_after
        self.sizes = sizes or {}

    def names(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

    def list_files(self, competition: str) -> list[RemoteFile]:
        assert competition == COMPETITION
        self.calls.append(("list", ""))
        return [RemoteFile(n, self.sizes.get(n, (self.root / n).stat().st_size)) for n in self.names()]

    def download_file(self, competition: str, name: str, dest: Path) -> Path:
        assert competition == COMPETITION
        if self.fail_after is not None and sum(c[0] == "file" for c in self.calls) >= self.fail_after:
            raise ConnectionError("network went away")
        self.calls.append(("file", name))
        target = Path(dest) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.root / name, target)
        return target

    def download_all(self, competition: str, dest: Path) -> Path:
        assert competition == COMPETITION
        self.calls.append(("all", ""))
        archive = Path(dest) / f"{competition}.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for name in self.names():
                zf.write(self.root / name, name)
        return archive


@pytest.fixture
def fake_cls() -> type[FakeKaggle]:
    return FakeKaggle


@pytest.fixture
def fake_kaggle(small_dataset) -> FakeKaggle:
    return FakeKaggle(small_dataset)


@pytest.fixture
def no_credentials(monkeypatch, tmp_path) -> Path:
    """An environment with no Kaggle credentials anywhere (HOME is an empty directory)."""
    import os

    home = tmp_path / "home"
    home.mkdir()
    for key in list(os.environ):
        if key.startswith("KAGGLE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return home
