"""``mabe ARGS`` with Kaggle faked: the README's ``mabe download`` commands without an account or internet.

``python fake_kaggle.py download --out data`` runs ``mabe download --out data`` exactly as the
``mabe`` script does, except that the Kaggle client (the boundary that needs credentials and
the network, :class:`mabe.platform.kaggle_client.KaggleApiClient`) serves the files under
``$MABE_FAKE_KAGGLE`` instead, as tests/cli/test_cli_download.py fakes it in-process. Listing,
selection by ``--files``, staging, renaming into place, resuming, validation and the summary
are mabe's own code.
"""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from pathlib import Path

from mabe.cli.app import main
from mabe.platform import kaggle_download
from mabe.platform.kaggle_client import RemoteFile


class FakeKaggle:
    """The competition's files are those under ``root``; the archive is a zip of them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def list_files(self, competition: str) -> list[RemoteFile]:
        files = sorted(p for p in self.root.rglob("*") if p.is_file())
        return [RemoteFile(p.relative_to(self.root).as_posix(), p.stat().st_size) for p in files]

    def download_file(self, competition: str, name: str, dest: Path) -> Path:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.root / name, dest / name)
        return dest / name

    def download_all(self, competition: str, dest: Path) -> Path:
        archive = dest / f"{competition}.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for remote in self.list_files(competition):
                zf.write(self.root / remote.name, remote.name)
        return archive


if __name__ == "__main__":
    served = FakeKaggle(Path(os.environ["MABE_FAKE_KAGGLE"]))
    kaggle_download.KaggleApiClient = lambda: served
    main(sys.argv[1:])
