"""A lab from a topology file: per-segment interfaces, and cutting and healing a link."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlps.lab import Lab
from mlps.lab.pytest_plugin import LabFactory

pytestmark = pytest.mark.lab
LINE = Path(__file__).parent / "topologies" / "line.yml"
ANSIBLE = Path(sys.executable).parent / "ansible"


@pytest.fixture(scope="module")
def lab(lab_factory: LabFactory) -> Lab:
    return lab_factory("mlps-t-links", topology=LINE)


def reaches(lab: Lab, host: str, address: str, within: float = 0) -> bool:
    """A ping answered, tried for up to ``within`` seconds: a healed link takes a moment to carry
    traffic again (both ends' carrier, neighbour resolution), so a heal is judged by the link
    working within a bound, a cut by a single unanswered ping."""
    deadline = time.monotonic() + within
    while lab.run(host, f"ping -c1 -W1 {address}", check=False).returncode != 0:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
    return True


def link_state(lab: Lab, host: str, ifname: str) -> str:
    return lab.run(host, f"cat /sys/class/net/{ifname}/operstate").stdout.strip()


def test_each_segment_is_its_own_interface_with_its_address(lab: Lab) -> None:
    b = lab.hosts["b"]
    assert b.interfaces == {"mgmt": "eth0", "wire1": "eth1", "wire2": "eth2"}
    assert b.addresses["wire1"] == "10.61.0.2"
    assert lab.hosts["c"].addresses["wire2"] == "10.62.0.2"
    out = lab.run("b", "ip -4 -o addr show eth2").stdout
    assert "10.62.0.1/30" in out
    assert reaches(lab, "a", "10.61.0.2")
    assert reaches(lab, "b", "10.62.0.2")
    # segments are separate: a has no interface on wire2
    assert not reaches(lab, "a", "10.62.0.2")


def test_groups_from_the_topology_reach_ansible(lab: Lab) -> None:
    ping = subprocess.run(
        [str(ANSIBLE), "-i", str(lab.inventory_path), "middle", "-m", "ping", "-o"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.startswith("b | SUCCESS")
    assert ping.stdout.count("SUCCESS") == 1


def test_drop_cut_silences_the_segment_while_both_ends_stay_up(lab: Lab) -> None:
    lab.cut("wire1", mode="drop")
    try:
        assert lab.cuts == {"wire1": "drop"}
        assert not reaches(lab, "a", "10.61.0.2")
        assert not reaches(lab, "b", "10.61.0.1")
        assert link_state(lab, "a", "eth1") == "up"
        assert link_state(lab, "b", "eth1") == "up"
        assert reaches(lab, "b", "10.62.0.2")  # the other segment is untouched
    finally:
        lab.heal("wire1")
    assert lab.cuts == {}
    assert reaches(lab, "a", "10.61.0.2", within=10)


def test_down_cut_takes_the_links_down_and_heal_brings_them_back(lab: Lab) -> None:
    lab.cut("wire2", mode="down")
    try:
        # like a pulled cable: the host's interface is still set up but has no carrier
        assert link_state(lab, "c", "eth1") == "down"
        assert link_state(lab, "b", "eth2") == "down"
        assert "NO-CARRIER" in lab.run("c", "ip link show eth1").stdout
        assert not reaches(lab, "b", "10.62.0.2")
    finally:
        lab.heal("wire2")
    assert link_state(lab, "c", "eth1") == "up"
    assert reaches(lab, "b", "10.62.0.2", within=10)


def test_a_cut_survives_a_host_restart(lab: Lab) -> None:
    lab.cut("wire2", mode="down")
    try:
        lab.stop("c")
        lab.start("c")
        assert link_state(lab, "c", "eth1") == "down"
    finally:
        lab.heal("wire2")
    assert reaches(lab, "c", "10.62.0.1")


def test_unknown_link_or_mode_is_refused(lab: Lab) -> None:
    with pytest.raises(Exception, match="no network named 'nope'"):
        lab.cut("nope")
    with pytest.raises(Exception, match="cut mode 'cable' is not known"):
        lab.cut("wire1", mode="cable")
