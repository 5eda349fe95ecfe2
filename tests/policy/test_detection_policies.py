"""Detection policies over neutral facts: flow logs of every cloud zone kept 180 days, log stores
encrypted with the hospital's key and indexed, alerts on the management events judged by what
their queries select, whether they fire and whether they are muted; each passing, failing and
absent, judged once per provider, and none where the cloud lacks the capability (the stand-in is
judged)."""

from __future__ import annotations

import dataclasses

import pytest

from policy.facts import collect
from policy.facts.model import MANAGEMENT_EVENTS, Cloud, Facts, Gap, Subject
from policy.policies import PlanGraph, PlanResource
from policy.policies.environment.detection import (
    FLOW_LOG_RETENTION,
    LOG_STORES_ENCRYPTED_INDEXED,
    MANAGEMENT_ALERTS,
    NETWORK_FLOW_LOGS,
)
from stacks.capabilities import Capability
from stacks.providers.alicloud.events import MANAGEMENT_EVENT_NAMES, events_of
from tests.policy.detection_support import STORE, alert
from tests.policy.test_environment_policies import PROVIDER, changed, good, r, run, without

ALL = ", ".join(e for e in MANAGEMENT_EVENTS if e != "instance_start")
RAM = "no alert notifies anyone of ram_change on alicloud (cn-shanghai) (read from audit trail t)"


def _ram_alert(**props: object) -> list[PlanResource]:
    """The compliant plan whose RAM alert is changed by ``props``."""
    return [*without({"alert-ram_change"}), alert("ram_change", **props)]


def _ram_query(query: str) -> list[PlanResource]:
    return _ram_alert(queryLists=[{"project": "audit", "store": "actiontrail_t", "query": query}])


def _instance_query(query: str) -> list[PlanResource]:
    return changed("alert-instance_start",
                   queryLists=[{"project": "audit", "store": "actiontrail_t", "query": query}])

