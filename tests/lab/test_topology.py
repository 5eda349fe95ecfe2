"""Topology files: what a user writes becomes hosts, interfaces, addresses and groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlps.errors import InputError
from mlps.lab.topology import build, default_topology, load_topology

FAILOVER = Path(__file__).parent / "topologies" / "failover.yml"


def test_default_topology_puts_n_hosts_on_management_only() -> None:
    topo = default_topology(3)
    assert topo.hosts == ["h1", "h2", "h3"]
    assert [n.name for n in topo.networks] == ["mgmt"]
    addrs = [str(topo.management.members[h]) for h in topo.hosts]
    assert addrs == ["10.99.0.2", "10.99.0.3", "10.99.0.4"]
    assert str(topo.lab_address) == "10.99.0.1"
    assert str(topo.relay_address(0)) == "10.99.0.254"
    assert topo.interfaces("h2")[0][0] == "eth0"


def test_failover_topology_gives_each_segment_its_own_interface() -> None:
    topo = load_topology(FAILOVER)
    assert topo.hosts[1] == "hospital-edge"
    edge = {
        ifname: (net.name, str(net.members["hospital-edge"]))
        for ifname, net in topo.interfaces("hospital-edge")
    }
    assert edge == {
        "eth0": ("mgmt", "10.99.0.3"),
        "eth1": ("lan", "10.10.0.1"),
        "eth2": ("a-near", "10.20.1.1"),
        "eth3": ("b-near", "10.30.1.1"),
    }
    assert topo.groups["edges"] == ["hospital-edge", "cloud-edge"]
    assert sorted(topo.network("a-far").members) == ["carrier-a", "cloud-edge"]


def test_member_list_gets_addresses_from_start_of_range() -> None:
    topo = build(
        {
            "hosts": ["a", "b"],
            "networks": [{"name": "wire", "cidr": "10.5.0.0/30", "members": ["a", "b"]}],
        },
        "t.yml",
    )
    assert {h: str(a) for h, a in topo.network("wire").members.items()} == {
        "a": "10.5.0.1",
        "b": "10.5.0.2",
    }


def test_management_range_and_fixed_address_can_be_chosen() -> None:
    topo = build(
        {
            "management": {"cidr": "172.30.0.0/24"},
            "hosts": {"a": {"address": "172.30.0.50"}, "b": None},
        },
        "t.yml",
    )
    assert str(topo.management.members["a"]) == "172.30.0.50"
    assert str(topo.management.members["b"]) == "172.30.0.2"


BAD = [
    ([], "/", "mapping"),
    ({"hosts": []}, "/hosts", "non-empty"),
    ({"hosts": ["Bad_Name"]}, "/hosts/0", "not usable"),
    ({"hosts": ["a", "a"]}, "/hosts/1", "twice"),
    ({"hosts": ["a"], "nets": []}, "/nets", "unknown key"),
    (
        {
            "hosts": ["a", "b"],
            "networks": [{"name": "w", "cidr": "10.0.0.0/33", "members": ["a", "b"]}],
        },
        "/networks/0/cidr",
        "not an IPv4 network",
    ),
    (
        {
            "hosts": ["a", "b"],
            "networks": [{"name": "w", "cidr": "10.0.0.0/30", "members": {"a": "10.0.0.1", "c": "10.0.0.2"}}],
        },
        "/networks/0/members/c",
        "not one of the hosts",
    ),
    (
        {
            "hosts": ["a", "b"],
            "networks": [{"name": "w", "cidr": "10.0.0.0/30", "members": {"a": "10.0.0.1", "b": "10.0.0.3"}}],
        },
        "/networks/0/members/b",
        "not a usable address",
    ),
    (
        {
            "hosts": ["a", "b"],
            "networks": [{"name": "w", "cidr": "10.0.0.0/30", "members": {"a": "10.0.0.1", "b": "10.0.0.1"}}],
        },
        "/networks/0/members/b",
        "two members",
    ),
    (
        {
            "hosts": ["a", "b", "c"],
            "networks": [{"name": "w", "cidr": "10.0.0.0/30", "members": ["a", "b", "c"]}],
        },
        "/networks/0/members/c",
        "too few addresses",
    ),
    (
        {
            "hosts": ["a", "b"],
            "networks": [{"name": "w", "cidr": "10.99.0.0/30", "members": ["a", "b"]}],
        },
        "/networks/0/cidr",
        "overlaps",
    ),
    (
        {
            "hosts": ["a", "b"],
            "networks": [{"name": "mgmt", "cidr": "10.1.0.0/30", "members": ["a", "b"]}],
        },
        "/networks/0/name",
        "not usable",
    ),
    (
        {"hosts": ["a", "b"], "networks": [{"name": "w", "cidr": "10.1.0.0/30", "members": ["a"]}]},
        "/networks/0/members",
        "at least two",
    ),
    ({"hosts": ["a"], "groups": {"g": ["z"]}}, "/groups/g", "not one of the hosts"),
    ({"hosts": ["a"], "groups": {"all": ["a"]}}, "/groups/all", "not usable"),
    ({"hosts": ["a"], "groups": {"a": ["a"]}}, "/groups/a", "same name as a host"),
    ({"hosts": ["a"], "management": {"cidr": "10.0.0.0/29"}}, "/management/cidr", "too small"),
]


@pytest.mark.parametrize(("data", "where", "words"), BAD)
def test_bad_topology_names_the_place_and_the_problem(data: object, where: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        build(data, "topo.yml")
    assert err.value.file == "topo.yml"
    assert err.value.where == where
    assert words in err.value.message


def test_unreadable_and_invalid_yaml_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_topology(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("hosts: [a\nnetworks: {\n")
    with pytest.raises(InputError) as err:
        load_topology(bad)
    assert err.value.where.startswith("line ")


def test_too_many_hosts_is_refused() -> None:
    with pytest.raises(InputError, match="out of range"):
        default_topology(0)
    with pytest.raises(InputError, match="out of range"):
        default_topology(65)
