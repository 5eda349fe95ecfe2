"""Everything a lab makes carries its name, so labs and other work never collide."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from mlps.errors import InputError
from mlps.lab import Lab
from mlps.lab.inventory import render
from mlps.lab.names import LabNames, check_lab_name
from mlps.lab.net import mac, port
from mlps.lab.topology import build


def test_all_names_carry_the_lab_prefix() -> None:
    names = LabNames("mlps-t-logs")
    assert names.lab_netns == "mlps-t-logs_lab"
    assert names.host_netns("h1") == "mlps-t-logs_h_h1"
    assert names.machine("h1") == "mlps-t-logs-h1"
    assert names.host_cgroup_rel("h1") == "mlps-lab/mlps-t-logs/h1"
    assert str(names.state_dir) == "/var/lib/mlps/lab/mlps-t-logs"


def test_a_lab_never_claims_another_labs_namespaces() -> None:
    names = LabNames("mlps")
    assert names.owns_netns("mlps_lab")
    assert names.owns_netns("mlps_h_web")
    assert not names.owns_netns("mlps-t-logs_lab")
    assert not names.owns_netns("mlps-t-logs_h_h1")
    assert not names.owns_netns("mlpsx_h_h1")
    assert not names.owns_netns("other")


@pytest.mark.parametrize("bad", ["", "Mlps", "1lab", "a_b", "a/b", "x" * 32])
def test_unusable_lab_names_are_refused(bad: str) -> None:
    with pytest.raises(InputError, match="not usable"):
        check_lab_name(bad)
    with pytest.raises(InputError):
        Lab(bad)


def test_port_names_fit_the_interface_name_limit() -> None:
    hosts = [f"host-{i}" for i in range(64)]
    topo = build(
        {
            "hosts": hosts,
            "networks": [{"name": f"n{j}", "cidr": f"10.{j}.0.0/24", "members": hosts} for j in range(1, 20)],
        },
        "t.yml",
    )
    assert len(port(topo, hosts[-1], "n19")) <= 15


def test_macs_are_stable_and_distinct_per_lab() -> None:
    assert mac("a", "h1", "mgmt") == mac("a", "h1", "mgmt")
    assert mac("a", "h1", "mgmt") != mac("b", "h1", "mgmt")
    first = int(mac("a", "h1", "mgmt").split(":")[0], 16)
    assert first & 0x02 and not first & 0x01  # locally administered, unicast


def test_inventory_reaches_hosts_through_the_labs_own_namespace() -> None:
    names = LabNames("mlps-t-inv")
    topo = build(
        {
            "hosts": ["a", "b"],
            "networks": [{"name": "wire", "cidr": "10.5.0.0/30", "members": ["a", "b"]}],
            "groups": {"edges": ["a"]},
        },
        "t.yml",
    )
    data = YAML(typ="safe").load(render(names, topo))
    common = data["all"]["vars"]
    assert "nsenter --net=/run/netns/mlps-t-inv_lab socat - TCP:%h:%p" in common["ansible_ssh_common_args"]
    assert common["ansible_user"] == "root"
    assert common["baseline_firewall_controller_sources"] == ["10.99.0.1/32"]
    assert common["ansible_ssh_private_key_file"] == "/var/lib/mlps/lab/mlps-t-inv/id_ed25519"
    assert common["ansible_control_path_dir"].startswith("/var/lib/mlps/lab/mlps-t-inv/")
    assert data["all"]["hosts"]["a"]["ansible_host"] == "10.99.0.2"
    assert data["all"]["hosts"]["b"]["lab_networks"]["wire"] == {
        "interface": "eth1",
        "address": "10.5.0.2",
        "prefix": 30,
        "cidr": "10.5.0.0/30",
    }
    assert list(data["all"]["children"]["edges"]["hosts"]) == ["a"]
