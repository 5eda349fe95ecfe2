"""An Alibaba Cloud zone the internet reaches needs two availability zones for its front door
(an application load balancer takes at least two): with fewer, ``validate`` and ``synth`` stop
with an input error naming the flow, at every level, and write nothing; OpenStack's Octavia and
a spec without internet flows are not refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mlps.spec import integrity
from tests.unit.refusal import assert_refused

ROOT = Path(__file__).resolve().parents[2]


def _cloud_dev() -> tuple[dict[str, Any], dict[str, Any]]:
    data = yaml.safe_load((ROOT / "Pulumi.cloud-dev.yaml").read_text(encoding="utf-8"))
    return data, data["config"]["mlps:environment"]


def _dmz(env: dict[str, Any]) -> int:
    return next(i for i, z in enumerate(env["zones"]) if z["name"] == "dmz")


@pytest.mark.parametrize("level", [2, 3, 4])
def test_one_availability_zone_under_an_internet_flow_is_an_input_error(tmp_path: Path, level: int) -> None:
    data, env = _cloud_dev()
    env["level"] = level
    env["cloud"]["availability_zones"] = env["cloud"]["availability_zones"][:1]
    assert_refused(data, tmp_path, f"/zones/{_dmz(env)}/ingress/0/from", "needs two availability zones",
                   "names 1")


def test_two_availability_zones_or_no_internet_flow_or_openstack_are_no_problem() -> None:
    _, env = _cloud_dev()
    assert integrity.front_door_problems(env) == []
    del env["cloud"]["availability_zones"]
    [problem] = integrity.front_door_problems(env)
    assert "names 0" in problem.message
    openstack = {**env, "cloud": {**env["cloud"], "provider": "openstack"}}
    assert integrity.front_door_problems(openstack) == []
    for zone in env["zones"]:
        zone["ingress"] = [f for f in zone.get("ingress", []) if f["from"] != "internet"]
    assert integrity.front_door_problems(env) == []


@pytest.mark.parametrize(("port", "refused"), [(8443, False), (443, False), (80, True), (8080, True)])
def test_a_port_no_cloud_workload_of_the_zone_serves_is_an_input_error(port: int, refused: bool) -> None:
    """The portal serves 8443 (pod) and 443 (Service, TLS): just those pass (80 alone redirects
    nowhere)."""
    _, env = _cloud_dev()
    dmz = _dmz(env)
    env["zones"][dmz]["ingress"][0]["ports"] = [port]
    found = integrity.front_door_problems(env)
    assert [p.pointer for p in found] == ([f"/zones/{dmz}/ingress/0/ports/0"] if refused else [])
    if refused:
        assert f"takes port {port} from the internet, but no cloud workload" in found[0].message
    portal = next(w for w in env["workloads"] if w["name"] == "portal")
    portal["placement"] = "onprem"  # an on-prem workload does not serve the cloud zone
    assert [p.pointer for p in integrity.front_door_problems(env)] == [f"/zones/{dmz}/ingress/0/ports/0"]


def test_http_beside_https_redirects_and_passes_but_not_for_a_plain_workload() -> None:
    _, env = _cloud_dev()
    dmz = _dmz(env)
    env["zones"][dmz]["ingress"][0]["ports"] = [80, 443]
    assert integrity.front_door_problems(env) == []
    env["zones"][dmz]["ingress"].append({"from": "internet", "ports": [80]})
    env["zones"][dmz]["ingress"][0]["ports"] = [443]
    assert integrity.front_door_problems(env) == []  # 443 in another flow of the zone
    next(w for w in env["workloads"] if w["name"] == "portal")["tls"] = False
    found = [p.pointer for p in integrity.front_door_problems(env)]
    assert found == [f"/zones/{dmz}/ingress/0/ports/0"]  # a plain workload serves 80, not 443