CASES: list[tuple[str, list[PlanResource], list[tuple[str, str, str]]]] = [
    ("network_flow_logs", good(), []),
    ("network_flow_logs", without({"flow"}), [
        ("vsw", "ABS-AUDIT-01", "no active flow log records all traffic of zone app")]),
    ("network_flow_logs", changed("flow", trafficType="Drop"), [
        ("vsw", "ABS-AUDIT-01", "no active flow log records all traffic of zone app")]),
    ("network_flow_logs", changed("flow", status="Inactive"), [
        ("vsw", "ABS-AUDIT-01", "no active flow log records all traffic of zone app")]),
    ("flow_log_retention", good(), []),
    ("flow_log_retention", changed("flowlog", retentionPeriod=30), [
        ("flow", "SMC-CEN-04", "flow log flow delivers to audit/flowlog, kept 30 days, not one kept 180 "
         "days or more")]),
    ("flow_log_retention", without({"flowlog"}), [
        ("flow", "SMC-CEN-04", "flow log flow delivers to a store the plan does not build, not one kept "
         "180 days or more")]),
    ("log_stores_encrypted_indexed", good(), []),
    ("log_stores_encrypted_indexed", changed("store", encryptConf={"enable": False}), [
        ("store", "CLD-KMS-01",
         "log store audit/actiontrail_t is not encrypted with the hospital's KMS key")]),
    ("log_stores_encrypted_indexed", changed("flowlog", encryptConf={"enable": True}), [
        ("flowlog", "CLD-KMS-01", "log store audit/flowlog is not encrypted with the hospital's KMS key")]),
    ("log_stores_encrypted_indexed", [*without({"flowlog"}), r(
        STORE, "flowlog",
        {"projectName": "audit", "logstoreName": "flowlog", "retentionPeriod": 180,
         "encryptConf": {"enable": True, "userCmkInfo": {"cmkKeyId": "key-of-someone-else"}}})], [
        ("flowlog", "CLD-KMS-01",
         "log store audit/flowlog is encrypted with key key-of-someone-else, not one the plan builds")]),
    ("log_stores_encrypted_indexed", without({"store-index"}), [
        ("store", "SMC-CEN-05", "log store audit/actiontrail_t has no index: its records cannot be "
         "searched or analysed")]),
    ("management_alerts", good(), []),
    ("management_alerts", without({"alert-root_login", "alert-kms_key_change"}), [
        ("trail", "SMC-CEN-07", "no alert notifies anyone of root_login, kms_key_change on alicloud "
         "(cn-shanghai) (read from audit trail t)")]),
    ("management_alerts", _ram_alert(action=None), [
        ("alert-ram_change", "SMC-CEN-07",
         "alert alert-ram_change routes to no action policy (the hospital's on-call policy)"),
        ("trail", "SMC-CEN-07", RAM)]),
    ("management_alerts", _ram_alert(severityConfigurations=[]), [
        ("alert-ram_change", "SMC-CEN-07",
         "alert alert-ram_change has no severity condition, so it never fires"),
        ("trail", "SMC-CEN-07", RAM)]),
    ("management_alerts", _ram_alert(muteUntil=4102444800), [
        ("alert-ram_change", "SMC-CEN-07",
         "alert alert-ram_change is muted (muteUntil): its notifications are silenced"),
        ("trail", "SMC-CEN-07", RAM)]),
    ("management_alerts", _ram_query("__never__"), [("trail", "SMC-CEN-07", RAM)]),
    ("management_alerts", _ram_query(
        "event.serviceName: Ram and (event.eventName: Create* or event.eventName: Delete*)"), [
        ("trail", "SMC-CEN-07", RAM)]),
    ("management_alerts", _ram_query(MANAGEMENT_EVENT_NAMES["ram_change"].query().replace(
        "event.eventName: AddUserToGroup", "not event.eventName: AddUserToGroup")), [
        ("trail", "SMC-CEN-07", RAM)]),
    ("management_alerts", _ram_query(MANAGEMENT_EVENT_NAMES["ram_change"].query().replace(
        " or event.eventName: UnbindMFADevice", "")), [("trail", "SMC-CEN-07", RAM)]),
    ("management_alerts", [*without({"alert-trail_change"}), alert("trail_change", store="audit/other")], [
        ("trail", "SMC-CEN-07", "no alert notifies anyone of trail_change on alicloud (cn-shanghai) "
         "(read from audit trail t)")]),
    ("management_alerts", without({"trail"}), [
        ("ali", "SMC-CEN-07", f"no alert notifies anyone of {ALL} on alicloud (cn-shanghai) (read from "
         "no enabled audit trail)"),
        ("ali", "CLD-VMIDS-02", "no alert notifies anyone of instance_start on alicloud (cn-shanghai) "
         "(read from no enabled audit trail)")]),
    # Security Center over every instance at an edition that detects malware (CLD-VMIDS-03)
    ("host_threat_detection", good(), []),
    ("host_threat_detection", without({"security-center"}), [
        ("ali", "CLD-VMIDS-03", "no host security service watches the instances on alicloud "
         "(cn-shanghai): malware and intrusions on them go undetected")]),
    ("host_threat_detection", without({"security-center", "vm"}), []),
    ("host_threat_detection", changed("security-center", postPaidHostAutoBind=0), [
        ("security-center", "CLD-VMIDS-03", "the host security service does not bind new instances")]),
    ("host_threat_detection", changed("security-center", postPaidHostAutoBindVersion=1), [
        ("security-center", "CLD-VMIDS-03",
         "the host security service binds them at an edition that detects no malware")]),
    ("host_threat_detection", changed("security-center", postPayModuleSwitchObj={"postHost": 0}), [
        ("security-center", "CLD-VMIDS-03", "the host security service has host protection off")]),
    ("host_threat_detection", changed("security-center", postPaidHostAutoBindVersion="three"), [
        ("security-center", "CLD-VMIDS-03",
         "the host security service binds them at an edition that detects no malware")]),
    # a new or re-enabled instance unalarmed is CLD-VMIDS-02 (8.2.4.3 b), the rest SMC-CEN-07
    ("management_alerts", without({"alert-instance_start"}), [
        ("trail", "CLD-VMIDS-02", "no alert notifies anyone of instance_start on alicloud (cn-shanghai) "
         "(read from audit trail t)")]),
    ("management_alerts", without({"alert-instance_start", "alert-root_login"}), [
        ("trail", "SMC-CEN-07", "no alert notifies anyone of root_login on alicloud (cn-shanghai) "
         "(read from audit trail t)"),
        ("trail", "CLD-VMIDS-02", "no alert notifies anyone of instance_start on alicloud (cn-shanghai) "
         "(read from audit trail t)")]),
    ("management_alerts", _instance_query(MANAGEMENT_EVENT_NAMES["instance_start"].query().replace(
        " or event.eventName: ReActivateInstances", "")), [
        ("trail", "CLD-VMIDS-02", "no alert notifies anyone of instance_start on alicloud (cn-shanghai) "
         "(read from audit trail t)")]),
]


