"""The command line as a user meets it: --version, -h on every command in plain words, one way
to name the spec everywhere, --soft-fail, and one file mode for every report."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import mlps
from mlps.cli import app
from mlps.cli import commands as _commands  # noqa: F401  (registers the sub-commands)

ROOT = Path(__file__).resolve().parent.parent
SPEC = "Pulumi.hybrid-prod.yaml"
# How typer prints a parameter's Python type (<int>, <list[Path]>, <class 'str'>, {paths}).
PYTHON_TYPES = re.compile(r"<(class\b|int|str|bool|float|path|file|dir|list|dict|tuple|Path)\b"
                          r"|\blist\[|\{[a-z_]+\}")


def mlps_run(*args: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    def set_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run([sys.executable, "-m", "mlps", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, preexec_fn=set_umask)


def failing_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "Pulumi.bad.yaml"
    spec.write_text((ROOT / SPEC).read_text(encoding="utf-8").replace("mfa: totp", "mfa: none"),
                    encoding="utf-8")
    return spec


def every_command() -> Iterator[list[str]]:
    """The argument path of the root and of every command and group below it."""
    def walk(command: object, path: list[str]) -> Iterator[list[str]]:
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


def test_version_is_the_package_version() -> None:
    proc = mlps_run("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"mlps {importlib.metadata.version('mlps')}\n"
    assert mlps.__version__ == importlib.metadata.version("mlps")


@pytest.mark.parametrize("path", list(every_command()), ids=lambda p: " ".join(p) or "mlps")
def test_short_help_on_every_command_in_plain_words(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "-h"], prog_name="mlps", terminal_width=100)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: mlps {' '.join(path)}".rstrip())
    assert "-h, --help" in result.output
    assert not PYTHON_TYPES.search(result.output), result.output
    options = result.output.split("Options:")[1]
    for line in options.splitlines():  # every option that takes a value names it
        m = re.match(r"\s+(?:-\w, )?(--[\w-]+)(?: (\S+))?", line)
        if m and m.group(1) not in ("--help", "--version", "--soft-fail") and "/" not in line[:40]:
            assert m.group(2) and re.fullmatch(r"[A-Z_]+|\{[a-z,]+\}", m.group(2)), line


def test_help_from_the_shell_names_the_spec_argument() -> None:
    proc = mlps_run("validate", "-h")
    assert proc.returncode == 0
    assert "Usage: mlps validate [OPTIONS] [SPEC...]" in proc.stdout
    assert "--soft-fail" in proc.stdout and "--spec SPEC" in proc.stdout


def test_validate_takes_the_spec_as_argument_or_option() -> None:
    positional = mlps_run("validate", SPEC, "-f", "json")
    option = mlps_run("validate", "--spec", SPEC, "-f", "json")
    assert positional.returncode == option.returncode == 0, option.stderr

    def controls(text: str) -> object:
        return json.loads(text)["controls"]

    assert controls(positional.stdout) == controls(option.stdout)
    none = mlps_run("validate")
    assert none.returncode == 2 and none.stderr.strip().count("\n") == 0
    assert "no spec given" in none.stderr and "Traceback" not in none.stderr


def test_report_takes_the_spec_as_argument_or_option(tmp_path: Path) -> None:
    a = mlps_run("report", SPEC, "--out", str(tmp_path / "a"), "-f", "json")
    b = mlps_run("report", "--spec", SPEC, "--out", str(tmp_path / "b"), "-f", "json")
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert json.loads(a.stdout)["controls"] == json.loads(b.stdout)["controls"]
    two = mlps_run("report", SPEC, "--spec", "Pulumi.cloud-dev.yaml", "--out", str(tmp_path / "c"))
    assert two.returncode == 2 and "a second spec given" in two.stderr
    assert not (tmp_path / "c").exists()


def test_synth_takes_the_spec_as_argument_option_or_stack_name(tmp_path: Path) -> None:
    by_file = mlps_run("synth", SPEC, "--out", str(tmp_path / "file"))
    by_stack = mlps_run("synth", "--stack", "hybrid-prod", "--out", str(tmp_path / "stack"))
    assert by_file.returncode == by_stack.returncode == 0, by_file.stderr + by_stack.stderr
    for name in ("resources.json", "inventory.yml", "findings.json"):
        assert (tmp_path / "file" / name).read_bytes() == (tmp_path / "stack" / name).read_bytes()
    both = mlps_run("synth", "--spec", SPEC, "--stack", "hybrid-prod")
    assert both.returncode == 2 and "both a stack and a spec given" in both.stderr


def test_soft_fail_exits_0_on_failing_controls_but_2_on_bad_input(tmp_path: Path) -> None:
    spec = str(failing_spec(tmp_path))
    hard = mlps_run("validate", spec)
    soft = mlps_run("validate", spec, "--soft-fail")
    assert (hard.returncode, soft.returncode) == (1, 0)
    assert "NOT compliant" in soft.stdout and "CES-AUTH-06" in soft.stdout
    report = mlps_run("report", spec, "--out", str(tmp_path / "r"), "--soft-fail")
    assert report.returncode == 0, report.stderr
    summary = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))["summary"]
    assert summary["compliant"] is False
    missing = str(tmp_path / "missing.yaml")
    assert mlps_run("validate", missing, "--soft-fail").returncode == 2
    assert mlps_run("report", missing, "--soft-fail", "--out", str(tmp_path / "m")).returncode == 2


def test_every_report_file_has_the_same_mode(tmp_path: Path) -> None:
    for umask in (0o022, 0o077):
        out = tmp_path / f"r{umask:o}"
        assert mlps_run("report", SPEC, "--out", str(out), umask=umask).returncode == 0
        single = tmp_path / f"v{umask:o}.html"
        assert mlps_run("validate", SPEC, "-f", "html", "-o", str(single), umask=umask).returncode == 0
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.glob("report.*")}
        modes[single.name] = stat.S_IMODE(single.stat().st_mode)
        assert len(modes) == 6 and set(modes.values()) == {0o644}, modes
