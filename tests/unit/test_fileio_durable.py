"""Atomic writes are durable: the data is fsync'ed before the rename and the folder after it; modes follow the umask."""

from __future__ import annotations

import os
import stat

import pytest

from mabe import fileio


def test_data_is_synced_before_the_rename_and_the_folder_after(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(src, dst) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "fsync", fsync)
    monkeypatch.setattr(fileio.os, "replace", replace)
    fileio.atomic_write_bytes(tmp_path / "a.bin", b"data")
    assert events == ["fsync-file", "replace", "fsync-dir"]
    assert (tmp_path / "a.bin").read_bytes() == b"data"


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_new_files_get_the_umask_mode(tmp_path, umask: int) -> None:
    before = os.umask(umask)
    try:
        path = fileio.atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(before)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_a_published_report_page_follows_the_umask(tmp_path) -> None:
    """The report page was forced to 644; a private umask (077) must give 600, as the README promises."""
    from mabe.workflows import report_html

    staging, out = tmp_path / "staging", tmp_path / "out"
    (staging / "figures").mkdir(parents=True)
    (staging / report_html.REPORT_FILE).write_text("<html></html>")
    os.chmod(staging / report_html.REPORT_FILE, 0o600)
    before = os.umask(0o077)
    try:
        report_html._publish(staging, out)
    finally:
        os.umask(before)
    assert stat.S_IMODE((out / report_html.REPORT_FILE).stat().st_mode) == 0o600
