"""The spec-to-lab mapping: hosts, zones, the router and the inventory (no root needed)."""

from __future__ import annotations

import copy
import ipaddress
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlps.errors import InputError
from mlps.lab import from_spec
from mlps.lab.names import LabNames
from mlps.lab.topology import MGMT
from mlps.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "Pulumi.onprem-lab.yaml"
MLPS = Path(sys.executable).parent / "mlps"
CONNECTION = {"ansible_host", "lab_networks"}


@pytest.fixture(scope="module")
def lab() -> from_spec.SpecLab:
    return from_spec.load(SPEC)


def spec_data() -> dict[str, Any]:
    return load_spec(SPEC).effective


def test_every_spec_host_is_a_lab_host_with_its_zone_address(lab: from_spec.SpecLab) -> None:
    topo = lab.topology
    spec = spec_data()
    assert len(spec["hosts"]) == 11
    assert topo.hosts == [h["name"] for h in spec["hosts"]] + [from_spec.ROUTER]
    for h in spec["hosts"]:
        net = topo.network(f"zone-{h['zone']}")
        assert str(net.members[h["name"]]) == h["address"]
        assert [n.name for _i, n in topo.interfaces(h["name"])] == [MGMT, net.name]


def test_one_network_per_zone_and_the_router_in_each(lab: from_spec.SpecLab) -> None:
    topo = lab.topology
    zones = spec_data()["zones"]
    assert [n.name for n in topo.networks] == [MGMT] + [f"zone-{z['name']}" for z in zones]
    for z in zones:
        net = topo.network(f"zone-{z['name']}")
        assert str(net.cidr) == z["cidr"]
        assert from_spec.ROUTER in net.members
    assert topo.routers == [from_spec.ROUTER]
    assert not any(topo.management.cidr.overlaps(ipaddress.ip_network(z["cidr"])) for z in zones)


def test_each_host_routes_other_zones_via_the_router_in_its_own(lab: from_spec.SpecLab) -> None:
    topo = lab.topology
    spec = spec_data()
    for h in spec["hosts"]:
        own = topo.network(f"zone-{h['zone']}")
        others = {ipaddress.ip_network(z["cidr"]) for z in spec["zones"] if z["name"] != h["zone"]}
        routes = topo.routes[h["name"]]
        assert {to for to, _via in routes} == others
        assert {via for _to, via in routes} == {own.members[from_spec.ROUTER]}
    assert from_spec.ROUTER not in topo.routes


def test_inventory_is_the_synth_inventory_plus_connection_vars(lab: from_spec.SpecLab) -> None:
    from stacks.inventory import inventory, mark_unsafe
    from stacks.known_hosts import CONNECTION_VARS

    synth = mark_unsafe(inventory(lab.env))
    names = LabNames("mlps-t-unit")
    mine = from_spec.inventory_data(lab, names)
    assert mine["all"]["children"] == synth["all"]["children"]
    assert set(mine["all"]["hosts"]) == set(synth["all"]["hosts"])
    for host, hvars in synth["all"]["hosts"].items():
        extra = mine["all"]["hosts"][host]
        assert {k: v for k, v in extra.items() if k not in CONNECTION} == {
            k: v for k, v in hvars.items() if k != "ansible_host"
        }
        assert ipaddress.ip_address(extra["ansible_host"]) in lab.topology.management.cidr
    added = set(mine["all"]["vars"]) - set(synth["all"]["vars"])
    assert added == set(from_spec.connection_vars(names, lab.topology)) | set(CONNECTION_VARS)
    for key, value in synth["all"]["vars"].items():
        if key not in CONNECTION_VARS:
            assert mine["all"]["vars"][key] == value
    assert "ProxyCommand" in mine["all"]["vars"]["ansible_ssh_common_args"]
    assert from_spec.ROUTER not in mine["all"]["hosts"]


def test_the_saved_state_keeps_routes_and_router(
    lab: from_spec.SpecLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlps.lab.lab import Lab

    monkeypatch.setattr(Lab, "state_file", property(lambda self: tmp_path / "state.json"))
    saved = Lab("mlps-t-unit")
    saved._topo = lab.topology
    saved._save()
    again = Lab("mlps-t-unit").topology  # read back as `start` after a power cut reads it
    assert again.routes == lab.topology.routes
    assert again.routers == lab.topology.routers
    assert again.networks == lab.topology.networks


def test_cloud_zones_are_refused(tmp_path: Path) -> None:
    from stacks.model import environment

    data = copy.deepcopy(spec_data())
    data["zones"][3]["placement"] = "cloud"
    with pytest.raises(InputError, match="office"):
        from_spec.topology(environment(data), "spec.yaml")


def test_bad_spec_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  mlps:environment:\n    name: x\n")
    result = subprocess.run(
        [str(MLPS), "lab", "up", "--spec", str(bad), "--name", "mlps-t-unit"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    lines = [ln for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1 and str(bad) in lines[0], lines
