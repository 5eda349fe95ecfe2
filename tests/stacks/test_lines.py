"""The cloud end of the dedicated lines (GB/T 22239-2019 8.1.2.1): on Alibaba Cloud each line of
the spec is a circuit of its carrier into a border router running BGP with BFD (the spec's
timers, the line's one secret password), joined with the VPC by one transit router that prefers
the primary line and health-checks each; OpenStack, without dedicated lines, gets a notice."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pulumi
import pytest
from synthfix import example, modified, of_type

from mlps.synth.mockrun import run_program
from mlps.synth.output import SECRET
from mlps.synth.run import SynthResult, synthesize_spec
from stacks.capabilities import line_notices
from stacks.model import Link, environment
from stacks.program import EnvironmentStack
from stacks.providers.alicloud.lines import BACKUP_PREFERENCE, bandwidth, health_check, line_operator
from tests.stacks.test_secret_names import ROOT, plays

CIRCUIT = "alicloud:expressconnect/physicalConnection:PhysicalConnection"
VBR = "alicloud:expressconnect/virtualBorderRouter:VirtualBorderRouter"
BGP_GROUP, BGP_PEER, BGP_NETWORK = (
    "alicloud:vpc/bgpGroup:BgpGroup", "alicloud:vpc/bgpPeer:BgpPeer", "alicloud:vpc/bgpNetwork:BgpNetwork")
CEN, ROUTER = "alicloud:cen/instance:Instance", "alicloud:cen/transitRouter:TransitRouter"
VBR_ATTACHMENT = "alicloud:cen/transitRouterVbrAttachment:TransitRouterVbrAttachment"
VPC_ATTACHMENT = "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment"
ASSOCIATION = "alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation"
PROPAGATION = "alicloud:cen/transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation"
HEALTH_CHECK, ROUTE_MAP = "alicloud:cen/vbrHealthCheck:VbrHealthCheck", "alicloud:cen/routeMap:RouteMap"
SWITCH = "alicloud:vpc/switch:Switch"
TR_ID = "hybrid-prod-transit-router-transitRouterId"
TABLE_ID = "hybrid-prod-transit-routes-transitRouterRouteTableId"


def _by_name(result: SynthResult, token: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in of_type(result, token)}


def test_each_line_is_a_circuit_of_its_carrier_with_the_spec_bandwidth(
    synthesized: dict[str, SynthResult],
) -> None:
    circuits = _by_name(synthesized["hybrid-prod"], CIRCUIT)
    assert {n: (c["lineOperator"], c["bandwidth"], c["accessPointId"], c["portType"])
            for n, c in circuits.items()} == {
        "hybrid-prod-line-ct": ("CT", "200", "ap-cn-hangzhou-1", "1000Base-LX"),
        "hybrid-prod-line-cu": ("CU", "100", "ap-cn-hangzhou-2", "1000Base-LX"),
    }
    assert len({c["lineOperator"] for c in circuits.values()}) == 2


def test_each_border_router_runs_the_spec_bfd_and_bgp_with_the_hospital_edge(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["hybrid-prod"]
    env = environment(result.spec.effective)
    vbrs = _by_name(result, VBR)
    groups = _by_name(result, BGP_GROUP)
    peers = _by_name(result, BGP_PEER)
    for position, link in enumerate(env.links, start=1):
        vbr = vbrs[f"hybrid-prod-{link.name}-vbr"]
        assert vbr["physicalConnectionId"] == f"hybrid-prod-{link.name}-id"
        assert (vbr["minRxInterval"], vbr["minTxInterval"], vbr["detectMultiplier"]) == (
            link.bfd_interval_ms, link.bfd_interval_ms, link.bfd_multiplier) == (300, 300, 3)
        assert (vbr["vlanId"], vbr["localGatewayIp"], vbr["peerGatewayIp"]) == (
            100 + position, f"192.168.254.{4 * position - 3}", f"192.168.254.{4 * position - 2}")
        assert vbr["tags"]["mlps:carrier"] in ("china-telecom", "china-unicom")
        group = groups[f"hybrid-prod-{link.name}-bgp"]
        assert group["routerId"] == f"hybrid-prod-{link.name}-vbr-id"
        assert (group["localAsn"], group["peerAsn"]) == (link.peer_asn, link.local_asn) == (65020, 65010)
        assert group["authKey"] == SECRET
        peer = peers[f"hybrid-prod-{link.name}-bgp-peer"]
        assert (peer["bgpGroupId"], peer["peerIpAddress"], peer["enableBfd"]) == (
            f"hybrid-prod-{link.name}-bgp-id", vbr["peerGatewayIp"], True)
    announced = sorted((n["routerId"], n["dstCidrBlock"]) for n in of_type(result, BGP_NETWORK))
    assert announced == sorted(
        (f"hybrid-prod-{link.name}-vbr-id", z.cidr) for link in env.links for z in env.zones_at("cloud"))


def test_the_bgp_password_is_the_one_secret_of_the_line_never_plaintext() -> None:
    passwords: dict[str, str] = {}

    def change(data: dict[str, Any]) -> None:
        for link in data["links"]:
            passwords[link["name"]] = secrets.token_urlsafe(16)
            link["bgp"]["password"] = {"secure": passwords[link["name"]]}

    result = synthesize_spec(modified("hybrid-prod", change), ROOT, "hybrid-prod")
    keys = {r.name: r.inputs["authKey"] for r in result.registrations if r.type == BGP_GROUP}
    assert {name: key["value"] for name, key in keys.items()} == {
        f"hybrid-prod-{line}-bgp": password for line, password in passwords.items()}
    assert all(key["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
               for key in keys.values())
    fed = {tuple(roles): found for roles, found in plays(result)}
    assert fed[("link_failover",)]["link_failover_bgp_passwords"] == passwords
    text = "\n".join(result.files.values())
    assert not any(p in text for p in passwords.values())


def test_generated_passwords_are_made_once_for_both_ends() -> None:
    def change(data: dict[str, Any]) -> None:
        for link in data["links"]:
            link["bgp"]["password"] = {"generated": True}

    regs = run_program(lambda: EnvironmentStack(modified("hybrid-prod", change)), "mlps", "hybrid-prod", {})
    generated = {r.name: r.urn for r in regs if r.name.endswith("-bgp-password")}
    assert sorted(generated) == [
        "hybrid-prod-links-line-ct-bgp-password", "hybrid-prod-links-line-cu-bgp-password"]
    keys = {r.name: r.deps.get("authKey") for r in regs if r.type == BGP_GROUP}
    assert keys == {f"hybrid-prod-{line}-bgp": (generated[f"hybrid-prod-links-{line}-bgp-password"],)
                    for line in ("line-ct", "line-cu")}


def test_one_transit_router_joins_both_border_routers_and_the_vpc(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["hybrid-prod"]
    assert [c["name"] for c in of_type(result, CEN)] == ["hybrid-prod-cen"]
    (router,) = of_type(result, ROUTER)
    assert router["cenId"] == "hybrid-prod-cen-id"
    attachments = _by_name(result, VBR_ATTACHMENT)
    assert {a["vbrId"]: (a["transitRouterId"], a["cenId"], a["autoPublishRouteEnabled"])
            for a in attachments.values()} == {
        f"hybrid-prod-{line}-vbr-id": (TR_ID, "hybrid-prod-cen-id", False) for line in ("line-ct", "line-cu")}
    (vpc,) = of_type(result, VPC_ATTACHMENT)
    assert (vpc["vpcId"], vpc["transitRouterId"], vpc["autoPublishRouteEnabled"]) == (
        "hybrid-prod-vpc-id", TR_ID, True)
    switches = _by_name(result, SWITCH)
    mapped = [(m["zoneId"], switches[m["vswitchId"].removesuffix("-id")]) for m in vpc["zoneMappings"]]
    assert [(zone, s["zoneId"], s["cidrBlock"], s["tags"]) for zone, s in mapped] == [
        ("cn-hangzhou-h", "cn-hangzhou-h", "172.16.15.240/28", {"mlps:transit": "true"}),
        ("cn-hangzhou-i", "cn-hangzhou-i", "172.16.15.224/28", {"mlps:transit": "true"}),
    ]
    lines = ("line-ct", "line-cu")
    ids = sorted(["hybrid-prod-vpc-attachment-id",
                  *(f"hybrid-prod-{line}-attachment-transitRouterAttachmentId" for line in lines)])
    for token in (ASSOCIATION, PROPAGATION):
        rows = of_type(result, token)
        assert sorted(r["transitRouterAttachmentId"] for r in rows) == ids
        assert {r["transitRouterRouteTableId"] for r in rows} == {TABLE_ID}


def test_each_line_is_health_checked_and_the_backup_loses_to_the_primary(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["hybrid-prod"]
    checks = {c["vbrInstanceId"]: c for c in of_type(result, HEALTH_CHECK)}
    assert {v: (c["healthCheckTargetIp"], c["healthCheckInterval"], c["healthyThreshold"], c["cenId"])
            for v, c in checks.items()} == {
        "hybrid-prod-line-ct-vbr-id": ("192.168.254.2", 2, 3, "hybrid-prod-cen-id"),
        "hybrid-prod-line-cu-vbr-id": ("192.168.254.6", 2, 3, "hybrid-prod-cen-id"),
    }
    (backup,) = of_type(result, ROUTE_MAP)
    assert (backup["sourceInstanceIds"], backup["transmitDirection"], backup["preference"],
            backup["mapResult"], backup["transitRouterRouteTableId"]) == (
        ["hybrid-prod-line-cu-vbr-id"], "RegionIn", BACKUP_PREFERENCE, "Permit", TABLE_ID)
    assert json.loads(result.files["findings.json"])["findings"] == []


def test_carrier_names_map_to_express_connect_operators_and_settings_fit_the_cloud() -> None:
    assert [line_operator(c) for c in ("中国电信", "杭州电信", "China Unicom", "中国移动", "歌华有线")] == [
        "CT", "CT", "CU", "CM", "CO"]
    link = Link("l", "中国电信", "primary", 150, 20, bfd_interval_ms=1000, bfd_multiplier=10)
    assert bandwidth(link) == 200
    assert health_check(link) == (2, 8)
    assert health_check(Link("l", "CT", "backup", 50, 50, bfd_interval_ms=300, bfd_multiplier=3)) == (2, 3)


def test_a_bfd_interval_a_border_router_does_not_take_is_refused() -> None:
    def change(data: dict[str, Any]) -> None:
        data["links"][0]["bfd"]["interval_ms"] = 100

    with pytest.raises(pulumi.RunError, match=r"links\[line-ct\]\.bfd\.interval_ms 100"):
        run_program(lambda: EnvironmentStack(modified("hybrid-prod", change)), "mlps", "hybrid-prod", {})


def test_openstack_names_the_carrier_termination_and_the_edge_role_instead() -> None:
    data = example("hybrid-prod").data
    env = environment({**data, "cloud": {**data["cloud"], "provider": "openstack"}})
    (notice,) = line_notices(env)
    assert (notice.control, notice.pointer) == ("CNS-REDUN-01", "/links")
    assert "carrier's own line termination" in notice.message_en
    assert "link_failover role (BGP with BFD) on edge-1, edge-2" in notice.message_en
    assert "line-ct (中国电信), line-cu (中国联通)" in notice.message_en
    assert line_notices(environment(example("hybrid-prod").data)) == []
    assert line_notices(environment(example("private-cloud").data)) == []


def test_a_line_cut_off_the_transit_router_is_one_finding_on_it_and_one_on_the_cloud(
    synthesized: dict[str, SynthResult],
) -> None:
    """The plan holds two provider configurations (home and off-site regions): the cloud end of
    the lines is still judged once."""
    from mlps.controls import catalog
    from mlps.synth.checks import run_policies
    from mlps.synth.run import spec_plan_graph

    result = synthesized["hybrid-prod"]
    cloud = environment(result.spec.effective).cloud
    assert cloud is not None
    regs = [r for r in result.registrations
            if not (r.type == VBR_ATTACHMENT and r.name == "hybrid-prod-line-cu-attachment")]
    findings = run_policies(spec_plan_graph(regs, result.spec, 3), catalog()).findings
    assert sorted((f.control, f.pointer.rsplit("::", 1)[1]) for f in findings) == [
        ("CNS-REDUN-01", "hybrid-prod-alicloud"), ("CNS-REDUN-01", "hybrid-prod-line-cu")]


def test_a_hybrid_plan_without_the_cloud_end_of_its_lines_is_a_finding_on_the_cloud(
    synthesized: dict[str, SynthResult],
) -> None:
    """Every resource of the lines removed (circuits, border routers, BGP, transit router): the
    spec still ends two lines in the cloud, so their absence is named; a cloud layout needs none."""
    from mlps.controls import catalog
    from mlps.synth.checks import run_policies
    from mlps.synth.run import spec_plan_graph

    result = synthesized["hybrid-prod"]
    regs = [r for r in result.registrations if not r.type.startswith(("alicloud:expressconnect/",
                                                                       "alicloud:cen/", "alicloud:vpc/bgp"))]
    assert len(regs) < len(result.registrations)
    graph = spec_plan_graph(regs, result.spec, 3)
    assert graph.dedicated_lines == 2
    findings = run_policies(graph, catalog()).findings
    assert [(f.control, f.pointer.rsplit("::", 1)[1], f.message_en.split(": ", 1)[1]) for f in findings
            if f.control == "CNS-REDUN-01"] == [
        ("CNS-REDUN-01", "hybrid-prod-alicloud",
         "the spec ends 2 dedicated line(s) in this cloud, and the plan builds none (no physical "
         "connection, border router or transit router attachment for the rest)")]
    cloud = synthesized["cloud-dev"]
    assert spec_plan_graph(cloud.registrations, cloud.spec, 3).dedicated_lines == 0
