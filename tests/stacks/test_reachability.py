"""The reachability report of the synthesized examples, and the policy catching a planted missing
or extra rule in them (required_flows_permitted: ABS-ACL-01, ABS-ACL-02, CLD-ACL-01)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from synthfix import example, of_type

from mlps.synth.checks import plan_graph
from mlps.synth.run import REACHABILITY_FILE, SynthResult
from policy.policies.environment.reach import REQUIRED_FLOWS_PERMITTED
from stacks.components.network_zones import required_flows
from stacks.model import environment

CLOUDS = ("cloud-dev", "hybrid-prod", "private-cloud")


def _report(result: SynthResult) -> dict[str, Any]:
    return json.loads(result.files[REACHABILITY_FILE])


@pytest.mark.parametrize("stack", CLOUDS)
def test_every_required_flow_is_permitted_and_every_unneeded_one_tried_is_denied(
    synthesized: dict[str, SynthResult], stack: str
) -> None:
    report = _report(synthesized[stack])
    flows = report["flows"]
    assert flows, "a cloud spec needs flows through its boundaries"
    for row in flows:
        assert row["verdict"] == "permitted", row
        assert row["path"], row
    assert [r["target"] for r in flows if r["source"] == "internet"] == ["dmz"]
    tried = report["unneeded_flows_tried"]
    assert tried and {t["verdict"] for t in tried} == {"denied"}
    assert all((t["protocol"], t["port"]) == ("tcp", 22) for t in tried)
    assert report["excess_rules"] == []


def test_the_roles_flows_across_the_lines_are_listed_with_the_rule_that_lets_them_pass(
    synthesized: dict[str, SynthResult],
) -> None:
    rows = {(r["source"], r["target"], r["protocol"], r["port"]): r
            for r in _report(synthesized["hybrid-prod"])["flows"]}
    relp = rows[("cloud-mgmt", "mgmt", "tcp", 2514)]
    assert relp["why"] == "relp-tls to log_audit_server (every_host)"
    assert relp["path"] == [
        "out of cloud-mgmt: passes by the accept rule tcp/2514 to 10.10.0.0/24 (priority 1)"]
    ntp = rows[("cloud-mgmt", "10.10.0.1", "udp", 123)]
    assert ntp["target_cidr"] == "10.10.0.1/32" and ntp["verdict"] == "permitted"
    assert rows[("mgmt", "cloud-mgmt", "tcp", 22)]["verdict"] == "permitted"


def test_a_spec_without_a_cloud_writes_no_reachability_report(synthesized: dict[str, SynthResult]) -> None:
    assert REACHABILITY_FILE not in synthesized["onprem-lab"].files


def _found(result: SynthResult, regs: list[Any]) -> list[tuple[str, str, str]]:
    flows = required_flows(environment(result.spec.effective))
    graph = plan_graph(regs, level=3, required_flows=flows)
    return sorted((s.pointer.rsplit("::", 1)[-1], c, m) for s, (c, m) in REQUIRED_FLOWS_PERMITTED.run(graph))


@pytest.mark.parametrize(
    ("stack", "rule", "group", "flow"),
    [
        ("hybrid-prod", "hybrid-prod-sg-cloud-mgmt-egress-tcp-2514-10-10-0-0-24", "hybrid-prod-sg-cloud-mgmt",
         "tcp/2514 from cloud-mgmt to mgmt (relp-tls to log_audit_server (every_host)) is needed but "
         "cannot pass: out of cloud-mgmt: dropped by the drop rule all/1-65535 to 0.0.0.0/0 (priority 100)"),
        ("private-cloud", "private-cloud-sg-storage-ingress-tcp-8333-10-60-16-0-20",
         "private-cloud-sg-storage",
         "tcp/8333 from app to storage (S3 over TLS from PACS and backup jobs) is needed but "
         "cannot pass: into storage: dropped by the boundary's default"),
    ],
)
def test_a_missing_rule_is_the_finding_of_the_flow_it_stops(
    synthesized: dict[str, SynthResult], stack: str, rule: str, group: str, flow: str
) -> None:
    result = synthesized[stack]
    assert _found(result, result.registrations) == []
    kept = [r for r in result.registrations if r.name != rule]
    assert len(kept) == len(result.registrations) - 1
    assert _found(result, kept) == [(group, "ABS-ACL-01", flow), (group, "CLD-ACL-01", flow)]


def test_the_patients_reach_the_portal_through_the_front_door(synthesized: dict[str, SynthResult]) -> None:
    rows = {r["source"]: r for r in _report(synthesized["cloud-dev"])["flows"]}
    assert rows["internet"]["path"] == [
        "at the internet boundary in front of cloud-dev-alb-dmz: lets it in",
        "the listener tcp/443 of cloud-dev-alb-dmz accepts connections from 0.0.0.0/0",
        "into the group of cloud-dev-alb-dmz: passes by the accept rule tcp/443 from 0.0.0.0/0 (priority 1)",
        *(f"out of the group of cloud-dev-alb-dmz to {part}: passes by the accept rule tcp/8443 to {whole} "
          "(priority 1)" for part, whole in (("172.20.32.0/25", "172.20.32.0/24"),
                                             ("172.20.32.128/25", "172.20.32.0/24"),
                                             ("10.244.0.0/17", "10.244.0.0/16"),
                                             ("10.244.128.0/17", "10.244.0.0/16"))),
        *(f"into dmz from {part}: passes by the accept rule tcp/8443 from the load balancer's group "
          "(priority 1)" for part in ("172.20.32.0/25", "172.20.32.128/25"))]


PORTAL = "tcp/443 from internet to dmz ({why}) is needed but cannot pass: "


@pytest.mark.parametrize(
    ("stack", "removed", "subject", "stop"),
    [
        ("cloud-dev", "cloud-dev-alb-dmz-eip-cn-shanghai-m-firewall-accept-443", "cloud-dev-alb-dmz",
         "at the internet boundary in front of cloud-dev-alb-dmz: its first rule matching tcp/443 drops it"),
        ("cloud-dev", "cloud-dev-alb-dmz-sg-in-443", "cloud-dev-alb-dmz-sg",
         "into the group of cloud-dev-alb-dmz: dropped by the drop rule all/1-65535 from 0.0.0.0/0 "
         "(priority 100)"),
        ("cloud-dev", "cloud-dev-alb-dmz-sg-out-8443-10-244-0-0-16", "cloud-dev-alb-dmz-sg",
         "; ".join(f"out of the group of cloud-dev-alb-dmz to {pods}: dropped by the drop rule all/1-65535 "
                   "to 0.0.0.0/0 (priority 100)" for pods in ("10.244.0.0/17", "10.244.128.0/17"))),
        ("cloud-dev", "cloud-dev-sg-dmz-ingress-tcp-8443-front-door", "cloud-dev-sg-dmz",
         "into dmz from 172.20.32.0/25: dropped by the boundary's default; into dmz from 172.20.32.128/25: "
         "dropped by the boundary's default"),
        ("cloud-dev", "cloud-dev-cloud-front-door-dmz-portal", "cloud-dev-cloud-front-door-dmz-albconfig",
         "the listener tcp/443 of cloud-dev-alb-dmz: it forwards to nothing"),
        ("private-cloud", "private-cloud-sg-dmz-ingress-tcp-443-10-60-40-0-24", "private-cloud-sg-dmz",
         "into dmz from 10.60.40.0/24: dropped by the boundary's default"),
    ],
)
def test_a_front_door_that_cannot_carry_the_patients_is_the_finding_of_their_flow(
    synthesized: dict[str, SynthResult], stack: str, removed: str, subject: str, stop: str
) -> None:
    result = synthesized[stack]
    kept = [r for r in result.registrations if r.name != removed]
    assert len(kept) == len(result.registrations) - 1
    why = next(f.why for f in required_flows(environment(result.spec.effective)) if f.source == "internet")
    message = PORTAL.format(why=why) + stop
    got = _found(result, kept)
    assert (subject, "ABS-ACL-01", message) in got and (subject, "CLD-ACL-01", message) in got, got


def test_a_wider_or_unneeded_accept_rule_is_excess(synthesized: dict[str, SynthResult]) -> None:
    result = synthesized["hybrid-prod"]
    name = "hybrid-prod-sg-cloud-mgmt-ingress-tcp-22-10-10-0-0-24"

    def edited(**inputs: Any) -> list[Any]:
        return [dataclasses.replace(r, inputs={**r.inputs, **inputs}) if r.name == name else r
                for r in result.registrations]

    group = "hybrid-prod-sg-cloud-mgmt"
    wider = "the boundary of zone cloud-mgmt accepts ingress tcp/22 from 10.0.0.0/8: it admits more " \
            "than the flows it serves (tcp/22 mgmt to cloud-mgmt)"
    assert _found(result, edited(cidrIp="10.0.0.0/8")) == [
        (group, "ABS-ACL-02", wider), (group, "CLD-ACL-01", wider)]
    ranged = "the boundary of zone cloud-mgmt accepts ingress tcp/22-23 from 10.10.0.0/24: it admits " \
             "more than the flows it serves (tcp/22 mgmt to cloud-mgmt)"
    assert _found(result, edited(portRange="22/23")) == [
        (group, "ABS-ACL-02", ranged), (group, "CLD-ACL-01", ranged)]
    stray = "the boundary of zone cloud-mgmt accepts ingress tcp/3389 from 10.10.0.0/24: no flow of the " \
            "spec or of the roles needs it"
    needed = "tcp/22 from mgmt to cloud-mgmt (Administrators from the hospital bastion over the dedicated " \
             "lines) is needed but cannot pass: into cloud-mgmt: dropped by the boundary's default"
    assert _found(result, edited(portRange="3389/3389")) == sorted(
        [(group, "ABS-ACL-01", needed), (group, "ABS-ACL-02", stray), (group, "CLD-ACL-01", needed),
         (group, "CLD-ACL-01", stray)])


def test_the_required_flows_come_from_the_spec_and_the_roles() -> None:
    env = environment(example("hybrid-prod").effective)
    flows = required_flows(env)
    assert len(set(flows)) == len(flows)
    assert {(f.source, f.target, f.port) for f in flows} >= {
        ("internet", "dmz", 443), ("mgmt", "cloud-mgmt", 22), ("cloud-mgmt", "mgmt", 2514),
        ("dmz", "mgmt", 2514), ("cloud-mgmt", "10.10.0.1", 123)}
    # a flow between two on-prem zones crosses no cloud boundary
    on_prem = {z.name for z in env.zones_at("onprem")}
    assert not [f for f in flows if f.source in on_prem and f.target in on_prem]


@pytest.mark.parametrize("stack", ("cloud-dev", "hybrid-prod", "onprem-lab"))
def test_the_log_shipper_sends_from_the_node_address_the_boundaries_admit(
    synthesized: dict[str, SynthResult], stack: str
) -> None:
    """On ACK, Terway gives a pod an address of the pod vSwitches, which neither the audit
    servers' boundary nor the lines admit: the shipper shares the node's network, so its records
    leave from the node, and every zone with cluster nodes has a permitted flow to the audit
    servers' zone on the RELP port."""
    result = synthesized[stack]
    shippers = [d["spec"]["template"]["spec"] for d in of_type(result, "kubernetes:apps/v1:DaemonSet")
                if d["metadata"]["name"] == "log-shipper"]
    assert len(shippers) == (2 if stack == "hybrid-prod" else 1)  # hybrid: on-prem and ACK
    assert {(pod["hostNetwork"], pod["dnsPolicy"]) for pod in shippers} == {(True, "ClusterFirstWithHostNet")}
    # on the node's network its health port faces the node only, never the zone
    for pod in shippers:
        (container,) = pod["containers"]
        assert "ports" not in container
        probes = ("livenessProbe", "readinessProbe")
        assert {container[p]["tcpSocket"]["host"] for p in probes} == {"127.0.0.1"}
    configs = [m["data"]["rsyslog.conf"] for m in of_type(result, "kubernetes:core/v1:ConfigMap")
               if m["metadata"]["name"] == "log-shipper"]
    assert configs and all('input(type="imptcp" address="127.0.0.1" port="5140"' in c for c in configs)
    if stack == "onprem-lab":
        return
    pools = {p["tags"]["mlps:zone"] for p in of_type(result, "alicloud:cs/nodePool:NodePool")}
    audit = {h.zone for h in environment(result.spec.effective).hosts_with("log_audit_server")}
    relp = {(r["source"], r["target"]) for r in _report(result)["flows"]
            if (r["protocol"], r["port"], r["verdict"]) == ("tcp", 2514, "permitted")}
    assert pools and audit
    assert {(z, a) for z in pools for a in audit} <= relp