@pytest.mark.parametrize(("name", "plan", "expected"), CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_detection_policy_reports_exactly(
    name: str, plan: list[PlanResource], expected: list[tuple[str, str, str]]
) -> None:
    assert run(name, plan) == expected


def test_every_management_event_has_event_names_and_its_query_selects_it_alone() -> None:
    assert tuple(MANAGEMENT_EVENT_NAMES) == MANAGEMENT_EVENTS
    for event, e in MANAGEMENT_EVENT_NAMES.items():
        assert events_of(e.query()) == (event,)
    ram = set(MANAGEMENT_EVENT_NAMES["ram_change"].names)
    assert {"AddUserToGroup", "RemoveUserFromGroup", "SetPasswordPolicy", "SetSecurityPreference",
            "UnbindMFADevice", "CreatePolicyVersion", "SetDefaultPolicyVersion", "AttachPolicyToGroup",
            "AttachPolicyToUser", "AttachPolicyToRole"} <= ram


def test_a_second_provider_configuration_judges_zones_and_alerts_once() -> None:
    offsite = r(PROVIDER, "ali-offsite", {"region": "cn-beijing"})
    assert run("network_flow_logs", [*without({"flow"}), offsite]) == [
        ("vsw", "ABS-AUDIT-01", "no active flow log records all traffic of zone app")]
    plan = [*without({"alert-ram_change"}), offsite]
    assert run("management_alerts", plan) == [("trail", "SMC-CEN-07", RAM)]


def test_the_adapter_states_coverage_key_index_and_events() -> None:
    facts = collect(PlanGraph(good()))
    (flow,) = facts.flow_logs
    assert (flow.zones, flow.all_traffic, flow.active, flow.sink) == (("app",), True, True, "audit/flowlog")
    sinks = {s.name: s for s in facts.log_sinks}
    assert {n: (s.key, s.indexed) for n, s in sinks.items()} == {
        "audit/actiontrail_t": ("urn:kms-logs", True), "audit/flowlog": ("urn:kms-logs", True),
        "audit/alb-access": ("urn:kms-logs", True)}
    assert sorted(e for a in facts.alert_rules for e in a.events) == sorted(MANAGEMENT_EVENTS)
    assert all(a.notifies and a.conditioned and not a.muted and a.sources == ("audit/actiontrail_t",)
               for a in facts.alert_rules)


def _with_deps(plan: list[PlanResource], name: str, **deps: str) -> list[PlanResource]:
    return [dataclasses.replace(x, deps={**x.deps, **{k: (v,) for k, v in deps.items()}})
            if x.name == name else x for x in plan]


def test_a_vpc_flow_log_covers_every_zone_of_its_vpc_but_not_the_pod_vswitch() -> None:
    pods = PlanResource("alicloud:vpc/switch:Switch", "pods", "urn:pods",
                        {"cidrBlock": "10.1.0.0/16", "tags": {"mlps:pods": "true"}}, "p",
                        {"vpcId": ("urn:vpc",)})
    plan = _with_deps([*changed("flow", resourceType="VPC"), pods], "flow", resourceId="urn:vpc")
    (flow,) = collect(PlanGraph(plan)).flow_logs
    assert flow.zones == ()
    plan = _with_deps(plan, "vsw", vpcId="urn:vpc")
    (flow,) = collect(PlanGraph(plan)).flow_logs
    assert flow.zones == ("app",)
    assert run("network_flow_logs", plan) == []


def test_a_cloud_lacking_flow_logs_and_alerts_is_left_to_the_stand_in() -> None:
    facts = Facts(
        clouds=[Cloud("other", "cn-north", True, Subject("pulumi:providers:other::o", "urn:o"))],
        gaps=[Gap("other", c, "log_audit_server") for c in (Capability.FLOW_LOGS, Capability.EVENT_ALERTS)],
        zones=[dataclasses.replace(z, provider="other") for z in collect(PlanGraph(good())).zones],
    )
    for policy in (NETWORK_FLOW_LOGS, FLOW_LOG_RETENTION, LOG_STORES_ENCRYPTED_INDEXED, MANAGEMENT_ALERTS):
        assert list(policy.check(facts, 3)) == []
    assert list(NETWORK_FLOW_LOGS.check(dataclasses.replace(facts, gaps=[]), 3))
