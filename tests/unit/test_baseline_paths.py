"""baseline_paths gives several files and directories owner and mode in one module run, as
ansible.builtin.file does for one (the administrators' homes and start-up files, CES-AUDIT-01):
missing ones created, content and times kept, a symbolic link refused before any change.
Run by real Ansible on temporary paths (connection local)."""

from __future__ import annotations

import json
import os
import pwd
import stat
import sys
from pathlib import Path
from typing import Any

from mlps.ansible_run import run_playbook

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "tests" / "unit" / "playbooks" / "baseline_paths.yml"
LIBRARY = {"ANSIBLE_LIBRARY": str(ROOT / "roles" / "baseline" / "library")}
ME = pwd.getpwuid(os.getuid()).pw_name


def want(home: Path) -> list[dict[str, str]]:
    return [{"path": str(home), "state": "directory", "owner": ME, "mode": "0755"},
            {"path": str(home / ".profile"), "state": "file", "owner": ME, "mode": "0644"},
            {"path": str(home / ".bashrc"), "state": "file", "owner": ME, "mode": "0644"}]


def run(tmp: Path, paths: list[dict[str, Any]], check: bool = False) -> tuple[bool, list[str]]:
    inventory = tmp / "inventory.ini"
    inventory.write_text("target ansible_connection=local\n", encoding="utf-8")
    out = tmp / "changed.json"
    out.unlink(missing_ok=True)
    result = run_playbook(PLAYBOOK, inventory, extra_vars={
        "want": paths, "check": check, "out": str(out),
        "ansible_python_interpreter": sys.executable}, env=LIBRARY)
    if not result.ok:
        return False, [result.output[-2000:]]
    return True, json.loads(out.read_text(encoding="utf-8"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_missing_paths_are_made_then_a_rerun_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "alice"
    ok, changed = run(tmp_path, want(home))
    assert ok, changed
    assert changed == [str(home), str(home / ".profile"), str(home / ".bashrc")]
    assert (mode(home), mode(home / ".profile")) == (0o755, 0o644)
    assert (home / ".bashrc").read_bytes() == b""
    assert run(tmp_path, want(home)) == (True, [])


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
    assert run(tmp_path, want(home)) == (True, [str(profile)])
    assert mode(profile) == 0o644
    assert profile.read_text(encoding="utf-8") == "umask 027\n"
    assert profile.stat().st_mtime == 1_000_000


def test_check_mode_reports_and_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "carol"
    home.mkdir()
    home.chmod(0o700)
    ok, changed = run(tmp_path, want(home), check=True)
    assert ok
    assert changed == [str(home), str(home / ".profile"), str(home / ".bashrc")]
    assert mode(home) == 0o700
    assert not (home / ".profile").exists()


def test_a_symbolic_link_or_a_wrong_type_stops_before_any_change(tmp_path: Path) -> None:
    home = tmp_path / "dave"
    home.mkdir()
    home.chmod(0o700)
    secret = tmp_path / "shadow-copy"
    secret.write_text("x", encoding="utf-8")
    secret.chmod(0o600)
    (home / ".profile").symlink_to(secret)
    ok, out = run(tmp_path, want(home))
    assert not ok
    assert "symbolic link" in out[0]
    assert (mode(home), mode(secret)) == (0o700, 0o600)
    (home / ".profile").unlink()
    (home / ".profile").mkdir()
    ok, out = run(tmp_path, want(home))
    assert not ok
    assert "is not a file" in out[0]
    assert mode(home) == 0o700
