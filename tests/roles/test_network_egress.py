"""Host identity, outbound and forwarded filtering on three lab hosts (app h1 in zone app, data h2
in zone data, the edge router between them; the spec allowing app -> data on 8125 only): Ansible
refuses a host whose SSH host key changed and runs nothing on it; once hardened, the app host can
open its allowed flow but no other port of the data host and nothing outside the lab; with the app
host's own egress opened by an intruder, the edge router still forwards only the spec's flow;
verify fails when outbound or forwarding is open."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlps.ansible_run import PROJECT_ROOT, run_playbook
from mlps.lab import Lab
from mlps.lab.pytest_plugin import LabFactory
from tests.roles.baseline_lab import WITHOUT_INTEGRITY

pytestmark = [pytest.mark.lab, pytest.mark.slow]

LAB_NAME = "mlps-t-egress"
TOPOLOGY = PROJECT_ROOT / "tests" / "roles" / "topologies" / "network-egress.yml"
APP, DATA, EDGE = "h1", "h2", "edge"
ALLOWED, UNLISTED, OUTSIDE = 8125, 8123, 8124
# The baseline play of site.yml alone: the link_failover play would ask for the lines the
# edge router (group link_failover) does not have here.
SITE = PROJECT_ROOT / "tests" / "roles" / "playbooks" / "baseline.yml"
VERIFY = PROJECT_ROOT / "playbooks" / "verify.yml"
SLOW_OK = {"ANSIBLE_TIMEOUT": "120"}
TOUCH = """- name: Leave a mark on every host it reaches
  hosts: all
  gather_facts: false
  tasks:
    - name: Mark
      ansible.builtin.file:
        path: /root/mlps-ran
        state: touch
        mode: "0600"
"""
OPEN_OUTPUT = "type filter hook output priority filter; policy accept;"
CONNECT = (
    "python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)'"
)


@pytest.fixture(scope="module")
def lab(lab_factory: LabFactory) -> Lab:
    return lab_factory(LAB_NAME, topology=TOPOLOGY)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("egress")


def _addr(lab: Lab, host: str) -> str:
    """``host``'s address in its zone (the app or data network, routed through the edge)."""
    return lab.hosts[host].addresses["app" if host == APP else "data"]


def _zone(lab: Lab, name: str) -> str:
    return str(next(net.cidr for net in lab.topology.networks if net.name == name))


def outside_address(lab: Lab) -> str:
    """The lab's own address on the management network: outside every lab host."""
    return str(lab.topology.management.cidr.network_address + 1)


@pytest.fixture(scope="module")
def inv(lab: Lab, work: Path) -> Path:
    """The lab inventory plus zones: the spec's flow app -> data on ALLOWED; the data host
    accepts every test port from the app zone, so only the app host's output and the edge
    router's forwarding decide."""
    data: dict[str, Any] = yaml.safe_load(lab.inventory_path.read_text(encoding="utf-8"))
    app = _zone(lab, "app")
    data["all"]["vars"]["mlps_spec"] = {
        "zones": [
            {"name": "app", "cidr": app, "ingress": []},
            {"name": "data", "cidr": _zone(lab, "data"), "ingress": [{"from": "app", "ports": [ALLOWED]}]},
        ]
    }
    data["all"]["vars"].update(WITHOUT_INTEGRITY)
    data["all"]["hosts"][APP]["mlps_zone"] = "app"
    data["all"]["hosts"][DATA]["mlps_zone"] = "data"
    data["all"]["hosts"][DATA]["baseline_firewall_allow"] = [
        {"port": p, "sources": [app], "comment": "test listener"} for p in (ALLOWED, UNLISTED)
    ]
    path = work / "inventory.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def listen(lab: Lab, host: str, port: int) -> None:
    bind = _addr(lab, host)
    lab.run(host, f"systemd-run --unit=mlps-listen-{port} python3 -m http.server {port} --bind {bind}")


def can_connect(lab: Lab, host: str, address: str, port: int) -> bool:
    return lab.run(host, f"{CONNECT} {address} {port}", check=False).returncode == 0


