"""Progress of the long commands: drawn on a terminal's standard error, absent from piped output."""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from mlps import progress
from mlps.cli import app
from mlps.cli import commands as _commands  # noqa: F401  (registers the sub-commands)
from mlps.cli import lab as lab_cli

ROOT = Path(__file__).resolve().parents[2]
ESC = "\x1b"
LAB_STEPS = ["removing what an earlier lab demo left", "booting h1 (1/1)", "waiting for SSH on 1 host(s)"]


def terminal() -> tuple[Console, io.StringIO]:
    """A console that behaves as a colour terminal, writing into a buffer."""
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120, color_system="standard"), out


def test_each_step_is_drawn_on_a_terminal() -> None:
    console, out = terminal()
    with progress.steps(console) as step:
        step("first step")
        step("second step")
    drawn = out.getvalue()
    assert ESC in drawn
    assert drawn.index("first step") < drawn.index("second step")


def test_nothing_is_written_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    with progress.steps(Console(file=out, force_terminal=False)) as step:
        step("a step")
    assert out.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a file, as in CI
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich alone would draw anyway
    assert progress.stderr_console() is None
    with progress.steps() as step:
        assert step is progress.quiet


class FakeLab:
    """What ``mlps lab up`` needs of a Lab; ``up`` reports the steps a one-host lab takes."""

    def __init__(self) -> None:
        self.log = ["1 hosts up in 0.1 s"]
        self.hosts = {"h1": SimpleNamespace(name="h1", addresses={"lan": "10.99.0.2"})}
        self.inventory_path = Path("/var/lib/mlps/lab/demo/inventory.yml")

    def up(self, **kwargs: Any) -> FakeLab:
        for text in LAB_STEPS:
            kwargs["progress"](text)
        return self


def lab_up(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setattr(lab_cli, "_lab", lambda name: FakeLab())
    result = CliRunner().invoke(app, ["lab", "up", "--name", "demo", "--hosts", "1"])
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def test_lab_up_shows_its_steps_on_a_terminal_and_nothing_when_piped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    piped_out, piped_err = lab_up(monkeypatch)
    assert ESC not in piped_out + piped_err
    assert not any(text in piped_out + piped_err for text in LAB_STEPS)
    assert piped_out.splitlines() == ["1 hosts up in 0.1 s", "h1\tlan=10.99.0.2",
                                      "inventory: /var/lib/mlps/lab/demo/inventory.yml"]
    console, drawn = terminal()
    monkeypatch.setattr(progress, "stderr_console", lambda: console)
    tty_out, _ = lab_up(monkeypatch)
    assert all(text in drawn.getvalue() for text in LAB_STEPS)
    assert tty_out == piped_out  # the display goes to standard error only


@pytest.mark.slow
def test_synth_through_a_pipe_has_no_progress_and_on_a_terminal_shows_its_steps(tmp_path: Path) -> None:
    cmd = [str(Path(sys.executable).parent / "mlps"), "synth", "Pulumi.onprem-lab.yaml"]
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200"}
    env.pop("FORCE_COLOR", None)
    piped = subprocess.run([*cmd, "--out", str(tmp_path / "piped")], cwd=ROOT, capture_output=True,
                           text=True, timeout=600, env=env)
    assert piped.returncode == 0, piped.stderr
    assert ESC not in piped.stdout + piped.stderr
    assert "stack program" not in piped.stdout + piped.stderr
    line = shlex.join([*cmd, "--out", str(tmp_path / "tty")])
    tty = subprocess.run(["script", "-qefc", line, "/dev/null"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, env=env, stdin=subprocess.DEVNULL)
    assert tty.returncode == 0, tty.stdout
    for text in ("running the stack program of onprem-lab offline", "checking the plan",
                 f"writing {tmp_path / 'tty'}"):
        assert text in tty.stdout, tty.stdout[-2000:]
    assert ESC in tty.stdout
    summary = piped.stdout.splitlines()[0].replace("piped", "tty")
    assert summary in tty.stdout


def test_exit_copy_bar_is_drawn_on_the_terminal_given_and_never_on_stdout(
        capsys: pytest.CaptureFixture[str]) -> None:
    from mlps.cli import exit as exit_cli

    console, out = terminal()
    with exit_cli._progress("pacs-images", 2048, console) as advance:
        advance(1024)
        advance(1024)
    assert "pacs-images" in out.getvalue()
    assert ESC in out.getvalue()
    assert capsys.readouterr().out == ""
    drawn = out.getvalue()
    for total, shown in ((None, console), (2048, None)):  # no total known, or stderr piped
        with exit_cli._progress("pacs-images", total, shown) as advance:
            advance(1024)
    assert out.getvalue() == drawn
    assert capsys.readouterr().out == ""
