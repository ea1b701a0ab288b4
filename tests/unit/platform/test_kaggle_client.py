"""The real boundary: the installed kaggle package offers the calls we make, with those argument names."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest

from mabe.errors import MabeError
from mabe.platform.kaggle_client import MISSING_CREDENTIALS, KaggleApiClient


@pytest.fixture(scope="module")
def kaggle_api_class(tmp_path_factory):
    """``KaggleApi`` from the installed package, imported with a private config dir and no credentials."""
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("kaggle_home")
    for key in [k for k in __import__("os").environ if k.startswith("KAGGLE_")]:
        mp.delenv(key)
    mp.setenv("HOME", str(home))
    mp.setenv("KAGGLE_CONFIG_DIR", str(home / "cfg"))
    try:
        import six  # noqa: F401
    except ImportError:
        # kaggle 2.2.5 imports six (for six.iteritems) without declaring it; pyproject now
        # lists six, but an environment made before that may lack it
        import sys
        import types

        mp.setitem(sys.modules, "six", types.SimpleNamespace(iteritems=lambda d: iter(d.items())))
    try:
        from kaggle.api.kaggle_api_extended import KaggleApi
    finally:
        mp.undo()
    return KaggleApi


class SignatureCheckingApi:
    """Stands in for an authenticated KaggleApi; every call must bind to the real method's signature."""

    def __init__(self, real_cls, pages=2):
        self.real = real_cls
        self.calls = []
        self.pages = pages

    def __getattr__(self, name):
        real = getattr(self.real, name)

        def call(*args, **kwargs):
            inspect.signature(real).bind(self, *args, **kwargs)  # TypeError if the names are wrong
            self.calls.append((name, args, kwargs))
            if name == "competition_list_files":
                page = 0 if kwargs.get("page_token") is None else int(kwargs["page_token"])
                files = [SimpleNamespace(name=f"f{page}.csv", total_bytes=10 + page)]
                token = str(page + 1) if page + 1 < self.pages else ""
                return SimpleNamespace(files=files, next_page_token=token)
            return None

        return call


def test_installed_kaggle_offers_the_calls_we_use(kaggle_api_class, tmp_path):
    api = SignatureCheckingApi(kaggle_api_class, pages=3)
    client = KaggleApiClient(api=api)
    files = client.list_files("MABe-mouse-behavior-detection")
    assert [(f.name, f.size) for f in files] == [("f0.csv", 10), ("f1.csv", 11), ("f2.csv", 12)]
    assert client.download_file("c", "train_tracking/A/1.parquet", tmp_path) == tmp_path / "train_tracking/A/1.parquet"
    assert client.download_all("c", tmp_path) == tmp_path / "c.zip"
    used = [name for name, _, _ in api.calls]
    assert used == ["competition_list_files"] * 3 + ["competition_download_file", "competition_download_files"]
    # the keyword names we rely on, spelled out against the installed source
    for method, names in {
        "competition_list_files": {"competition", "page_token", "page_size"},
        "competition_download_file": {"competition", "file_name", "path", "force", "quiet", "unzip"},
        "competition_download_files": {"competition", "path", "force", "quiet", "unzip"},
        "authenticate": set(),
    }.items():
        assert names <= set(inspect.signature(getattr(kaggle_api_class, method)).parameters), method


def test_http_errors_become_one_line(kaggle_api_class):
    import requests

    class Refusing:
        def competition_list_files(self, *args, **kwargs):
            raise requests.HTTPError("403 Forbidden", response=SimpleNamespace(status_code=403))

    with pytest.raises(MabeError, match=r"HTTP 403.*accept the competition rules at https://www.kaggle.com/competitions/MABe"):
        KaggleApiClient(api=Refusing()).list_files("MABe-mouse-behavior-detection")


def test_missing_credentials_stop_before_importing_kaggle(no_credentials):
    with pytest.raises(MabeError) as info:
        KaggleApiClient().list_files("MABe-mouse-behavior-detection")
    assert str(info.value) == MISSING_CREDENTIALS
