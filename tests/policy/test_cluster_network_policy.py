"""cluster_network_policy_enforced: a managed cluster whose network plugin enforces NetworkPolicy
passes; Flannel, Terway without NetworkPolicy and a cluster naming no plugin (absence) are
findings of K8S-NETPOL-01 on the cluster."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlps.controls import catalog
from policy.facts import collect
from policy.policies import POLICIES, PlanGraph, PlanResource

ACK = "alicloud:cs/managedKubernetes:ManagedKubernetes"
SWITCH = "alicloud:vpc/switch:Switch"
TERWAY = {"name": "terway-eniip", "config": json.dumps({"NetworkPolicy": "true", "IPVlan": "false"})}
POLICY = next(p for p in POLICIES if p.name == "cluster_network_policy_enforced")
NOT_APPLIED = (
    "enforce NetworkPolicy, so the namespaces' default-deny policies are not applied "
    "(the plugin is fixed when the cluster is created)"
)


def plan(addons: list[dict[str, Any]] | None, **extra: Any) -> list[PlanResource]:
    props: dict[str, Any] = {"name": "prod-ack", "newNatGateway": False, "slbInternetEnabled": False, **extra}
    if addons is not None:
        props["addons"] = addons
    return [
        PlanResource("pulumi:providers:alicloud", "ali", "urn:ali", {"region": "cn-shanghai"}, "", {}),
        PlanResource(ACK, "ack", "urn:ack", props, "p", {}),
    ]


def run(resources: list[PlanResource]) -> list[tuple[str, str, str]]:
    return [(s.urn, c, m) for s, (c, m) in POLICY.run(PlanGraph(resources, level=3))]


def test_terway_with_network_policy_passes() -> None:
    assert run(plan([TERWAY, {"name": "csi-plugin"}])) == []
    assert collect(PlanGraph(plan([TERWAY]))).clusters[0].network_plugin == "terway-eniip"


@pytest.mark.parametrize(
    ("addons", "why"),
    [
        # absence: no addons at all, so ACK installs its default, Flannel
        (None, "the plan names no network plugin, and the provider's default does not"),
        ([{"name": "csi-plugin"}], "the plan names no network plugin, and the provider's default does not"),
        (
            [{**TERWAY, "disabled": True}],
            "the plan names no network plugin, and the provider's default does not",
        ),
        ([{"name": "flannel", "config": ""}], "its network plugin flannel does not"),
        ([{"name": "terway-eniip", "config": ""}], "its network plugin terway-eniip does not"),
        (
            [{"name": "terway-eniip", "config": json.dumps({"NetworkPolicy": "false"})}],
            "its network plugin terway-eniip does not",
        ),
        ([{"name": "terway-eniip", "config": "not json"}], "its network plugin terway-eniip does not"),
        ([{"name": "terway-eni", "config": TERWAY["config"]}], "its network plugin terway-eni does not"),
    ],
)
def test_a_plugin_not_enforcing_network_policy_is_a_finding(
    addons: list[dict[str, Any]] | None, why: str
) -> None:
    assert run(plan(addons)) == [("urn:ack", "K8S-NETPOL-01", f"cluster prod-ack: {why} {NOT_APPLIED}")]


def test_the_pod_vswitch_is_the_cluster_address_space_not_a_zone() -> None:
    pods = PlanResource(
        SWITCH, "pods", "urn:pods", {"cidrBlock": "10.244.0.0/16", "tags": {"mlps:pods": "prod-ack"}}, "p", {}
    )
    zone = PlanResource(
        SWITCH, "app", "urn:app", {"cidrBlock": "10.0.0.0/24", "tags": {"mlps:zone": "app"}}, "p", {}
    )
    assert [z.name for z in collect(PlanGraph([*plan([TERWAY]), pods, zone])).zones] == ["app"]


def test_the_catalog_names_the_policy_under_its_control() -> None:
    control = catalog().get("K8S-NETPOL-01")
    assert control is not None
    assert POLICY.controls == ("K8S-NETPOL-01",)
    assert "cluster_network_policy_enforced" in control.plan
    assert POLICY.levels == control.levels


API = next(p for p in POLICIES if p.name == "cluster_api_private")


@pytest.mark.parametrize(("extra", "public"), [
    ({}, False),
    ({"slbInternetEnabled": True}, True),
    ({"slbInternetEnabled": None}, True),  # left out: ACK builds an internet-facing endpoint
    ({"slbInternetEnabled": "false"}, True),  # not the boolean the provider reads
])
def test_an_api_server_on_an_internet_address_is_a_finding(extra: dict[str, Any], public: bool) -> None:
    resources = plan([TERWAY], **extra)
    if extra.get("slbInternetEnabled", False) is None:
        resources[1].props.pop("slbInternetEnabled")
    found = [(s.urn, c, m) for s, (c, m) in API.run(PlanGraph(resources, level=3))]
    assert found == ([("urn:ack", "ABS-ACL-03", "cluster prod-ack: its API server (an administrative "
                       "service, SMC-CEN-02) answers on an internet address; keep it on the VPC's own "
                       "addresses")] if public else [])
