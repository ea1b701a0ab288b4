"""`mabe download` as a user runs it: credentials missing, a fake Kaggle behind the boundary."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from mabe.platform import kaggle_download
from mabe.platform.kaggle_client import COMPETITION, RemoteFile


class _Fake:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.downloads = 0

    def list_files(self, competition):
        files = sorted(p for p in self.root.rglob("*") if p.is_file())
        return [RemoteFile(str(p.relative_to(self.root)), p.stat().st_size) for p in files]

    def download_file(self, competition, name, dest):
        self.downloads += 1
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.root / name, dest / name)
        return dest / name

    def download_all(self, competition, dest):
        self.downloads += 1
        archive = dest / f"{COMPETITION}.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for f in self.list_files(competition):
                zf.write(self.root / f.name, f.name)
        return archive


@pytest.fixture
def fake(monkeypatch, small_dataset):
    served = _Fake(small_dataset)
    monkeypatch.setattr(kaggle_download, "KaggleApiClient", lambda: served)
    return served


def test_without_credentials_one_line_says_what_to_set(run_cli, monkeypatch, tmp_path):
    for key in [k for k in os.environ if k.startswith("KAGGLE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    result = run_cli("download", "--out", tmp_path / "data")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err
    for needed in ("KAGGLE_USERNAME", "KAGGLE_KEY", "~/.kaggle/kaggle.json",
                   "https://www.kaggle.com/competitions/MABe-mouse-behavior-detection/rules"):
        assert needed in lines[0]
    assert not (tmp_path / "data").exists()


def test_download_validates_and_summarises_then_resumes(run_cli, fake, tmp_path):
    out = tmp_path / "data"
    first = run_cli("download", "--out", out)
    assert first.code == 0, first.err
    n = len(fake.list_files(COMPETITION))
    assert f"fetched {n} files" in first.out and "no problems found" in first.out
    assert "videos per lab" in first.out  # the mabe info tables
    second = run_cli("download", "--out", out)
    assert second.code == 0 and fake.downloads == 1
    assert f"fetched 0 files (0.0 MB), {n} already complete" in second.out


def test_partial_download_reports_problems_and_keeps_user_files(run_cli, fake, tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "test.csv").write_text("my own notes\n")
    result = run_cli("download", "--out", out, "--files", "*.csv")
    assert result.code == 1
    assert (out / "test.csv").read_text() == "my own notes\n"
    assert f"{out / 'test.csv'}: kept your file (13 bytes" in result.err
    assert "problem(s) found" in result.err
