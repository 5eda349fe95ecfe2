"""The reader of user files and the writer of output directories, attacked directly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlps.errors import InputError
from mlps.safe_input import read_bytes, read_json
from mlps.safe_output import MARKER, output_dir, replace_file, write_files


def test_reads_are_bounded_by_the_bytes_read_not_by_st_size() -> None:
    status = Path("/proc/self/status")  # a regular file whose st_size is 0
    assert status.stat().st_size == 0
    with pytest.raises(InputError, match="more than the 16 bytes"):
        read_bytes(status, 16)
    assert b"Name:" in read_bytes(status, 1 << 20)


def test_a_link_below_a_trusted_directory_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("{}", encoding="utf-8")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "link.json").symlink_to(tmp_path / "real.json")
    with pytest.raises(InputError, match="symbolic link"):
        read_json(tmp_path / "d" / "link.json", 100, "hint", below=tmp_path / "d")
    assert read_json(tmp_path / "d" / "link.json", 100, "hint") == {}  # named by the user: allowed


def test_a_failed_build_leaves_the_previous_output_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_dir(out, "synth") as staging:
        write_files(staging, {"a.txt": "first"}, "synth")
    with pytest.raises(RuntimeError), output_dir(out, "synth") as staging:
        write_files(staging, {"a.txt": "second"}, "synth")
        raise RuntimeError("the build failed half way")
    assert (out / "a.txt").read_text(encoding="utf-8") == "first"
    assert sorted(os.listdir(tmp_path)) == ["out"]
    assert sorted(os.listdir(out)) == [MARKER, "a.txt"]


def test_something_appearing_at_the_target_during_the_build_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match="not written by mlps synth"), \
            output_dir(out, "synth") as staging:
        write_files(staging, {"a.txt": "mine"}, "synth")
        out.mkdir()
        (out / "theirs.txt").write_text("keep", encoding="utf-8")
    assert (out / "theirs.txt").read_text(encoding="utf-8") == "keep"
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_replace_file_refuses_fifos_and_links_and_keeps_them(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    target = tmp_path / "target.txt"
    target.write_text("theirs", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(target)
    for path in (fifo, link, tmp_path):
        with pytest.raises(InputError):
            replace_file(path, b"report")
    assert fifo.is_fifo() and link.is_symlink() and target.read_text(encoding="utf-8") == "theirs"
    replace_file(target, b"report")
    assert target.read_text(encoding="utf-8") == "report"
