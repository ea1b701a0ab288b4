"""mabe.platform.kaggle_download through a fake client: resume, no overwrite, atomic placement."""

from __future__ import annotations

import pytest

from mabe.errors import MabeError
from mabe.platform.kaggle_client import RemoteFile, find_credentials
from mabe.platform.kaggle_download import STAGING, download, select


def _files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_whole_dataset_arrives_identical_and_validates(fake_kaggle, small_dataset, tmp_path):
    out = tmp_path / "data"
    result = download(out, client=fake_kaggle)
    assert _files(out) == _files(small_dataset)
    assert sorted(result.fetched) == fake_kaggle.names()
    assert result.problems == [] and result.complete == [] and result.kept == []
    assert result.bytes_fetched == sum(len(b) for b in _files(small_dataset).values())
    assert not (out / STAGING).exists(), "staging directory left behind"
    assert [c[0] for c in fake_kaggle.calls] == ["list", "all"]


def test_second_run_fetches_nothing(fake_kaggle, tmp_path):
    out = tmp_path / "data"
    download(out, client=fake_kaggle, validate=False)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    fake_kaggle.calls.clear()
    result = download(out, client=fake_kaggle, validate=False)
    assert fake_kaggle.calls == [("list", "")]
    assert result.fetched == [] and sorted(result.complete) == fake_kaggle.names()
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == mtimes


def test_patterns_fetch_only_matching_files_one_by_one(fake_kaggle, tmp_path):
    out = tmp_path / "data"
    result = download(out, ["train.csv", "test_tracking/*"], client=fake_kaggle)
    wanted = [n for n in fake_kaggle.names() if n == "train.csv" or n.startswith("test_tracking/")]
    assert sorted(result.fetched) == wanted and len(wanted) > 2
    assert sorted(n for kind, n in fake_kaggle.calls if kind == "file") == wanted
    assert sorted(_files(out)) == wanted
    # train tracking files are listed in train.csv but absent: validation says so
    assert any("train_tracking" in str(p.path) for p in result.problems)


def test_existing_files_are_never_replaced(fake_kaggle, small_dataset, tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "train.csv").write_text("mine\n")
    (out / "test.csv").write_bytes((small_dataset / "test.csv").read_bytes())
    result = download(out, ["*.csv"], client=fake_kaggle, validate=False)
    assert (out / "train.csv").read_text() == "mine\n"
    assert result.kept == [("train.csv", 5, (small_dataset / "train.csv").stat().st_size)]
    assert "test.csv" in result.complete
    assert ("file", "train.csv") not in fake_kaggle.calls and ("file", "test.csv") not in fake_kaggle.calls


def test_interrupted_download_resumes_with_the_missing_files_only(fake_cls, small_dataset, tmp_path):
    FakeKaggle = fake_cls
    out = tmp_path / "data"
    flaky = FakeKaggle(small_dataset, fail_after=3)
    with pytest.raises(ConnectionError):
        download(out, ["*"], client=flaky, validate=False)
    placed = sorted(_files(out))
    done = [n for kind, n in flaky.calls if kind == "file"]
    assert [p for p in placed if not p.startswith(STAGING)] == sorted(done)
    again = FakeKaggle(small_dataset)
    result = download(out, ["*"], client=again, validate=False)
    assert sorted(n for kind, n in again.calls if kind == "file") == sorted(set(again.names()) - set(done))
    assert sorted(result.complete) == sorted(done)
    assert _files(out) == _files(small_dataset)


def test_truncated_file_is_not_placed(fake_cls, small_dataset, tmp_path):
    out = tmp_path / "data"
    lying = fake_cls(small_dataset, sizes={"train.csv": 10**9})
    with pytest.raises(MabeError, match=r"train.csv: received \d+ bytes, Kaggle lists 1000000000"):
        download(out, ["train.csv"], client=lying, validate=False)
    assert not (out / "train.csv").exists()


def test_no_match_and_unsafe_names_are_refused(fake_cls, fake_kaggle, tmp_path):
    with pytest.raises(MabeError, match="no file of MABe-mouse-behavior-detection matches nothing_here"):
        download(tmp_path / "d", ["nothing_here"], client=fake_kaggle)

    class Evil(fake_cls):
        def list_files(self, competition):
            return [RemoteFile("../escape.txt", 1)]

    with pytest.raises(MabeError, match="outside the dataset directory"):
        download(tmp_path / "d", client=Evil(tmp_path))
    assert not (tmp_path / "escape.txt").exists()


def test_select_matches_nested_paths():
    files = [RemoteFile("train.csv", 1), RemoteFile("train_tracking/A/1.parquet", 1), RemoteFile("test.csv", 1)]
    assert [f.name for f in select(files, ["train*"])] == ["train.csv", "train_tracking/A/1.parquet"]
    assert select(files, []) == files


def test_find_credentials_sources(tmp_path):
    home = tmp_path
    assert find_credentials({}, home) is None
    assert find_credentials({"KAGGLE_API_TOKEN": "t"}, home) == "KAGGLE_API_TOKEN"
    assert find_credentials({"KAGGLE_USERNAME": "u"}, home) is None  # a key is needed too
    (home / ".kaggle").mkdir()
    (home / ".kaggle" / "kaggle.json").write_text('{"username": "u"}')
    assert find_credentials({}, home) is None
    (home / ".kaggle" / "kaggle.json").write_text('{"username": "u", "key": "k"}')
    assert find_credentials({}, home) == str(home / ".kaggle" / "kaggle.json")
    assert find_credentials({"KAGGLE_CONFIG_DIR": str(tmp_path / "x")}, home) is None
