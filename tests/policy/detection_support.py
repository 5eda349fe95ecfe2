"""What a compliant Alibaba Cloud plan adds for detection: the trail store encrypted and indexed,
a flow log of the zone into a kept, encrypted, indexed store, an alert per management event."""

from __future__ import annotations

from typing import Any

from policy.facts.model import MANAGEMENT_EVENTS
from policy.policies import PlanResource
from stacks.providers.alicloud.events import MANAGEMENT_EVENT_NAMES

A = "alicloud"
STORE, INDEX = f"{A}:log/store:Store", f"{A}:log/storeIndex:StoreIndex"
FLOW_LOG, ALERT = f"{A}:vpc/flowLog:FlowLog", f"{A}:log/alert:Alert"
ENCRYPTED: dict[str, Any] = {
    "encryptConf": {
        "enable": True,
        "encryptType": "default",
        "userCmkInfo": {"cmkKeyId": "k", "arn": "acs:ram::123:role/env-sls-kms", "regionId": "cn-shanghai"},
    }
}
"""A log store's encryption with the plan's log key (``urn:kms-logs``)."""


def _r(type_: str, name: str, props: dict[str, Any], **deps: str) -> PlanResource:
    return PlanResource(type_, name, f"urn:{name}", props, "p", {k: (v,) for k, v in deps.items()})


def _index(name: str, project: str, store: str) -> PlanResource:
    props = {"project": project, "logstore": store, "fullText": {"caseSensitive": False}}
    return _r(INDEX, name, props, logstore=f"urn:{store}")


def alert(
    event: str, store: str = "audit/actiontrail_t", action: str | None = "oncall", **props: Any
) -> PlanResource:
    """The alert on ``event`` with its query of ``MANAGEMENT_EVENT_NAMES``; ``props`` override."""
    project, _, logstore = store.partition("/")
    query = MANAGEMENT_EVENT_NAMES[event].query()
    return _r(
        ALERT,
        f"alert-{event}",
        {
            "alertName": f"alert-{event}",
            "projectName": project,
            "queryLists": [{"project": project, "store": logstore, "query": query}],
            "severityConfigurations": [{"severity": 8, "evalCondition": {"condition": "events > 0"}}],
            "policyConfiguration": {"alertPolicyId": "sls.builtin.dynamic", "actionPolicyId": action},
            **props,
        },
    )


def detection() -> list[PlanResource]:
    """Resources the compliant plan of ``test_environment_policies.good`` adds (its store
    ``store`` carries ``ENCRYPTED`` itself)."""
    return [
        _index("store-index", "audit", "actiontrail_t"),
        _r(
            STORE,
            "flowlog",
            {"projectName": "audit", "logstoreName": "flowlog", "retentionPeriod": 180, **ENCRYPTED},
            encryptConf="urn:kms-logs",
        ),
        _index("flowlog-index", "audit", "flowlog"),
        _r(
            FLOW_LOG,
            "flow",
            {
                "flowLogName": "flow",
                "resourceType": "VSwitch",
                "trafficType": "All",
                "status": "Active",
                "projectName": "audit",
                "logStoreName": "flowlog",
            },
            resourceId="urn:vsw",
        ),
        *(alert(e) for e in MANAGEMENT_EVENTS),
    ]
