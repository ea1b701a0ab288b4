"""The one boundary between ``mabe`` and the Kaggle API (package ``kaggle``).

:class:`KaggleApiClient` is the only code that imports ``kaggle``; it does so
lazily because ``import kaggle`` authenticates (and may print) at import time.
Everything else talks to the small :class:`KaggleClient` protocol, so tests
pass a fake that writes files instead of reaching kaggle.com.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mabe.errors import MabeError

COMPETITION = "MABe-mouse-behavior-detection"
"""The Kaggle competition whose data ``mabe download`` fetches."""

RULES_URL = f"https://www.kaggle.com/competitions/{COMPETITION}/rules"
TOKEN_URL = "https://www.kaggle.com/settings/api"

MISSING_CREDENTIALS = (
    "no Kaggle credentials: set KAGGLE_USERNAME and KAGGLE_KEY (or KAGGLE_API_TOKEN) in the environment, "
    f"or save the kaggle.json from {TOKEN_URL} as ~/.kaggle/kaggle.json; "
    f"then accept the competition rules at {RULES_URL}"
)


@dataclass(frozen=True)
class RemoteFile:
    """One file of the competition: its path inside the dataset and size in bytes (``None``: unknown)."""

    name: str
    size: int | None


class KaggleClient(Protocol):
    """What :func:`mabe.platform.kaggle_download.download` needs from Kaggle."""

    def list_files(self, competition: str) -> list[RemoteFile]:
        """Every file of the competition's data."""

    def download_file(self, competition: str, name: str, dest: Path) -> Path:
        """Fetch one file (unzipped) to ``dest / name``; return that path."""

    def download_all(self, competition: str, dest: Path) -> Path:
        """Fetch the whole data as one zip archive into ``dest``; return its path."""


def _config_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    if env.get("KAGGLE_CONFIG_DIR"):
        return [Path(env["KAGGLE_CONFIG_DIR"])]
    xdg = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    return [home / ".kaggle", xdg / "kaggle"]


def find_credentials(env: Mapping[str, str] | None = None, home: Path | None = None) -> str | None:
    """Where the Kaggle package will find credentials, or ``None`` if nowhere.

    Looks where ``kaggle`` 2.x looks: ``KAGGLE_API_TOKEN``; ``KAGGLE_USERNAME`` +
    ``KAGGLE_KEY``; ``kaggle.json`` (with ``username`` and ``key``) in
    ``$KAGGLE_CONFIG_DIR``, ``~/.kaggle`` or ``$XDG_CONFIG_HOME/kaggle``;
    ``~/.kaggle/access_token``; OAuth ``~/.kaggle/credentials.json``.
    Whether they are valid only Kaggle can tell.

    Examples
    --------
    >>> from pathlib import Path
    >>> find_credentials({"KAGGLE_USERNAME": "ann", "KAGGLE_KEY": "x"}, Path("/nonexistent"))
    'KAGGLE_USERNAME/KAGGLE_KEY'
    >>> find_credentials({}, Path("/nonexistent")) is None
    True
    """
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    if env.get("KAGGLE_API_TOKEN"):
        return "KAGGLE_API_TOKEN"
    if env.get("KAGGLE_USERNAME") and env.get("KAGGLE_KEY"):
        return "KAGGLE_USERNAME/KAGGLE_KEY"
    for directory in _config_dirs(env, home):
        path = directory / "kaggle.json"
        try:
            values = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(values, dict) and values.get("username") and values.get("key"):
            return str(path)
    for name in ("access_token", "access_token.txt", "credentials.json"):
        path = home / ".kaggle" / name
        if path.is_file() and path.stat().st_size > 0:
            return str(path)
    return None


def _http_error_message(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status == 401:
        return f"Kaggle refused the credentials (HTTP 401); create a new token at {TOKEN_URL}"
    if status == 403:
        return f"Kaggle refused access (HTTP 403); accept the competition rules at {RULES_URL}"
    if status == 404:
        return f"Kaggle has no such competition file (HTTP 404): {exc}"
    if status is not None:
        return f"Kaggle answered HTTP {status}: {exc}"
    return None


class KaggleApiClient:
    """:class:`KaggleClient` backed by the installed ``kaggle`` package.

    Parameters
    ----------
    api
        An authenticated ``kaggle.api.kaggle_api_extended.KaggleApi``; default:
        created (and authenticated) on first use.
    page_size
        Files per listing request.
    """

    def __init__(self, api: Any = None, page_size: int = 200) -> None:
        self._api = api
        self.page_size = page_size

    def _connect(self) -> Any:
        if self._api is None:
            if find_credentials() is None:
                raise MabeError(MISSING_CREDENTIALS)
            quiet = io.StringIO()
            try:
                with contextlib.redirect_stdout(quiet):
                    # importing kaggle runs kaggle/__init__.py, which authenticates
                    from kaggle.api.kaggle_api_extended import KaggleApi

                    api = KaggleApi()
                    api.authenticate()
            except SystemExit:
                raise MabeError(MISSING_CREDENTIALS) from None
            except ImportError as exc:
                raise MabeError(f"the kaggle package cannot be imported ({exc}); reinstall mabe's dependencies") from None
            self._api = api
        return self._api

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        api = self._connect()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                return getattr(api, method)(*args, **kwargs)
        except SystemExit:
            raise MabeError(MISSING_CREDENTIALS) from None
        except OSError as exc:  # requests' HTTP and connection errors are OSErrors
            message = _http_error_message(exc)
            if message is None:
                message = f"cannot reach Kaggle ({type(exc).__name__}: {exc}); check the network and retry"
            raise MabeError(message) from None

    def list_files(self, competition: str) -> list[RemoteFile]:
        """Every file of the competition (all pages of ``competition_list_files``)."""
        files: list[RemoteFile] = []
        token: str | None = None
        while True:
            response = self._call("competition_list_files", competition, page_token=token, page_size=self.page_size)
            for item in response.files or []:
                size = int(item.total_bytes) if getattr(item, "total_bytes", None) else None
                files.append(RemoteFile(str(item.name), size))
            token = response.next_page_token or None
            if not token:
                return files

    def download_file(self, competition: str, name: str, dest: Path) -> Path:
        """``competition_download_file`` into ``dest`` (kaggle resumes its own partial file)."""
        self._call("competition_download_file", competition, name, path=str(dest), force=False, quiet=True, unzip=True)
        return Path(dest) / name

    def download_all(self, competition: str, dest: Path) -> Path:
        """``competition_download_files`` into ``dest`` as ``<competition>.zip`` (resumed by kaggle)."""
        self._call("competition_download_files", competition, path=str(dest), force=False, quiet=True, unzip=False)
        return Path(dest) / f"{competition}.zip"
