"""CES-AUDIT-02: chrony follows the spec's time servers only; without one the role stops (an
air-gapped site has no public pool, and a clock without a source drifts unnoticed)."""

from __future__ import annotations

import sys
from pathlib import Path

from mlps.ansible_run import PlaybookRun, run_playbook

PLAY = Path(__file__).resolve().parent / "playbooks" / "time_sources.yml"


def _run(tmp_path: Path, servers: list[str], out: Path | None = None) -> PlaybookRun:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts: {}\n")
    extra: dict[str, object] = {"baseline_time_servers": servers,
                                "ansible_python_interpreter": sys.executable}
    if out is not None:
        extra["out"] = str(out)
    return run_playbook(PLAY, inventory, extra_vars=extra, env={"ANSIBLE_CHECK_MODE": "1"})


def test_no_time_server_stops_the_role_naming_the_variable_and_the_spec_field(tmp_path: Path) -> None:
    run = _run(tmp_path, [])
    assert not run.ok
    flat = " ".join(run.output.split())
    assert "baseline_time_servers (spec baseline.time_sync.servers) is empty" in flat


def test_a_server_entry_that_would_inject_configuration_is_refused(tmp_path: Path) -> None:
    run = _run(tmp_path, ["10.0.0.1 iburst\nallow all"])
    assert not run.ok
    assert "holds something other than a host name or address" in " ".join(run.output.split())


def test_chrony_uses_the_given_servers_and_no_pool(tmp_path: Path) -> None:
    out = tmp_path / "chrony.conf"
    run = _run(tmp_path, ["10.110.0.1", "ntp2.hospital.example"], out)
    assert run.ok, run.output[-3000:]
    lines = out.read_text().splitlines()
    assert [ln for ln in lines if ln.startswith(("server", "pool"))] == [
        "server 10.110.0.1 iburst", "server ntp2.hospital.example iburst"]
