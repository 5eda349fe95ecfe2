"""Pulumi.onprem-lab.yaml booted as a lab: every spec host answers Ansible through the synth
inventory, and zones reach each other through the router only."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlps.lab import Lab
from mlps.lab.pytest_plugin import LabFactory

pytestmark = [pytest.mark.lab, pytest.mark.hospital]
ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "Pulumi.onprem-lab.yaml"
ANSIBLE = Path(sys.executable).parent / "ansible"
SPEC_HOSTS = ["bastion-1", "logaudit-1", "logaudit-2", "s3-1", "s3-2", "s3-3",
              "k8s-cp-1", "k8s-cp-2", "k8s-cp-3", "k8s-node-1", "k8s-node-2"]
BOOTED: dict[str, float] = {}


@pytest.fixture(scope="module")
def lab(lab_factory: LabFactory) -> Lab:
    start = time.monotonic()
    made = lab_factory("mlps-t-spec", spec=SPEC)
    BOOTED["seconds"] = time.monotonic() - start
    return made


def test_every_spec_host_answers_ansible_through_the_inventory(lab: Lab) -> None:
    assert set(SPEC_HOSTS) < set(lab.hosts)
    proc = subprocess.run(
        [str(ANSIBLE), "all", "-i", str(lab.inventory_path), "-m", "ping", "-o", "-f", "11"],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    answered = {line.split(" ")[0] for line in proc.stdout.splitlines() if "SUCCESS" in line}
    assert answered == set(SPEC_HOSTS)
    print(f"boot: {BOOTED.get('seconds', 0):.1f} s")


def test_hosts_have_their_spec_addresses_and_cross_zones_through_the_router(lab: Lab) -> None:
    addrs = json.loads(lab.run("bastion-1", "ip -j -4 addr show").stdout)
    assert "10.110.0.10" in {a["local"] for i in addrs for a in i["addr_info"]}
    # mgmt zone -> storage zone, and core -> mgmt: by address, over the router.
    assert lab.run("bastion-1", "ping -c1 -W2 10.130.0.11", check=False).returncode == 0
    assert lab.run("k8s-node-1", "ping -c1 -W2 10.110.0.21", check=False).returncode == 0
    route = lab.run("bastion-1", "ip -4 route get 10.130.0.11").stdout
    assert "via 10.110.0.1" in route
    # Without the router forwarding, the zones are apart.
    lab.run("zone-router", "sysctl -qw net.ipv4.ip_forward=0")
    try:
        assert lab.run("bastion-1", "ping -c1 -W1 10.130.0.11", check=False).returncode != 0
    finally:
        lab.run("zone-router", "sysctl -qw net.ipv4.ip_forward=1")
