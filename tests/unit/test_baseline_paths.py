"""baseline_paths gives several files and directories owner and mode in one module run, as
ansible.builtin.file does for one (the administrators' homes and start-up files, CES-AUDIT-01):
missing ones created, content and times kept. An administrator can write in a home, so each
path is changed through a descriptor opened without following links, and a symbolic link, a
hard-linked file, a FIFO, a wrong type or a bad mode stops the run before any change. Run by
real Ansible on temporary paths (connection local, tests/unit/baseline_module.py)."""

from __future__ import annotations

import os
import pwd
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.unit.baseline_module import load, run_local

ME = pwd.getpwuid(os.getuid()).pw_name
MODULE = load("baseline_paths")


def want(home: Path, mode: Any = "0644") -> list[dict[str, Any]]:
    return [{"path": str(home), "state": "directory", "owner": ME, "mode": "0755"},
            {"path": str(home / ".profile"), "state": "file", "owner": ME, "mode": mode},
            {"path": str(home / ".bashrc"), "state": "file", "owner": ME, "mode": "0644"}]


def run(paths: list[dict[str, Any]], check: bool = False) -> dict[str, Any]:
    return run_local("baseline_paths", {"paths": paths}, check=check, timeout=60)


def refused(paths: list[dict[str, Any]], message: str) -> None:
    result = run(paths)
    assert result.get("failed") and message in result["msg"], result
    assert result["changed_paths"] == []


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def owned(path: Path) -> tuple[int, int, int]:
    st = path.lstat()
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


def secret_file(path: Path) -> Path:
    """A root-only file outside the home, for a planted link to point at."""
    path.write_text("x", encoding="utf-8")
    path.chmod(0o600)
    return path


def made_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir(parents=True)
    home.chmod(0o700)
    return home


def test_missing_paths_are_made_then_a_rerun_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "alice"
    result = run(want(home, mode="0640"))
    assert result["changed_paths"] == [str(home), str(home / ".profile"), str(home / ".bashrc")], result
    assert (mode(home), mode(home / ".profile"), mode(home / ".bashrc")) == (0o755, 0o640, 0o644)
    assert (home / ".bashrc").read_bytes() == b""
    assert run(want(home, mode="0640"))["changed"] is False
    ids = [{**entry, "owner": os.getuid(), "group": str(os.getgid()), "mode": 0o755 if i == 0 else None}
           for i, entry in enumerate(want(home))]
    assert run(ids)["changed"] is False, "numeric owner, group and mode are the same ones"


def test_only_the_path_that_differs_is_set_and_content_and_times_stay(tmp_path: Path) -> None:
    home = tmp_path / "bob"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    profile = home / ".profile"
    profile.write_text("umask 027\n", encoding="utf-8")
    profile.chmod(0o666)
    os.utime(profile, (1_000_000, 1_000_000))
    (home / ".bashrc").write_text("", encoding="utf-8")
    (home / ".bashrc").chmod(0o644)
    assert run(want(home))["changed_paths"] == [str(profile)]
    assert mode(profile) == 0o644
    assert profile.read_text(encoding="utf-8") == "umask 027\n"
    assert profile.stat().st_mtime == 1_000_000


def test_check_mode_reports_and_changes_nothing(tmp_path: Path) -> None:
    home = made_home(tmp_path)
    result = run(want(home), check=True)
    assert result["changed_paths"] == [str(home), str(home / ".profile"), str(home / ".bashrc")], result
    assert mode(home) == 0o700
    assert list(home.iterdir()) == []


def test_a_symbolic_link_is_refused_and_its_target_kept(tmp_path: Path) -> None:
    home = made_home(tmp_path)
    secret = secret_file(tmp_path / "shadow-copy")
    before = owned(secret)
    (home / ".profile").symlink_to(secret)
    refused(want(home), f"{home / '.profile'} is a symbolic link: refused")
    assert (mode(home), owned(secret)) == (0o700, before)
    elsewhere = made_home(tmp_path / "x")
    (tmp_path / "linked").symlink_to(elsewhere)
    refused(want(tmp_path / "linked"), "is a symbolic link: refused")
    assert mode(elsewhere) == 0o700


