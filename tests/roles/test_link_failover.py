"""link_failover on lab hosts: hospital LAN - edge - two carriers - cloud edge - server.

The tests run in file order on one lab: build, verify, idempotence, preference, a silent cut
inside the primary carrier, the heal, then a flapping primary.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest

from mlps.ansible_run import PROJECT_ROOT, PlaybookRun, run_playbook
from mlps.lab import Lab
from tests.roles import link_failover_lab as lf
from tests.roles import link_failover_probe as probe_judge

# The failover bounds are milliseconds: measured with no other lab sharing the CPU.
pytestmark = pytest.mark.alone

LAB_NAME = "mlps-t-link"
HOLD_DOWN, HOLD_DOWN_MAX = 5, 20
SCHEMA = json.loads((PROJECT_ROOT / "schemas" / "evidence.schema.json").read_text())


class Deployed:
    """What the first run left: the inventory, the generated passwords and the run itself."""

    def __init__(self, inventory: Path, passwords: dict[str, str], first: PlaybookRun) -> None:
        self.inventory = inventory
        self.passwords = passwords
        self.first = first


@pytest.fixture(scope="module")
def lab(lab_factory: Callable[..., Lab]) -> Lab:
    made = lab_factory(LAB_NAME, topology=lf.TOPOLOGY)
    lf.wire(made)
    return made


@pytest.fixture(scope="module")
def deployed(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    passwords = lf.new_passwords()
    host_vars = lf.edge_vars(lab, passwords, "standard")
    for extra in host_vars.values():
        extra["link_failover_hold_down_seconds"] = HOLD_DOWN
        extra["link_failover_hold_down_max_seconds"] = HOLD_DOWN_MAX
    inventory = lf.write_inventory(lab, host_vars, tmp_path_factory.mktemp("lf") / "inv.yml")
    first = run_playbook(lf.PLAYBOOK, inventory)
    assert first.ok, first.output[-4000:]
    wait_for(lambda: all(
        lf.bird_state(lab, edge).count("Established") == 2
        for edge in (lf.HOSPITAL_EDGE, lf.CLOUD_EDGE)), 60, "both BGP sessions on both edges")
    lf.start_server(lab)
    return Deployed(inventory, passwords, first)


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``check`` every 0.1 s; fail naming ``what`` when it stays false."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not reached within {seconds:g} s: {what}")
        time.sleep(0.1)


def secrets_absent(text: str, passwords: dict[str, str]) -> None:
    for name, secret in passwords.items():
        assert secret not in text, f"the BGP password of {name} leaked"


@pytest.mark.lab
def test_build_verifies_sessions_bfd_primary_and_md5(
    lab: Lab, deployed: Deployed, tmp_path: Path
) -> None:
    run = run_playbook(lf.VERIFY_PLAYBOOK, deployed.inventory,
                       extra_vars={"evidence_dir": str(tmp_path)})
    assert run.ok, run.output[-4000:]
    for edge in (lf.HOSPITAL_EDGE, lf.CLOUD_EDGE):
        raw = (tmp_path / edge / "link_failover.json").read_text()
        secrets_absent(raw, deployed.passwords)
        evidence = json.loads(raw)
        jsonschema.validate(evidence, SCHEMA)
        failed = [r for r in evidence["results"] if r["status"] != "pass"]
        assert not failed, failed
        checks = {(r["control"], r["check"]) for r in evidence["results"]}
        for line in lf.LINES:
            assert any(c == "CNS-FAILOVER-01" and f"BGP session {line.name}" in k
                       for c, k in checks)
            assert any(c == "CNS-FAILOVER-01" and f"BFD session of {line.name}" in k
                       for c, k in checks)
            assert any(c == "CNS-ROUTE-01" and line.name in k for c, k in checks)
        assert any(k.startswith("primary line line-ct carries") for _c, k in checks)
    secrets_absent(deployed.first.output + run.output, deployed.passwords)
    for edge in (lf.HOSPITAL_EDGE, lf.CLOUD_EDGE):
        secrets_absent(lab.run(edge, "journalctl --no-pager -o cat").stdout, deployed.passwords)


@pytest.mark.lab
def test_verify_reports_a_dead_session_as_fail(
    lab: Lab, deployed: Deployed, tmp_path: Path
) -> None:
    lab.run(lf.CLOUD_EDGE, "birdc disable lf_line_cu")
    try:
        run = run_playbook(lf.VERIFY_PLAYBOOK, deployed.inventory,
                           extra_vars={"evidence_dir": str(tmp_path)}, limit=lf.HOSPITAL_EDGE)
        assert run.ok, run.output[-4000:]
        evidence = json.loads((tmp_path / lf.HOSPITAL_EDGE / "link_failover.json").read_text())
        status = {r["check"]: r["status"] for r in evidence["results"]}
        backup_session = f"BGP session line-cu with {lf.addr(lab, lf.CLOUD_EDGE, 'b-far')}"
        assert status[f"{backup_session} established"] == "fail"
        assert status["primary line line-ct carries " + lf.CLOUD_PREFIX] == "pass"
    finally:
        lab.run(lf.CLOUD_EDGE, "birdc enable lf_line_cu")
    wait_for(lambda: lf.bird_state(lab, lf.HOSPITAL_EDGE).count("Established") == 2, 60,
             "backup session back after enable")


@pytest.mark.lab
def test_second_run_changes_nothing(deployed: Deployed) -> None:
    again = run_playbook(lf.PLAYBOOK, deployed.inventory)
    assert again.ok, again.output[-4000:]
    assert again.changed == 0, again.output[-4000:]


@pytest.mark.lab
def test_primary_preferred_both_ways_and_only_spec_prefixes(lab: Lab, deployed: Deployed) -> None:
    assert lf.on_line(lab, lf.PRIMARY)
    sides = ((lf.HOSPITAL_EDGE, lf.CLOUD_PREFIX), (lf.CLOUD_EDGE, lf.HOSPITAL_PREFIX))
    for edge, accepted in sides:
        learned = lab.run(edge, "ip -j route show proto bird").stdout
        prefixes = {r["dst"] for r in json.loads(learned)}
        peers = {p["peer_address"] for p in lf.edge_vars(lab, deployed.passwords,
                                                         "standard")[edge]["link_failover_peerings"]}
        assert prefixes == {accepted} | peers  # nothing else (no default, no management)
    # What the hospital edge sends over the backup line carries the prepends and the MED,
    # so a far end that has no local-preference of its own still prefers the primary.
    backup = lab.run(lf.CLOUD_EDGE, "birdc -r show route all protocol lf_line_cu").stdout
    assert "BGP.as_path: 65010 65010 65010 65010" in backup
    assert "BGP.med: 100" in backup
    primary = lab.run(lf.CLOUD_EDGE, "birdc -r show route all protocol lf_line_ct").stdout
    assert "BGP.as_path: 65010\n" in primary


@pytest.mark.lab
def test_silent_cut_in_primary_carrier_moves_traffic_and_tcp_survives(
    lab: Lab, deployed: Deployed
) -> None:
    with ThreadPoolExecutor(1) as pool:
        probe = lf.start_client(lab, pool, seconds=10)
        time.sleep(2)
        backup_before = lf.forwarded_packets(lab, lf.BACKUP)
        lab.cut(lf.PRIMARY.far, mode="drop")
        cut_at = time.monotonic()  # the lab hosts share this clock: the probe's times compare
        wait_for(lambda: lf.on_line(lab, lf.BACKUP), 15, "both edges on the backup line")
        result = probe.result()
    links = lab.run(lf.HOSPITAL_EDGE, "ip -br link").stdout
    assert "DOWN" not in links.replace("eth0", ""), links  # a silent cut: every port stays UP
    assert lf.forwarded_packets(lab, lf.BACKUP) - backup_before > 100
    assert result["tcp"]["error"] == "", result["tcp"]
    assert result["runs"], "the cut must have cost some echoes"
    assert not result["runs"][-1].get("open"), result["runs"]  # traffic flows again
    figures, problems = probe_judge.judge_cut(result["timeline"], result["tcp"]["timeline"], cut_at)
    print(f"silent cut: {json.dumps(figures)}")
    assert not problems, (problems, figures, result["runs"])


@pytest.mark.lab
def test_heal_returns_to_primary_without_loss(lab: Lab, deployed: Deployed) -> None:
    assert lf.on_line(lab, lf.BACKUP)
    with ThreadPoolExecutor(1) as pool:
        probe = lf.start_client(lab, pool, seconds=HOLD_DOWN_MAX + 12)
        time.sleep(1)
        lab.heal(lf.PRIMARY.far)
        wait_for(lambda: lf.on_line(lab, lf.PRIMARY), HOLD_DOWN_MAX + 10, "back on the primary")
        primary_before = lf.forwarded_packets(lab, lf.PRIMARY)
        result = probe.result()
    assert lf.forwarded_packets(lab, lf.PRIMARY) - primary_before > 50
    assert result["received"] == result["sent"], result["runs"]
    assert result["tcp"]["error"] == "", result["tcp"]


def route_switches(monitor_output: str, prefix: str) -> list[str]:
    """Next-hop interfaces ``prefix`` took, in order, from ``ip -o monitor route`` lines."""
    devs: list[str] = []
    for line in monitor_output.splitlines():
        words = line.split()
        if not words or words[0] == "Deleted" or words[0] != prefix or "dev" not in words:
            continue
        dev = words[words.index("dev") + 1]
        if not devs or devs[-1] != dev:
            devs.append(dev)
    return devs


@pytest.mark.lab
def test_flapping_primary_is_held_down(lab: Lab, deployed: Deployed) -> None:
    wait_for(lambda: lf.on_line(lab, lf.PRIMARY), HOLD_DOWN_MAX + 10, "on the primary")
    daemons = {e: lf.bird_pid_and_restarts(lab, e) for e in (lf.HOSPITAL_EDGE, lf.CLOUD_EDGE)}
    with ThreadPoolExecutor(1) as pool:
        monitor = pool.submit(lab.run, lf.HOSPITAL_EDGE,
                              "timeout 24 ip -o monitor route; true", True, 60)
        time.sleep(0.5)
        for _ in range(5):  # 5 cuts in 15 s
            lab.cut(lf.PRIMARY.far, mode="drop")
            time.sleep(1.5)
            lab.heal(lf.PRIMARY.far)
            time.sleep(1.5)
        seen = route_switches(monitor.result().stdout, lf.CLOUD_PREFIX)
    primary_dev = lf.iface(lab, lf.HOSPITAL_EDGE, lf.PRIMARY.near)
    backup_dev = lf.iface(lab, lf.HOSPITAL_EDGE, lf.BACKUP.near)
    assert seen and seen[0] == backup_dev, seen
    assert len(seen) <= 3, f"traffic bounced between the lines: {seen}"  # 10 without hold-down
    for edge, before in daemons.items():
        assert lf.bird_pid_and_restarts(lab, edge) == before, f"BIRD restarted on {edge}"
    with ThreadPoolExecutor(1) as pool:
        result = lf.start_client(lab, pool, seconds=3).result()
    assert result["received"] == result["sent"], result["runs"]
    assert lf.route_dev(lab, lf.HOSPITAL_EDGE, lf.CLOUD_PREFIX) in (primary_dev, backup_dev)
    wait_for(lambda: lf.on_line(lab, lf.PRIMARY), 2 * HOLD_DOWN_MAX + 10, "back on the primary")