@pytest.fixture(scope="module")
def outside(lab: Lab) -> Iterator[str]:
    """A listener in the lab's own namespace (the hosts' outside), stopped at the end."""
    address = outside_address(lab)
    netns = str(lab.names.netns_path(lab.names.lab_netns))
    proc = subprocess.Popen(
        ["nsenter", f"--net={netns}", "python3", "-m", "http.server", str(OUTSIDE), "--bind", address],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield address
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def listeners(lab: Lab, outside: str) -> str:
    """Listeners on the data host; before hardening, the app host reaches all three, the data
    host's through the edge router (the attack is real: only the firewalls stop it later)."""
    for port in (ALLOWED, UNLISTED):
        listen(lab, DATA, port)
    for address, port in ((_addr(lab, DATA), ALLOWED), (_addr(lab, DATA), UNLISTED), (outside, OUTSIDE)):
        for _ in range(50):
            if can_connect(lab, APP, address, port):
                break
        else:
            pytest.fail(f"{APP} cannot reach {address}:{port} even before hardening")
    return outside


def test_a_host_with_another_host_key_gets_nothing(lab: Lab, work: Path) -> None:
    """Impersonation: DATA answers with a key that is not the one the lab recorded."""
    key = "/etc/ssh/ssh_host_ed25519_key"
    lab.run(DATA, f"cp -a {key} /root/hostkey.bak && cp -a {key}.pub /root/hostkey.pub.bak")
    try:
        lab.run(DATA, f"rm -f {key} {key}.pub && ssh-keygen -q -t ed25519 -N '' -f {key}")
        lab.run(DATA, "systemctl restart ssh")
        playbook = work / "touch.yml"
        playbook.write_text(TOUCH, encoding="utf-8")
        run = run_playbook(playbook, lab.inventory_path, env=SLOW_OK)
        assert not run.ok
        assert run.stats.get(DATA, {}).get("dark", 0) > 0, run.stats
        # Ansible may report the refusal as a broken pipe (ssh exits while it writes); the
        # same ssh options, without Ansible in between, name the reason.
        direct = subprocess.run(
            lab.ssh_command(DATA, "true"), capture_output=True, text=True, timeout=60, check=False
        )
        assert direct.returncode == 255, direct
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in direct.stderr, direct.stderr
        ran = lab.run(DATA, "test -e /root/mlps-ran", check=False).returncode == 0
        assert not ran, "a task ran on the host with the unknown key"
        assert lab.run(APP, "test -e /root/mlps-ran", check=False).returncode == 0
    finally:
        lab.run(DATA, f"mv /root/hostkey.bak {key} && mv /root/hostkey.pub.bak {key}.pub")
        lab.run(DATA, "systemctl restart ssh")
    again = run_playbook(work / "touch.yml", lab.inventory_path, env=SLOW_OK)
    assert again.ok, again.output[-3000:]


@pytest.fixture(scope="module")
def built(lab: Lab, inv: Path, listeners: str) -> Iterator[str]:
    first = run_playbook(SITE, inv, tags="baseline", env=SLOW_OK)
    assert first.ok, first.output[-4000:]
    second = run_playbook(SITE, inv, tags="baseline", env=SLOW_OK)
    assert second.ok, second.output[-4000:]
    assert second.changed == 0, second.changed_tasks()
    yield listeners


def test_the_spec_flow_is_open(built: str, lab: Lab) -> None:
    assert can_connect(lab, APP, _addr(lab, DATA), ALLOWED)


def test_an_unlisted_port_of_another_host_is_closed(built: str, lab: Lab) -> None:
    assert not can_connect(lab, APP, _addr(lab, DATA), UNLISTED)


def test_nothing_outside_the_flows_is_reachable(built: str, lab: Lab) -> None:
    assert not can_connect(lab, APP, built, OUTSIDE)
    # and the data host, with no flow out of its zone, cannot call back into the app zone
    assert not can_connect(lab, DATA, built, OUTSIDE)


def test_packages_still_install_through_the_firewall(built: str, lab: Lab) -> None:
    proc = lab.run(APP, "apt-get update -q", check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


EGRESS_CHECKS = ("nftables output", "nftables forward", "outbound accepts", "forwarded accepts")
FORWARDED = "forwarded accepts name their destinations (allowlist)"


def _egress_results(ev: Path, host: str = APP) -> dict[str, str]:
    doc = yaml.safe_load((ev / host / "baseline.json").read_text(encoding="utf-8"))
    return {r["check"]: r["status"] for r in doc["results"] if r["check"].startswith(EGRESS_CHECKS)}


def _verify(inv: Path, ev: Path, limit: str) -> None:
    run = run_playbook(VERIFY, inv, extra_vars={"evidence_dir": str(ev)}, tags="baseline", limit=limit,
                       env=SLOW_OK)
    assert run.ok, run.output[-3000:]


def test_verify_fails_when_outbound_is_open(built: str, lab: Lab, inv: Path, work: Path) -> None:
    good = work / "ev-good"
    _verify(inv, good, f"{APP},{EDGE}")
    closed = {
        "nftables output policy": "pass",
        "nftables forward policy": "pass",
        "outbound accepts name their destinations (allowlist)": "pass",
        FORWARDED: "pass",
    }
    assert _egress_results(good) == closed
    assert _egress_results(good, EDGE) == closed
    lab.run(APP, f"nft 'add chain inet mlps_filter output {{ {OPEN_OUTPUT} }}'")
    assert can_connect(lab, APP, built, OUTSIDE)
    lab.run(APP, "nft add rule inet mlps_filter output tcp dport 8000-9000 accept")
    bad = work / "ev-open"
    _verify(inv, bad, APP)
    assert _egress_results(bad) == {
        "nftables output policy": "fail",
        "nftables forward policy": "pass",
        "outbound accepts name their destinations (allowlist)": "fail",
        FORWARDED: "pass",
    }
    lab.run(APP, "systemctl reload nftables")
    assert not can_connect(lab, APP, built, OUTSIDE)


def test_the_edge_router_forwards_only_the_spec_flows(built: str, lab: Lab, inv: Path, work: Path) -> None:
    """An intruder on the app host opens its own egress: the edge router still forwards the
    spec's flow and drops the unlisted port; the same connection passes once the router's
    forward chain accepts everything, and verify then fails on the router."""
    lab.run(APP, "nft insert rule inet mlps_filter output accept")
    try:
        assert can_connect(lab, APP, _addr(lab, DATA), ALLOWED)
        assert not can_connect(lab, APP, _addr(lab, DATA), UNLISTED)
        lab.run(EDGE, "nft add rule inet mlps_filter forward accept")
        assert can_connect(lab, APP, _addr(lab, DATA), UNLISTED)
        bad = work / "ev-forward-open"
        _verify(inv, bad, EDGE)
        results = _egress_results(bad, EDGE)
        assert results[FORWARDED] == "fail", results
        assert results["nftables forward policy"] == "pass", results
        lab.run(EDGE, "systemctl reload nftables")
        assert not can_connect(lab, APP, _addr(lab, DATA), UNLISTED)
    finally:
        lab.run(EDGE, "systemctl reload nftables")
        lab.run(APP, "systemctl reload nftables")
