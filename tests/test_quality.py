"""The code passes its own linters: ruff on everything, mypy (strict) on the package, ansible-lint
(production profile) on every role and playbook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean() -> None:
    proc = run(str(BIN / "ruff"), "check", "mlps", "stacks", "policy", "roles", "tests", "bench")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean_on_the_package() -> None:
    proc = run(str(BIN / "mypy"), "mlps")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_roles_and_playbooks_are_ansible_lint_production_clean() -> None:
    proc = run(str(BIN / "ansible-lint"), "--profile", "production", "--nocolor",
               "roles", "playbooks", "tests/roles/playbooks")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
