"""baseline_lines sets several lines of a file in one module run, as lineinfile does for one:
the last matching line is replaced, a missing one appended, nothing written when all are set.
Run by real Ansible on temporary files (connection local)."""

from __future__ import annotations

import importlib.util
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mlps.ansible_run import run_playbook

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "tests" / "unit" / "playbooks" / "baseline_lines.yml"
LIBRARY = {"ANSIBLE_LIBRARY": str(ROOT / "roles" / "baseline" / "library")}
LOGIN_DEFS = """# comment
#PASS_MAX_DAYS\t99999
PASS_MIN_DAYS\t0
UMASK\t022
UMASK\t077
"""
WANT = [
    {"regexp": r"^#?\s*PASS_MAX_DAYS\s", "line": "PASS_MAX_DAYS\t90"},
    {"regexp": r"^#?\s*PASS_MIN_DAYS\s", "line": "PASS_MIN_DAYS\t1"},
    {"regexp": r"^#?\s*UMASK\s", "line": "UMASK\t027"},
    {"regexp": r"^#?\s*ENCRYPT_METHOD\s", "line": "ENCRYPT_METHOD\tSHA512"},
]


def load() -> ModuleType:
    path = ROOT / "roles" / "baseline" / "library" / "baseline_lines.py"
    spec = importlib.util.spec_from_file_location("baseline_lines", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_last_match_replaced_commented_default_set_missing_appended() -> None:
    text, changed = load().apply(LOGIN_DEFS, WANT)
    assert text == ("# comment\nPASS_MAX_DAYS\t90\nPASS_MIN_DAYS\t1\nUMASK\t022\nUMASK\t027\n"
                    "ENCRYPT_METHOD\tSHA512\n")
    assert changed == [w["line"] for w in WANT]


def test_a_file_already_set_is_left_as_it_is() -> None:
    apply = load().apply
    once, _ = apply(LOGIN_DEFS, WANT)
    twice, changed = apply(once, WANT)
    assert twice == once
    assert changed == []


def test_a_line_present_without_a_match_is_not_added_twice() -> None:
    text, changed = load().apply("UMASK 027\n", [{"regexp": "^NOMATCH", "line": "UMASK 027"}])
    assert (text, changed) == ("UMASK 027\n", [])


def run(path: Path, mode: str, check: bool = False) -> str:
    inventory = path.parent / "inventory.ini"
    inventory.write_text("target ansible_connection=local\n", encoding="utf-8")
    result = run_playbook(PLAYBOOK, inventory, extra_vars={
        "target": str(path), "want": WANT, "mode": mode, "check": check,
        "ansible_python_interpreter": sys.executable}, env=LIBRARY)
    assert result.ok, result.output[-3000:]
    return result.output


@pytest.mark.parametrize("check", [False, True])
def test_ansible_sets_lines_and_mode_then_reports_no_change(tmp_path: Path, check: bool) -> None:
    target = tmp_path / "login.defs"
    target.write_text(LOGIN_DEFS, encoding="utf-8")
    target.chmod(0o644)
    first = run(target, "0640", check=check)
    assert "changed=1" in first
    if check:
        assert target.read_text(encoding="utf-8") == LOGIN_DEFS
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        return
    assert "PASS_MAX_DAYS\t90\n" in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert "changed=0" in run(target, "0640")
    target.chmod(0o644)
    assert "changed=1" in run(target, "0640"), "a mode alone that differs is set"


def test_a_missing_file_or_a_bad_pattern_fails(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("target ansible_connection=local\n", encoding="utf-8")
    for target, want, message in (
        (tmp_path / "absent", WANT, "does not exist"),
        (tmp_path, [{"regexp": "(", "line": "x"}], "does not compile"),
    ):
        result = run_playbook(PLAYBOOK, inventory, extra_vars={
            "target": str(target), "want": want, "mode": "0640", "check": False,
            "ansible_python_interpreter": sys.executable}, env=LIBRARY)
        assert not result.ok
        assert message in result.output
