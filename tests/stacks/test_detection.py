"""Detection on Alibaba Cloud under the mock runtime: a flow log of the VPC into a kept, encrypted,
indexed store, every audit log store encrypted with the environment's key through the SLS role
and indexed (the ActionTrail store on every key of its JSON field ``event`` the alerts read), an
alert per management event on the ActionTrail store routed to the on-call policy; and the facts
and findings the policies read from that plan."""

from __future__ import annotations

import json
from typing import Any

from synthfix import example, modified, of_type

from mlps.synth.checks import plan_graph
from mlps.synth.mockrun import Registration, run_program
from mlps.synth.run import PROJECT, SynthResult
from policy.facts import collect
from policy.facts.model import MANAGEMENT_EVENTS
from policy.policies.environment.detection import NETWORK_FLOW_LOGS
from stacks.program import build
from stacks.providers.alicloud.detection import EVENT_LABEL, MANAGEMENT_ALERTS
from stacks.providers.alicloud.events import TRAIL_JSON_FIELD, trail_keys

STORE = "alicloud:log/store:Store"
INDEX = "alicloud:log/storeIndex:StoreIndex"
FLOW_LOG = "alicloud:vpc/flowLog:FlowLog"
ALERT = "alicloud:log/alert:Alert"
ROLE = "alicloud:ram/role:Role"


def _regs(synthesized: dict[str, SynthResult]) -> list[Registration]:
    return synthesized["cloud-dev"].registrations


