"""docs/security.md names tests that exist: a threat listed there is one a test really attacks."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "security.md"
# `tests/x.py::name`, `tests/x.py` (a whole module), or `::name` after a module in the same cell;
# a bare `name` in a cell belongs to the last module named in that row.
REF = re.compile(r"`((?:tests/[\w/]+\.py)?(?:::)?[\w\[\]|*-]*)`")


def _references() -> list[tuple[str, str | None]]:
    refs: list[tuple[str, str | None]] = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or not re.search(r"`(tests/|::|test_)", line):
            continue
        cell = line.rstrip(" |").rsplit(" | ", 1)[-1]
        module = ""
        for token in REF.findall(cell):
            path, _, name = token.partition("::")
            if path.startswith("tests/"):
                module = path
            elif not token.startswith("::"):
                path, name = "", token
            assert module, f"{line}: a test name before any module"
            refs.append((module, name.split("[")[0] or None))
    return refs


def test_security_doc_lists_tests() -> None:
    assert len(_references()) >= 30


def test_every_test_named_in_the_security_doc_exists() -> None:
    missing = []
    for module, name in _references():
        source = REPO / module
        if not source.is_file():
            missing.append(module)
            continue
        if name is None:
            continue
        pattern = re.escape(name).replace(r"\*", r"\w*")
        if not re.search(rf"^def {pattern}\(", source.read_text(encoding="utf-8"), re.M):
            missing.append(f"{module}::{name}")
    assert not missing, missing