def test_a_hard_linked_file_is_refused_and_the_other_link_kept(tmp_path: Path) -> None:
    home = made_home(tmp_path)
    secret = secret_file(tmp_path / "shadow")
    before = owned(secret)
    os.link(secret, home / ".profile")
    refused(want(home), f"{home / '.profile'} has 2 hard links: refused")
    assert (mode(home), owned(secret)) == (0o700, before)


def test_a_fifo_or_a_socket_is_refused_without_hanging(tmp_path: Path) -> None:
    home = made_home(tmp_path)
    os.mkfifo(home / ".profile", 0o600)
    refused(want(home), "is not a regular file or directory (a FIFO, socket or device): refused")
    assert (mode(home), mode(home / ".profile")) == (0o700, 0o600)
    (home / ".profile").unlink()
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(home / ".profile"))
        refused(want(home), f"{home / '.profile'} is a socket or device: refused")
    assert mode(home) == 0o700


def test_a_wrong_type_is_refused(tmp_path: Path) -> None:
    home = made_home(tmp_path)
    (home / ".profile").mkdir()
    refused(want(home), f"{home / '.profile'} exists and is not a file")
    (home / ".profile").rmdir()
    (home / ".profile").write_text("", encoding="utf-8")
    refused([{"path": str(home / ".profile"), "state": "directory", "mode": "0755"}],
            f"{home / '.profile'} exists and is not a directory")
    assert mode(home) == 0o700


@pytest.mark.parametrize("bad", ["u+rwx", "999", "75", "07555", "0o755", 0o10000, -1, True, 7.5])
def test_a_mode_that_is_not_octal_digits_is_refused(bad: Any) -> None:
    with pytest.raises(MODULE.Refused, match="is not 3 or 4 octal digits"):
        MODULE.file_mode(bad, "/x")


@pytest.mark.parametrize(("good", "number"),
                         [("0755", 0o755), ("644", 0o644), ("4750", 0o4750), (0o700, 0o700)])
def test_a_mode_of_octal_digits_or_a_number_is_taken(good: Any, number: int) -> None:
    assert MODULE.file_mode(good, "/x") == number


def test_owner_and_group_are_names_or_ids() -> None:
    assert (MODULE.ident("root", "owner", "/x"), MODULE.ident("0", "group", "/x")) == (0, 0)
    assert MODULE.ident(os.getuid(), "owner", "/x") == os.getuid()
    for bad in ("no-such-user-mlps", -1, 2**32, True, 1.0):
        with pytest.raises(MODULE.Refused, match="unknown owner"):
            MODULE.ident(bad, "owner", "/x")


@pytest.mark.parametrize("path", ["home/alice", "/home/alice/", "/home/./alice", "/home/bob/../alice"])
def test_a_relative_or_unnormalised_path_is_refused(path: str) -> None:
    with pytest.raises(MODULE.Refused, match="absolute, normalised path"):
        MODULE.parse({"path": path, "state": "directory"})


def test_a_refusal_on_a_later_entry_changes_no_earlier_one(tmp_path: Path) -> None:
    home = tmp_path / "erin"
    refused(want(home, mode="u+rwx"), "mode 'u+rwx' is not 3 or 4 octal digits")
    assert not home.exists(), "the missing home of the first entry is not made"
    home = made_home(tmp_path)
    refused([*want(home), {"path": str(home / ".x"), "state": "file", "owner": "no-such-user-mlps"}],
            "unknown owner 'no-such-user-mlps'")
    assert (mode(home), list(home.iterdir())) == (0o700, [])


def test_a_nul_byte_in_a_path_or_name_fails_with_a_message(tmp_path: Path) -> None:
    for entry in ({"path": f"{tmp_path}/a\x00b", "state": "file"},
                  {"path": str(tmp_path / "x"), "state": "file", "owner": "ro\x00ot"}):
        result = run([entry])
        assert result.get("failed") and "Traceback" not in str(result), result
        assert not (tmp_path / "x").exists()
