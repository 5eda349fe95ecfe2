"""Without root or tools the lab says exactly why; CI never skips lab tests silently."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from mlps.cli import app
from mlps.cli import lab as _lab_cli  # noqa: F401  (registers `mlps lab`)
from mlps.lab import LabUnavailable, pytest_plugin
from mlps.lab import proc as lab_proc


def test_not_root_is_one_clear_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_proc.os, "geteuid", lambda: 1000)
    with pytest.raises(LabUnavailable, match="needs root"):
        lab_proc.preflight()


def test_missing_tools_name_the_debian_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.which
    monkeypatch.setattr(lab_proc.os, "geteuid", lambda: 0)
    monkeypatch.setattr(
        lab_proc.shutil, "which", lambda t: None if t in ("nft", "systemd-nspawn") else real(t)
    )
    with pytest.raises(LabUnavailable) as err:
        lab_proc.preflight()
    assert "nftables systemd-container" in str(err.value)


def test_cli_without_root_prints_one_line_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_proc.os, "geteuid", lambda: 1000)
    result = CliRunner().invoke(app, ["lab", "up", "--name", "mlps-t-noroot", "--hosts", "1"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "mlps lab: mlps lab needs root (network namespaces, mounts, cgroups)"
    ]


def _unavailable() -> None:
    raise LabUnavailable("mlps lab needs root (network namespaces, mounts, cgroups)")


def test_fixture_skips_with_the_reason_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(pytest_plugin, "preflight", _unavailable)
    with pytest.raises(pytest.skip.Exception, match="needs root"):
        pytest_plugin.require_lab()


def test_fixture_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(pytest_plugin, "preflight", _unavailable)
    with pytest.raises(pytest.fail.Exception, match="must run in CI: mlps lab needs root"):
        pytest_plugin.require_lab()
