"""What a compliant Alibaba Cloud plan adds for detection: the trail store encrypted and indexed,
a flow log of the zone into a kept, encrypted, indexed store, an alert per management event."""

from __future__ import annotations

from typing import Any

from policy.facts.alicloud_front import ACCESS_LOG, ALB, CONTROL, EIP, FW_SWITCH, ORDER
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
        *front_door(),
    ]


DENY_ALL_IN = {"direction": "in", "aclAction": "drop", "proto": "ANY", "source": "0.0.0.0/0",
               "destination": "0.0.0.0/0", "destPort": "0/0", "destPortType": "port", "ipVersion": "4"}


def front_door() -> list[PlanResource]:
    """The app zone's front door: a WAF-enabled balancer on two elastic IPs under Cloud Firewall
    (443 accepted to each address, first; everything else dropped, last), its access logs into a
    store kept 180 days."""
    eips = [_r(EIP, f"eip-{az}", {"addressName": f"eip-{az}"}) for az in ("l", "m")]
    alb = PlanResource(
        ALB, "alb",
        "urn:alb",
        {"loadBalancerName": "alb", "addressType": "Internet", "loadBalancerEdition": "StandardWithWaf",
         "tags": {"mlps:front-door": "app"}, "zoneMappings": [{"zoneId": "l"}, {"zoneId": "m"}]},
        "p",
        {"zoneMappings": ("urn:vsw", "urn:eip-l", "urn:eip-m")},
    )
    return [
        *eips,
        alb,
        *(_r(FW_SWITCH, f"{e.name}-firewall", {"ipVersion": "4"}, internetAddress=e.urn) for e in eips),
        *(_r(CONTROL, f"accept-{e.name}", {"direction": "in", "aclAction": "accept", "proto": "TCP",
                                            "source": "0.0.0.0/0", "destination": f"{e.name}/32",
                                            "destPortType": "port", "destPort": "443/443"},
             destination=e.urn) for e in eips),
        *(_r(ORDER, f"accept-{e.name}-order", {"direction": "in", "order": i + 1},
             aclUuid=f"urn:accept-{e.name}") for i, e in enumerate(eips)),
        _r(CONTROL, "deny-all-in", dict(DENY_ALL_IN)),
        _r(ORDER, "deny-all-in-order", {"direction": "in", "order": -1}, aclUuid="urn:deny-all-in"),
        _r(STORE, "alb-access", {"projectName": "audit", "logstoreName": "alb-access", "retentionPeriod": 180,
                                 **ENCRYPTED}, encryptConf="urn:kms-logs"),
        _index("alb-access-index", "audit", "alb-access"),
        _r(ACCESS_LOG, "alb-access-log", {"logProject": "audit", "logStore": "alb-access"},
           loadBalancerId="urn:alb"),
    ]
