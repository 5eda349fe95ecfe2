"""Three lab hosts from `hosts=3`: systemd, SSH, Ansible, apt through the relay, isolation,
power operations, and a teardown that leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlps.lab import CommandFailed, Lab
from mlps.lab.names import CGROUP_TOP, NETNS_DIR
from mlps.lab.pytest_plugin import LabFactory

pytestmark = pytest.mark.lab
ANSIBLE = Path(sys.executable).parent / "ansible"


@pytest.fixture(scope="module")
def lab(lab_factory: LabFactory) -> Lab:
    return lab_factory("mlps-t-lab", hosts=3)


def test_hosts_boot_systemd_with_distinct_addresses(lab: Lab) -> None:
    assert sorted(lab.hosts) == ["h1", "h2", "h3"]
    addresses = {h.address for h in lab.hosts.values()}
    assert len(addresses) == 3
    for name, host in lab.hosts.items():
        out = lab.run(name, "systemctl is-system-running --wait; hostname; cat /proc/1/comm")
        assert out.stdout.split() == ["running", name, "systemd"]
        assert f"inet {host.address}/24" in lab.run(name, "ip -4 addr show eth0").stdout


def test_run_reports_failure_with_stderr(lab: Lab) -> None:
    assert lab.run("h1", "exit 3", check=False).returncode == 3
    with pytest.raises(CommandFailed, match="no-such-file"):
        lab.run("h1", "cat /no-such-file")


def test_ssh_and_ansible_ping_reach_every_host(lab: Lab) -> None:
    ssh = subprocess.run(
        lab.ssh_command("h2", "hostname"), capture_output=True, text=True, timeout=60, check=False
    )
    assert ssh.returncode == 0, ssh.stderr
    assert ssh.stdout.strip() == "h2"
    ping = subprocess.run(
        [str(ANSIBLE), "-i", str(lab.inventory_path), "all", "-m", "ping", "-o"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ping.returncode == 0, ping.stdout + ping.stderr
    for name in lab.hosts:
        assert f'{name} | SUCCESS => {{"changed": false,"ping": "pong"}}' in ping.stdout


def test_apt_update_works_through_the_relay(lab: Lab) -> None:
    out = lab.run("h1", "apt-get update 2>&1", timeout=240)
    assert "Reading package lists" in out.stdout
    assert "Err:" not in out.stdout


def test_nothing_routes_off_the_machine(lab: Lab) -> None:
    # ``ip route get`` only asks the routing table: no packet leaves.
    probe = lab.run("h1", "ip route get 192.0.2.1; ip route get 8.8.8.8", check=False)
    assert probe.returncode != 0
    assert "unreachable" in probe.stderr.lower()
    assert "default" not in lab.run("h1", "ip route show").stdout
    lab_ns = lab.names.lab_netns
    routes = subprocess.run(
        ["ip", "-n", lab_ns, "route", "get", "8.8.8.8"], capture_output=True, text=True, check=False
    )
    assert routes.returncode != 0
    links = subprocess.run(
        ["ip", "-n", lab_ns, "-o", "link", "show"], capture_output=True, text=True, check=True
    ).stdout
    for line in links.splitlines():
        ifname = line.split(":")[1].strip().split("@")[0]
        assert ifname == "lo" or ifname.startswith(("br", "h")), line


def test_stop_keeps_the_disk_and_start_boots_again(lab: Lab) -> None:
    lab.run("h3", "echo kept > /root/marker")
    lab.stop("h3")
    assert not lab.running("h3")
    assert not (NETNS_DIR / lab.names.host_netns("h3")).exists()
    lab.start("h3")
    assert lab.running("h3")
    assert lab.run("h3", "cat /root/marker").stdout == "kept\n"
    assert lab.run("h3", "systemctl is-system-running --wait").stdout.strip() == "running"


def test_kill_is_a_power_cut(lab: Lab) -> None:
    lab.run("h3", "systemd-run --unit=busy sleep 1000")
    lab.kill("h3")
    assert not lab.running("h3")
    assert not (NETNS_DIR / lab.names.host_netns("h3")).exists()
    lab.start("h3")
    assert lab.run("h3", "systemctl is-active busy", check=False).stdout.strip() == "inactive"


def _machine_traces(name: str) -> list[str]:
    """Everything of a lab found by looking at the machine, not at the lab's own records."""
    found = [p.name for p in NETNS_DIR.glob(f"{name}_*")] if NETNS_DIR.exists() else []
    found += [
        line for line in Path("/proc/self/mountinfo").read_text().splitlines() if f"/mlps/lab/{name}/" in line
    ]
    for root in (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup/systemd")):
        if (root / CGROUP_TOP / name).exists():
            found.append(str(root / CGROUP_TOP / name))
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if f"/mlps/lab/{name}/" in cmd or f"/run/netns/{name}_" in cmd:
                found.append(f"pid {pid}: {cmd}")
    if Path(f"/var/lib/mlps/lab/{name}").exists():
        found.append("state dir")
    return found


def test_down_after_a_crash_and_up_over_leftovers_leave_nothing(lab_factory: LabFactory) -> None:
    name = "mlps-t-crash"
    crashed = lab_factory(name, hosts=2)
    ssh = subprocess.run(crashed.ssh_command("h1", "true"), capture_output=True, timeout=60, check=False)
    assert ssh.returncode == 0
    # a crash loses the saved state and ends the process, its claim on the lab with it:
    # `up` again must clear the leftovers first
    (crashed.names.state_dir / "state.json").unlink()
    crashed._claim.release()
    shown: list[str] = []
    again = Lab(name).up(hosts=1, progress=shown.append)
    assert sorted(p.name for p in NETNS_DIR.glob(f"{name}_*")) == [f"{name}_h_h1", f"{name}_lab"]
    assert shown == [f"removing what an earlier lab {name} left",
                     "preparing the Debian base image (built on first use)",
                     "making the SSH key, the networks and the apt relay",
                     "booting h1 (1/1)", "waiting for SSH on 1 host(s)"]
    (again.names.state_dir / "state.json").unlink()
    again._claim.release()
    Lab(name).down()
    assert _machine_traces(name) == []
    assert Lab(name).leftovers() == []