def test_the_vpc_flow_log_records_all_traffic_into_the_central_project(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    [flow] = [r for r in _regs(synthesized) if r.type == FLOW_LOG]
    [vpc] = [r for r in _regs(synthesized) if r.type == "alicloud:vpc/network:Network"]
    assert flow.deps["resourceId"] == (vpc.urn,)
    inputs = of_type(result, FLOW_LOG)[0]
    assert (inputs["resourceType"], inputs["trafficType"], inputs["trafficPaths"], inputs["status"]) == (
        "VPC", "All", ["all"], "Active")
    assert (inputs["projectName"], inputs["logStoreName"]) == ("cloud-dev-audit", "flowlog")
    store = next(s for s in _regs(synthesized) if s.type == STORE and s.inputs["logstoreName"] == "flowlog")
    assert store.inputs["retentionPeriod"] == 180 and store.protect and store.retain_on_delete


def test_a_longer_log_retention_keeps_the_flow_logs_longer() -> None:
    spec = modified("cloud-dev", lambda d: d["log_audit"].update(retention_days=400))
    regs = run_program(lambda: build(spec), PROJECT, "cloud-dev", {})
    days = {r.inputs["logstoreName"]: r.inputs["retentionPeriod"] for r in regs if r.type == STORE}
    assert days == {"audit": 400, "flowlog": 400, "alb-access": 400, "actiontrail_cloud-dev-trail": 180}


def test_every_log_store_is_encrypted_with_the_environment_key_and_indexed(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    stores = of_type(result, STORE)
    assert sorted(s["logstoreName"] for s in stores) == [
        "actiontrail_cloud-dev-trail", "alb-access", "audit", "flowlog"]
    for s in stores:
        conf = s["encryptConf"]
        assert conf["enable"] is True
        assert conf["userCmkInfo"] == {"cmkKeyId": "cloud-dev-kms-logs-id", "regionId": "cn-shanghai",
                                       "arn": "acs:ram::[account]:role/cloud-dev-sls-kms"}
    indexed = {(i["project"], i["logstore"]) for i in of_type(result, INDEX)}
    assert indexed == {(s["projectName"], s["logstoreName"]) for s in stores}
    assert all(i["fullText"] and i["fieldSearches"] for i in of_type(result, INDEX))
    [role] = [r.inputs for r in result.registrations if r.type == ROLE and r.name == "cloud-dev-sls-kms"]
    trust = json.loads(role["assumeRolePolicyDocument"])["Statement"][0]
    assert trust["Principal"] == {"Service": ["log.aliyuncs.com"]}
    [policy] = [r.inputs for r in result.registrations if r.name == "cloud-dev-sls-kms-policy"]
    statement = json.loads(policy["policyDocument"])["Statement"][0]
    assert statement["Resource"] == ["acs:kms:cn-shanghai:[account]:key/cloud-dev-kms-logs-id"]
    assert "kms:*" not in statement["Action"]


def _alerts(regs: list[Registration]) -> dict[str, dict[str, Any]]:
    return {
        next(x["value"] for x in r.inputs["labels"] if x["key"] == EVENT_LABEL): r.inputs
        for r in regs if r.type == ALERT
    }


def test_each_management_event_raises_an_alert_on_the_trail_store(
    synthesized: dict[str, SynthResult],
) -> None:
    alerts = _alerts(_regs(synthesized))
    assert sorted(alerts) == sorted(MANAGEMENT_EVENTS) == sorted(a.event for a in MANAGEMENT_ALERTS)
    assert len(alerts) >= 5
    for event, a in alerts.items():
        [query] = a["queryLists"]
        assert (query["project"], query["store"]) == ("cloud-dev-actiontrail", "actiontrail_cloud-dev-trail")
        assert a["policyConfiguration"]["actionPolicyId"] == "cloud-dev-oncall", event
        assert a["severityConfigurations"][0]["evalCondition"] == {"condition": "events > 0"}
    assert "root-account" in alerts["root_login"]["queryLists"][0]["query"]
    assert "StopLogging" in alerts["trail_change"]["queryLists"][0]["query"]
    assert "ScheduleKeyDeletion" in alerts["kms_key_change"]["queryLists"][0]["query"]


def test_the_trail_store_index_covers_every_key_the_alerts_query(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    [index] = [i for i in of_type(result, INDEX) if i["logstore"] == "actiontrail_cloud-dev-trail"]
    [event] = [f for f in index["fieldSearches"] if f["name"] == TRAIL_JSON_FIELD]
    assert event["type"] == "json"
    indexed = {k["name"] for k in event["jsonKeys"]}
    queries = [q["query"] for a in _alerts(_regs(synthesized)).values() for q in a["queryLists"]]
    queried = {k for q in queries for k in trail_keys(q)}
    assert {"eventName", "serviceName", "userIdentity.type", "errorCode"} <= queried <= indexed


def test_the_action_policy_comes_from_the_stack_config() -> None:
    spec = example("cloud-dev")
    regs = run_program(lambda: build(spec), PROJECT, "cloud-dev", {"mlps:alertActionPolicy": "his-duty"})
    assert {a["policyConfiguration"]["actionPolicyId"] for a in _alerts(regs).values()} == {"his-duty"}


def test_the_plan_facts_show_every_zone_flow_logged_and_every_store_keyed(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    facts = collect(plan_graph(result.registrations, level=3))
    [flow] = facts.flow_logs
    assert set(flow.zones) == {z.name for z in facts.zones} and flow.sink == "cloud-dev-audit/flowlog"
    [key] = [k for k in facts.keys if k.subject.pointer.endswith("::cloud-dev-kms-logs")]
    assert key.purpose == "logs"
    assert all(s.key == key.id and s.indexed for s in facts.log_sinks)
    assert {e for a in facts.alert_rules for e in a.events} == set(MANAGEMENT_EVENTS)
    assert all(a.notifies and a.conditioned and not a.muted for a in facts.alert_rules)


def test_a_plan_without_its_flow_log_is_reported_once_per_zone(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    graph = plan_graph([r for r in result.registrations if r.type != FLOW_LOG], level=3)
    facts = collect(graph)
    assert len({c.subject for c in facts.clouds}) > len({c.provider for c in facts.clouds})
    findings = list(NETWORK_FLOW_LOGS.run(graph))
    assert sorted(m for _, (_, m) in findings) == sorted(
        f"no active flow log records all traffic of zone {z.name}" for z in facts.zones
    )
