"""baseline_lines sets several lines of a file in one module run, as lineinfile does for one:
the last matching line is replaced, a missing one appended, nothing written when all are set.
Lines are split on "\\n" only and every other byte is kept, UTF-8 or not. Run by real Ansible
on temporary files (connection local, tests/unit/baseline_module.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.unit.baseline_module import load, run_local

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
UMASK = [{"regexp": r"^UMASK\s", "line": "UMASK 027"}]
# Bytes that str.splitlines() would split on (CR, FF, FS, NEL, LINE SEPARATOR) and one that is not UTF-8.
ODD = b"a\r\nb\x0cc\x1cd\xc2\x85e\xe2\x80\xa8f\n# caf\xe9\n"


def test_last_match_replaced_commented_default_set_missing_appended() -> None:
    text, changed = load("baseline_lines").apply(LOGIN_DEFS, WANT)
    assert text == ("# comment\nPASS_MAX_DAYS\t90\nPASS_MIN_DAYS\t1\nUMASK\t022\nUMASK\t027\n"
                    "ENCRYPT_METHOD\tSHA512\n")
    assert changed == [w["line"] for w in WANT]


def test_a_file_already_set_is_left_as_it_is() -> None:
    apply = load("baseline_lines").apply
    once, _ = apply(LOGIN_DEFS, WANT)
    twice, changed = apply(once, WANT)
    assert twice == once
    assert changed == []


def test_a_line_present_without_a_match_is_not_added_twice() -> None:
    text, changed = load("baseline_lines").apply("UMASK 027\n", [{"regexp": "^NOMATCH", "line": "UMASK 027"}])
    assert (text, changed) == ("UMASK 027\n", [])


def test_lines_are_split_on_newline_only_and_searched_with_it_as_lineinfile_does() -> None:
    apply = load("baseline_lines").apply
    odd = ODD.decode("utf-8", "surrogateescape")
    assert apply(odd + "UMASK 022\n", UMASK) == (odd + "UMASK 027\n", ["UMASK 027"])
    assert apply("UMASK\n", UMASK) == ("UMASK 027\n", ["UMASK 027"]), "\\s sees the row's newline"
    assert apply("x\rUMASK 022\n", UMASK) == ("x\rUMASK 022\nUMASK 027\n", ["UMASK 027"]), \
        "a CR does not start a line"


def test_no_change_returns_the_text_itself_and_a_missing_final_newline_stays_missing() -> None:
    apply = load("baseline_lines").apply
    text = "# set\nUMASK 027"
    assert apply(text, UMASK)[0] is text
    assert apply("# set", UMASK) == ("# set\nUMASK 027\n", ["UMASK 027"])
    assert apply("", UMASK) == ("UMASK 027\n", ["UMASK 027"])


def test_shown_writes_bytes_that_are_not_utf8_as_escapes() -> None:
    assert load("baseline_lines").shown(b"caf\xe9\n".decode("utf-8", "surrogateescape")) == "caf\\xe9\n"


def test_a_failed_move_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "login.defs"
    target.write_bytes(b"x\n")

    class Module:
        def atomic_move(self, src: str, dest: str) -> None:
            raise OSError("no space left")

        def fail_json(self, msg: str) -> None:
            raise SystemExit(msg)

    with pytest.raises(SystemExit, match="could not be written: no space left"):
        load("baseline_lines").write(Module(), str(target), "y\n")
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_bytes() == b"x\n"


def run(path: Path, lines: list[dict[str, str]], mode: str = "0640",
        check: bool = False) -> dict[str, object]:
    return run_local("baseline_lines", {"path": str(path), "lines": lines, "mode": mode}, check=check)


@pytest.mark.parametrize("check", [False, True])
def test_ansible_sets_lines_and_mode_then_reports_no_change(tmp_path: Path, check: bool) -> None:
    target = tmp_path / "login.defs"
    target.write_text(LOGIN_DEFS, encoding="utf-8")
    target.chmod(0o644)
    first = run(target, WANT, check=check)
    assert first["changed"] is True, first
    if check:
        assert target.read_text(encoding="utf-8") == LOGIN_DEFS
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        assert list(tmp_path.iterdir()) == [target]
        return
    assert "PASS_MAX_DAYS\t90\n" in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert list(tmp_path.iterdir()) == [target], "no temporary file is left"
    assert run(target, WANT)["changed"] is False
    target.chmod(0o644)
    assert run(target, WANT)["changed"] is True, "a mode alone that differs is set"


def test_other_bytes_survive_a_change_and_the_diff_shows_them(tmp_path: Path) -> None:
    target = tmp_path / "login.defs"
    target.write_bytes(ODD + b"UMASK 022")
    result = run(target, UMASK)
    assert result["changed"] is True, result
    assert target.read_bytes() == ODD + b"UMASK 027\n"
    assert "# caf\\xe9\n" in result["diff"]["before"]  # type: ignore[index]
    assert result["diff"]["after"].endswith("UMASK 027\n")  # type: ignore[index]


def test_a_file_already_set_is_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "login.defs"
    target.write_bytes(ODD + b"UMASK 027")
    target.chmod(0o640)
    before = target.stat()
    result = run(target, UMASK)
    assert result["changed"] is False, result
    assert target.read_bytes() == ODD + b"UMASK 027", "no final newline is added"
    assert (target.stat().st_ino, target.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_symbolic_link_is_refused_and_its_target_kept(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(b"UMASK 022\n")
    real.chmod(0o600)
    link = tmp_path / "login.defs"
    link.symlink_to(real)
    result = run(link, UMASK)
    assert result.get("failed") and "is a symbolic link: refused" in str(result["msg"]), result
    assert real.read_bytes() == b"UMASK 022\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert link.is_symlink()


def test_a_missing_file_a_bad_pattern_or_not_a_regular_file_fails(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target, want, message in (
        (tmp_path / "absent", WANT, "does not exist"),
        (tmp_path, [{"regexp": "(", "line": "x"}], "does not compile"),
        (tmp_path, UMASK, "is not a regular file: refused"),
        (fifo, UMASK, "is not a regular file: refused"),
    ):
        result = run_local("baseline_lines", {"path": str(target), "lines": want}, timeout=60)
        assert result.get("failed") and message in str(result["msg"]), result
    assert sorted(tmp_path.iterdir()) == [fifo]


def test_a_line_already_set_with_a_carriage_return_is_kept() -> None:
    apply = load("baseline_lines").apply
    assert apply("UMASK 027\r\nX 1\r\n", UMASK) == ("UMASK 027\r\nX 1\r\n", [])


def test_a_temporary_file_that_cannot_be_made_fails_with_a_message(tmp_path: Path) -> None:
    """No traceback when the directory cannot take the temporary file (read-only, full, gone)."""
    failures: list[str] = []

    class Module:
        def fail_json(self, msg: str) -> None:
            failures.append(msg)
            raise SystemExit(1)

    with pytest.raises(SystemExit):
        load("baseline_lines").write(Module(), str(tmp_path / "gone" / "login.defs"), "UMASK 027\n")
    assert len(failures) == 1 and "could not be written" in failures[0], failures
