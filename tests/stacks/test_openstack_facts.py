"""The OpenStack plan as neutral facts: the private cloud gives the facts an Alibaba plan gives,
passes the environment policies with each stand-in named, and a plan missing its default-deny,
its Barbican key or the hosts of a stand-in role fails with the control id, under ``mlps synth``
and CrossGuard alike."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from mlps.controls import catalog
from mlps.synth.checks import run_policies
from mlps.synth.run import SynthResult, spec_plan_graph
from policy.crossguard import to_crossguard
from policy.facts import collect
from policy.facts.openstack import CONTAINER, GROUP, INSTANCE, ORDER, PORT, RULE
from policy.policies import PlanGraph, PlanResource
from policy.policies import environment as env
from policy.policies.environment.gaps import STAND_INS_PRESENT
from stacks.capabilities import STAND_INS, lacking

Edit = Callable[[list[PlanResource]], list[PlanResource]]


def _graph(synthesized: dict[str, SynthResult], edit: Edit | None = None) -> PlanGraph:
    result = synthesized["private-cloud"]
    graph = spec_plan_graph(result.registrations, result.spec, 3)
    if edit is None:
        return graph
    return PlanGraph(edit(graph.resources), level=3, approved_images=graph.approved_images,
                     rpo_hours=graph.rpo_hours, required_flows=graph.required_flows)


def _env_findings(graph: PlanGraph) -> list[tuple[str, str, str]]:
    return sorted(
        (control, resource.pointer, text)
        for policy in env.POLICIES
        for resource, (control, text) in policy.run(graph)
    )


def test_the_private_cloud_gives_the_neutral_facts(synthesized: dict[str, SynthResult]) -> None:
    facts = collect(_graph(synthesized))
    assert [(c.provider, c.region, c.mainland) for c in facts.clouds] == [
        ("openstack", "cn-binjiang-dc1", True)]
    assert sorted((z.name, z.cidr) for z in facts.zones) == [
        ("app", "10.60.16.0/20"), ("dmz", "10.60.40.0/24"), ("mgmt", "10.60.0.0/24"),
        ("storage", "10.60.32.0/24")]
    assert sorted(b.zone for b in facts.boundaries if b.default_deny) == ["app", "dmz", "mgmt", "storage"]
    ssh = {(b.zone, r.cidr) for b in facts.boundaries for r in b.rules
           if r.direction == "ingress" and r.ports == (22, 22)}
    assert ssh == {("mgmt", "10.40.0.0/20"), ("app", "10.60.0.0/24"), ("storage", "10.60.0.0/24"),
                   ("dmz", "10.60.0.0/24")}
    (key,) = facts.keys
    assert (key.algorithm, key.custody) == ("AES_256", "customer")
    assert len(facts.instances) == 14
    assert all(not i.public_address and i.disk_encrypted and i.disk_key == key.id for i in facts.instances)
    assert {i.name: i.roles for i in facts.instances}["s3-1"] == ("object_storage",)
    assert [(g.capability, g.compensated_by) for g in facts.gaps] == [
        (c, STAND_INS[c].role) for c in lacking("openstack")]
    assert all(facts.compensated(g) for g in facts.gaps)
    assert facts.trails == [] and facts.log_sinks == [] and facts.buckets == []


def test_the_private_cloud_passes_with_every_stand_in_reported(synthesized: dict[str, SynthResult]) -> None:
    graph = _graph(synthesized)
    assert _env_findings(graph) == []
    assert run_policies(graph, catalog()).findings == []
    notices = json.loads(synthesized["private-cloud"].files["findings.json"])["notices"]
    named = {n["control"]: n["message_en"] for n in notices}
    for gap in collect(graph).gaps:
        assert f"{gap.compensated_by} role on " in named[STAND_INS[gap.capability].control]


def _props(type_: str, change: dict[str, Any], names: str = "") -> Edit:
    def edit(resources: list[PlanResource]) -> list[PlanResource]:
        return [dataclasses.replace(r, props={**r.props, **change})
                if r.type == type_ and names in r.name else r for r in resources]
    return edit


def _without(type_: str) -> Edit:
    return lambda resources: [r for r in resources if r.type != type_]


def _without_role(role: str) -> Edit:
    def edit(resources: list[PlanResource]) -> list[PlanResource]:
        return [r for r in resources
                if not (r.type == INSTANCE and role in r.props["metadata"]["mlps-roles"].split(","))]
    return edit


def _with(resource: PlanResource) -> Edit:
    return lambda resources: [*resources, resource]


ABSENT = {
    "default egress kept": (
        _props(GROUP, {"deleteDefaultRules": False}, "-sg-storage"),
        {(c, f"{GROUP}::private-cloud-sg-storage",
          "the boundary of zone storage does not deny by default: outbound traffic is not denied by default")
         for c in ("ABS-ACL-01", "CLD-ACL-01")},
    ),
    "no security groups": (
        _without(GROUP),
        {(c, "openstack:networking/subnet:Subnet::private-cloud-subnet-dmz",
          "zone dmz (10.60.40.0/24) has no boundary: no firewall of the plan guards it")
         for c in ("ABS-ACL-01", "CLD-ACL-01")},
    ),
    "no Barbican key": (
        _without(ORDER),
        {("CLD-KMS-01", f"{INSTANCE}::private-cloud-vm-s3-1",
          "instance s3-1 encrypts its disk under a provider-held key")},
    ),
    "a disk off the encrypted volume type": (
        _props(INSTANCE, {"blockDevices": [{"sourceType": "image", "destinationType": "local",
                                            "bootIndex": 0}]}, "-vm-bastion-1"),
        {("CES-CONF-02", f"{INSTANCE}::private-cloud-vm-bastion-1",
          "instance bastion-1 has an unencrypted disk")},
    ),
    "no object_storage hosts": (
        _without_role("object_storage"),
        {("CES-INT-02", "pulumi:providers:openstack::private-cloud-openstack",
          "openstack has no object lock; the project's object_storage role on a cloud host stands in "
          "for it, and no openstack host runs that role")},
    ),
    "no log_audit_server hosts": (
        _without_role("log_audit_server"),
        {(control, "pulumi:providers:openstack::private-cloud-openstack",
          f"openstack has no {what}; the project's log_audit_server role on a cloud host stands in "
          "for it, and no openstack host runs that role")
         for control, what in (("CLD-AUDIT-01", "audit trail"), ("SMC-CEN-04", "managed log store"),
                               ("ABS-AUDIT-01", "flow logs"), ("SMC-CEN-07", "event alerts"))},
    ),
    "a public Swift container of records": (
        _with(PlanResource(CONTAINER, "records", "urn:records",
                           {"name": "records", "containerRead": ".r:*", "versioning": True,
                            "metadata": {"mlps-data-class": "core"}})),
        {("CES-PII-02", f"{CONTAINER}::records", "bucket records does not block public access"),
         ("CES-CONF-01", f"{CONTAINER}::records",
          "bucket records has no policy refusing requests made without TLS")},
    ),
}


@pytest.mark.parametrize("case", sorted(ABSENT))
def test_what_the_plan_lacks_is_a_finding_with_its_control(
    synthesized: dict[str, SynthResult], case: str
) -> None:
    edit, expected = ABSENT[case]
    found = _env_findings(_graph(synthesized, edit))
    assert expected <= set(found), found
    assert {c for c, _, _ in found} == {c for c, _, _ in expected} | (
        {"CES-AUDIT-01", "CES-CONF-02"} if "Swift" in case else set())


def test_a_floating_address_or_a_member_rule_is_seen(synthesized: dict[str, SynthResult]) -> None:
    graph = _graph(synthesized)
    port = next(r for r in graph.resources if r.type == PORT and r.name.endswith("-bastion-1"))
    group = next(r for r in graph.resources if r.type == GROUP and r.name.endswith("-sg-app"))
    floating = PlanResource("openstack:networking/floatingIpAssociate:FloatingIpAssociate", "fip",
                            "urn:fip", {"floatingIp": "203.0.113.7"}, deps={"portId": (port.urn,)})
    members = PlanResource(RULE, "members", "urn:members",
                           {"direction": "ingress", "ethertype": "IPv4", "remoteGroupId": "g"},
                           deps={"securityGroupId": (group.urn,), "remoteGroupId": (group.urn,)})
    facts = collect(PlanGraph([*graph.resources, floating, members]))
    assert [i.name for i in facts.instances if i.public_address] == ["bastion-1"]
    assert [b.zone for b in facts.boundaries if not b.isolates_members] == ["app"]


def test_crossguard_runs_the_openstack_adapter(synthesized: dict[str, SynthResult]) -> None:
    from pulumi_policy import StackValidationArgs

    class Res:
        def __init__(self, x: PlanResource) -> None:
            self.resource_type, self.name, self.urn, self.props = x.type, x.name, x.urn, x.props
            self.provider = None
            self.property_dependencies = {k: [type("Dep", (), {"urn": u})() for u in v]
                                          for k, v in x.deps.items()}

    graph = _graph(synthesized, _without_role("log_audit_server"))
    reports: list[tuple[str, str | None]] = []
    policy = to_crossguard(STAND_INS_PRESENT, level=3)
    args = StackValidationArgs([Res(x) for x in graph.resources], None)  # type: ignore[arg-type]
    policy.validate(args, lambda message, urn=None: reports.append((message, urn)))  # type: ignore[union-attr]
    cloud = next(r.urn for r in graph.resources if r.type == "pulumi:providers:openstack")
    assert sorted(m.split("]")[0] for m, urn in reports if urn == cloud) == [
        "[ABS-AUDIT-01", "[CLD-AUDIT-01", "[SMC-CEN-04", "[SMC-CEN-07"]
    assert len(reports) == 4
    clean = StackValidationArgs([Res(x) for x in _graph(synthesized).resources], None)  # type: ignore[arg-type]
    reports.clear()
    for name in ("zone_boundary_default_deny", "encryption_at_rest", "stand_ins_present"):
        cg = to_crossguard(next(p for p in env.POLICIES if p.name == name), level=3)
        cg.validate(clean, lambda message, urn=None: reports.append((message, urn)))  # type: ignore[union-attr]
    assert reports == []


def test_where_an_openstack_plan_builds_is_judged_as_an_alibaba_one(
        synthesized: dict[str, SynthResult]) -> None:
    """The placement policies live once, on facts: a floating address on the bastion, a provider
    outside mainland China and an image off the spec's list are findings on an OpenStack plan."""
    graph = _graph(synthesized)
    assert not [f for f in _env_findings(graph) if f[0] in ("CLD-NET-01", "CLD-LOC-01", "CLD-IMG-01")]
    port = next(r for r in graph.resources if r.type == PORT and r.name.endswith("-bastion-1"))
    floating = PlanResource("openstack:networking/floatingIpAssociate:FloatingIpAssociate", "fip",
                            "urn:fip", {"floatingIp": "203.0.113.7"}, deps={"portId": (port.urn,)})

    def moved(plan: list[PlanResource]) -> list[PlanResource]:
        out = [dataclasses.replace(r, props={**r.props, "region": "us-east-1"})
               if r.type == "pulumi:providers:openstack" else r for r in plan]
        out = [dataclasses.replace(r, props={**r.props, "imageName": "centos-untrusted"})
               if r.type == INSTANCE and r.name.endswith("-bastion-1") else r for r in out]
        return [*out, floating]

    found = {(c, p.rsplit("::", 1)[-1], m) for c, p, m in _env_findings(_graph(synthesized, moved))
             if c in ("CLD-NET-01", "CLD-LOC-01", "CLD-IMG-01")}
    provider = next(r.name for r in graph.resources if r.type == "pulumi:providers:openstack")
    bastion = next(r.name for r in graph.resources if r.type == INSTANCE and r.name.endswith("-bastion-1"))
    approved = list(graph.approved_images or ())
    assert found == {
        ("CLD-LOC-01", provider,
         f"cloud provider {provider} targets region us-east-1, outside mainland China"),
        ("CLD-NET-01", bastion, "instance bastion-1 has a public address"),
        ("CLD-IMG-01", bastion, f"instance bastion-1 boots centos-untrusted, not one of the approved images "
                                f"{approved}"),
    }
