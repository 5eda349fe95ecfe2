"""The reachability report of the synthesized examples, and the policy catching a planted missing
or extra rule in them (required_flows_permitted: ABS-ACL-01, ABS-ACL-02, CLD-ACL-01)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from synthfix import example

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
        expected = "not judged" if row["source"] == "internet" else "permitted"
        assert row["verdict"] == expected, row
        assert row["path"], row
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
