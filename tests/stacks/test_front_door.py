"""The front door of the DMZ on Alibaba Cloud under the mock runtime: the internet ends on a
WAF-enabled application load balancer on an elastic IP in each availability zone, behind its own
security group (the flows' ports in, every other packet dropped), under Cloud Firewall (each
port accepted to each address, everything else dropped at the lowest priority), its access logs
kept 180 days; the zone's nodes admit the balancer's group only, on the pods' port; the ALB
ingress controller binds each reached workload to it, HTTP on 80 redirected to HTTPS. The same
plan without each part is a finding on the part that lacks it (ABS-BOUND-01, CLD-ACL-01)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from synthfix import modified, of_type

from mlps.synth.checks import plan_graph
from mlps.synth.run import REACHABILITY_FILE, SynthResult, synthesize_spec
from policy.policies.environment.network import INTERNET_FRONT_DOOR
from tests.stacks.synthfix import ROOT

ALB = "alicloud:alb/loadBalancer:LoadBalancer"
EIP = "alicloud:ecs/eipAddress:EipAddress"
RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
CONTROL = "alicloud:cloudfirewall/controlPolicy:ControlPolicy"
ORDER = "alicloud:cloudfirewall/controlPolicyOrder:ControlPolicyOrder"
SWITCH_ON = "alicloud:cloudfirewall/fwSwitch:FwSwitch"
ACCESS_LOG = "alicloud:alb/loadBalancerAccessLogConfigAttachment:LoadBalancerAccessLogConfigAttachment"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
DOOR = "cloud-dev-alb-dmz"


def _by_name(result: SynthResult, token: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in of_type(result, token)}


def test_the_internet_ends_on_a_waf_balancer_on_two_fixed_addresses(
    synthesized: dict[str, SynthResult],
) -> None:
    dev = synthesized["cloud-dev"]
    [alb] = of_type(dev, ALB)
    assert (alb["loadBalancerEdition"], alb["addressType"], alb["addressAllocatedMode"]) == (
        "StandardWithWaf", "Internet", "Fixed")
    assert alb["deletionProtectionEnabled"] is True
    assert alb["modificationProtectionConfig"] == {"status": "ConsoleProtection", "reason": "Managed-by-mlps"}
    assert [(m["zoneId"], m["vswitchId"], m["allocationId"]) for m in alb["zoneMappings"]] == [
        (az, f"cloud-dev-vsw-dmz-{az}-id", f"{DOOR}-eip-{az}-id")
        for az in ("cn-shanghai-l", "cn-shanghai-m")]
    assert sorted(_by_name(dev, EIP)) == [f"{DOOR}-eip-cn-shanghai-{a}" for a in "lm"]
    [log] = of_type(dev, ACCESS_LOG)
    assert (log["loadBalancerId"], log["logProject"], log["logStore"]) == (
        f"{DOOR}-id", "cloud-dev-audit", "alb-access")


def test_the_nodes_admit_the_balancer_only_and_the_balancer_admits_the_flow_port_only(
    synthesized: dict[str, SynthResult],
) -> None:
    rules = _by_name(synthesized["cloud-dev"], RULE)
    from_anywhere = {n for n, r in rules.items()
                     if r.get("cidrIp") == "0.0.0.0/0" and r["policy"] == "accept"}
    assert from_anywhere == {f"{DOOR}-sg-in-443"}
    front = sorted((r["type"], r["policy"], r["portRange"], r["cidrIp"], r["priority"])
                   for r in rules.values() if r["securityGroupId"] == f"{DOOR}-sg-id")
    assert front == [
        ("egress", "accept", "8443/8443", "10.244.0.0/16", 1),  # Terway's pod range
        ("egress", "accept", "8443/8443", "172.20.32.0/24", 1),
        ("egress", "drop", "-1/-1", "0.0.0.0/0", 100),
        ("ingress", "accept", "443/443", "0.0.0.0/0", 1),
        ("ingress", "drop", "-1/-1", "0.0.0.0/0", 100),
    ]
    node = rules["cloud-dev-sg-dmz-ingress-tcp-8443-front-door"]
    assert (node["securityGroupId"], node["sourceSecurityGroupId"], node["portRange"]) == (
        "cloud-dev-sg-dmz-id", f"{DOOR}-sg-id", "8443/8443")
    assert "cidrIp" not in node


def test_cloud_firewall_accepts_the_door_port_to_each_address_then_drops_the_rest(
    synthesized: dict[str, SynthResult],
) -> None:
    dev = synthesized["cloud-dev"]
    controls = _by_name(dev, CONTROL)
    orders = {o["name"].removesuffix("-order"): o["order"] for o in of_type(dev, ORDER)}
    accepts = sorted((orders[n], c["destination"], c["destPort"]) for n, c in controls.items()
                     if c["aclAction"] == "accept")
    assert accepts == [(i + 1, f"{DOOR}-eip-cn-shanghai-{a}-ipAddress/32", "443/443")
                       for i, a in enumerate("lm")]
    deny = controls["cloud-dev-cloud-firewall-in-deny-all"]
    assert (deny["direction"], deny["aclAction"], deny["proto"], deny["destPort"]) == (
        "in", "drop", "ANY", "0/0")
    assert orders["cloud-dev-cloud-firewall-in-deny-all"] == -1  # below the account's other policies
    assert sorted(s["internetAddress"] for s in of_type(dev, SWITCH_ON)) == [
        f"{DOOR}-eip-cn-shanghai-{a}-ipAddress" for a in "lm"]
    [firewall] = [r for r in dev.registrations if r.type == "alicloud:cloudfirewall/instanceV2:InstanceV2"]
    assert firewall.protect and firewall.retain_on_delete


def test_each_reached_workload_gets_an_ingress_on_the_door_listener(
    synthesized: dict[str, SynthResult],
) -> None:
    dev = synthesized["cloud-dev"]
    [config] = of_type(dev, "kubernetes:alibabacloud.com/v1:AlbConfig")
    assert config["spec"] == {"config": {"id": f"{DOOR}-id", "forceOverride": False},
                              "listeners": [{"port": 443, "protocol": "HTTPS"}]}
    [portal] = of_type(dev, INGRESS)
    assert portal["metadata"]["namespace"] == "dmz"
    assert portal["spec"]["ingressClassName"] == "dmz-front-door"
    assert portal["spec"]["tls"] == [{"secretName": "portal-tls"}]
    [path] = portal["spec"]["rules"][0]["http"]["paths"]
    assert (path["path"], path["backend"]["service"]) == ("/", {"name": "portal", "port": {"number": 443}})
    notes = portal["metadata"]["annotations"]
    assert json.loads(notes["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTPS": 443}]
    assert notes["alb.ingress.kubernetes.io/backend-protocol"] == "https"
    assert "alb.ingress.kubernetes.io/ssl-redirect" not in notes
    hybrid = of_type(synthesized["hybrid-prod"], INGRESS)
    paths = sorted(i["spec"]["rules"][0]["http"]["paths"][0]["path"] for i in hybrid)
    assert paths == ["/payment", "/registration"]


def test_http_beside_https_is_one_door_with_two_listeners_and_a_redirect() -> None:
    def both(data: dict[str, Any]) -> None:
        next(z for z in data["zones"] if z["name"] == "dmz")["ingress"][0]["ports"] = [80, 443]

    result = synthesize_spec(modified("cloud-dev", both), ROOT, "cloud-dev")
    assert len(of_type(result, ALB)) == 1
    [config] = of_type(result, "kubernetes:alibabacloud.com/v1:AlbConfig")
    assert config["spec"]["listeners"] == [
        {"port": 80, "protocol": "HTTP"}, {"port": 443, "protocol": "HTTPS"}]
    [portal] = of_type(result, INGRESS)
    notes = portal["metadata"]["annotations"]
    assert json.loads(notes["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTPS": 443}, {"HTTP": 80}]
    assert notes["alb.ingress.kubernetes.io/ssl-redirect"] == "true"
    ports = sorted(c["destPort"] for c in of_type(result, CONTROL) if c["aclAction"] == "accept")
    assert ports == ["443/443", "443/443", "80/80", "80/80"]
    # the balancer answers HTTP itself: no rule carries port 80 past it to the nodes
    past = sorted(r["name"] for r in of_type(result, RULE) if r["portRange"] == "80/80")
    assert past == [f"{DOOR}-sg-in-80"]
    http = next(f for f in json.loads(result.files[REACHABILITY_FILE])["flows"] if f["port"] == 80)
    assert http["verdict"] == "permitted"
    assert http["path"][-1] == f"the listener tcp/80 of {DOOR}: it answers itself, redirecting to HTTPS"
    assert result.findings == []


def _findings(result: SynthResult, keep: Any) -> list[tuple[str, str]]:
    graph = plan_graph([r for r in result.registrations if keep(r)], level=3)
    return sorted((s.pointer.rsplit("::", 1)[-1], c) for s, (c, _) in INTERNET_FRONT_DOOR.run(graph))


@pytest.mark.parametrize(
    "drop",
    [
        lambda r: r.type == SWITCH_ON and "shanghai-m" in r.name,
        lambda r: r.name == "cloud-dev-cloud-firewall-in-deny-all",
        lambda r: r.name == "cloud-dev-cloud-firewall-in-deny-all-order",
        lambda r: r.type == ACCESS_LOG,
    ],
    ids=["an-address-unguarded", "no-default-deny", "deny-unordered", "no-access-log"],
)
def test_the_plan_without_a_part_of_the_front_door_is_a_finding(
    synthesized: dict[str, SynthResult], drop: Any
) -> None:
    dev = synthesized["cloud-dev"]
    assert _findings(dev, lambda r: True) == []
    assert _findings(dev, lambda r: not drop(r)) == [(DOOR, "ABS-BOUND-01"), (DOOR, "CLD-ACL-01")]


def test_the_plan_with_the_internet_on_the_nodes_instead_is_a_finding_on_the_zone(
    synthesized: dict[str, SynthResult],
) -> None:
    dev = synthesized["cloud-dev"]
    regs = [dataclasses.replace(r, inputs={**r.inputs, "cidrIp": "0.0.0.0/0", "sourceSecurityGroupId": None})
            if r.name == "cloud-dev-sg-dmz-ingress-tcp-8443-front-door" else r for r in dev.registrations]
    regs = [r for r in regs if r.type != ALB]
    found = sorted((s.pointer.rsplit("::", 1)[-1], c)
                   for s, (c, _) in INTERNET_FRONT_DOOR.run(plan_graph(regs, level=3)))
    assert found == [("cloud-dev-sg-dmz", "ABS-BOUND-01"), ("cloud-dev-sg-dmz", "CLD-ACL-01")]


def test_behind_the_front_door_the_pods_admit_the_balancer_range_not_the_internet(
    synthesized: dict[str, SynthResult],
) -> None:
    """The balancer is a proxy with addresses in the zone's range: pods need no more."""
    for stack, dmz in (("cloud-dev", "172.20.32.0/24"), ("hybrid-prod", "172.16.10.0/24")):
        [policy] = [p for p in of_type(synthesized[stack], "kubernetes:networking.k8s.io/v1:NetworkPolicy")
                    if p["metadata"] == {"name": "allow-from-internet", "namespace": "dmz"}]
        assert policy["spec"]["ingress"][0]["from"] == [{"ipBlock": {"cidr": dmz}}], stack
