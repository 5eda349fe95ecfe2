"""The Alibaba Cloud Kubernetes cluster under the mock runtime: Terway enforcing NetworkPolicy,
the spec's Kubernetes version, no NAT gateway, short-lived admin credentials, one node pool per
zone behind the zone's security group, and the policy finding a cluster without Terway."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockCallArgs
from synthfix import modified, of_type

from mlps.synth.checks import plan_graph
from mlps.synth.mockrun import EchoMocks, Registration, run_program
from mlps.synth.run import PROJECT, SynthResult
from policy.policies import PlanGraph
from policy.policies.environment.network import CLUSTER_NETWORK_POLICY_ENFORCED
from stacks.program import build
from stacks.providers.alicloud import ack_release

ACK = "alicloud:cs/managedKubernetes:ManagedKubernetes"
POOL = "alicloud:cs/nodePool:NodePool"
SWITCH = "alicloud:vpc/switch:Switch"
VERSIONS = "alicloud:cs/getKubernetesVersion:getKubernetesVersion"
CREDENTIAL = "alicloud:cs/getClusterCredential:getClusterCredential"


class _Cloud(EchoMocks):
    """A region offering ``releases`` of ACK, recording the invokes the program makes."""

    def __init__(self, releases: list[str]) -> None:
        self.releases = releases
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append((args.token, dict(args.args)))
        if args.token == VERSIONS:
            return {"metadatas": [{"version": v, "runtimes": []} for v in self.releases]}, []
        return {}, []


def _run(version: str, cloud: _Cloud) -> list[Registration]:
    spec = modified("cloud-dev", lambda d: d["kubernetes"].update(version=version))
    return run_program(lambda: build(spec), PROJECT, "cloud-dev", {}, mocks=cloud)


def _ack(regs: list[Registration]) -> dict[str, Any]:
    return next(r.inputs for r in regs if r.type == ACK)


def test_the_cluster_runs_terway_enforcing_network_policy_without_nat(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    [ack] = of_type(result, ACK)
    addon, ingress = ack["addons"]
    assert ingress == {"name": "alb-ingress-controller"}  # the dmz's front door binds its pods
    assert addon["name"] == "terway-eniip"
    assert json.loads(addon["config"])["NetworkPolicy"] == "true"
    assert "podCidr" not in ack  # Flannel's setting; Terway takes pod addresses from vSwitches
    assert ack["newNatGateway"] is False
    pods = {s["name"]: (s["cidrBlock"], s["zoneId"]) for s in of_type(result, SWITCH) if "pods" in s["name"]}
    assert ack["podVswitchIds"] == [f"cloud-dev-vsw-pods-cn-shanghai-{az}-id" for az in "lm"]
    assert pods == {"cloud-dev-vsw-pods-cn-shanghai-l": ("10.244.0.0/17", "cn-shanghai-l"),
                    "cloud-dev-vsw-pods-cn-shanghai-m": ("10.244.128.0/17", "cn-shanghai-m")}
    [block] = of_type(result, "alicloud:vpc/ipv4CidrBlock:Ipv4CidrBlock")
    assert block["secondaryCidrBlock"] == "10.244.0.0/16"  # outside the VPC's 172.20.0.0/18
    # offline no cloud names the release: the spec's minor version, its patch left open
    assert ack["version"] == "1.31.[newest patch]"


def test_one_node_pool_per_zone_in_its_vswitch_behind_its_security_group(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    zones = {w["zone"] for w in result.spec.effective["workloads"] if w["placement"] == "cloud"}
    assert zones == {"app", "dmz"}
    pools = {p["nodePoolName"]: p for p in of_type(result, POOL)}
    assert set(pools) == {f"cloud-dev-nodes-{z}" for z in zones}
    for zone in zones:
        pool = pools[f"cloud-dev-nodes-{zone}"]
        assert pool["vswitchIds"] == [f"cloud-dev-vsw-{zone}-cn-shanghai-{az}-id" for az in "lm"]
        assert pool["multiAzPolicy"] == "BALANCE"
        assert pool["securityGroupIds"] == [f"cloud-dev-sg-{zone}-id"]
        assert pool["labels"] == [{"key": "mlps.dev/zone", "value": zone}]
    # each workload runs only on the nodes of its own zone's pool
    for d in of_type(result, "kubernetes:apps/v1:Deployment"):
        namespace = d["metadata"]["namespace"]
        assert d["spec"]["template"]["spec"]["nodeSelector"] == {"mlps.dev/zone": namespace}


def test_the_version_is_the_newest_release_of_the_spec_minor_and_credentials_expire() -> None:
    cloud = _Cloud(["1.30.1-aliyun.1", "1.30.14-aliyun.1", "1.30.9-aliyun.1", "1.31.2-aliyun.1"])
    regs = _run("1.30", cloud)
    assert _ack(regs)["version"] == "1.30.14-aliyun.1"
    [(_, credential)] = [(t, a) for t, a in cloud.calls if t == CREDENTIAL]
    assert credential["temporaryDurationMinutes"] == 60


def test_a_minor_version_ack_does_not_offer_is_refused() -> None:
    with pytest.raises(pulumi.RunError, match=r"kubernetes.version 1.29: ACK offers no release"):
        _run("1.29", _Cloud(["1.30.14-aliyun.1", "1.31.2-aliyun.1"]))


def test_ack_release_orders_patches_by_number() -> None:
    assert ack_release("1.31", ["1.31.9-aliyun.1", "1.31.10-aliyun.1", "1.310.1-aliyun.1"]) == (
        "1.31.10-aliyun.1"
    )
    assert ack_release("1.31", None) == "1.31.[newest patch]"


def _without_terway(result: SynthResult, addons: list[dict[str, Any]] | None) -> PlanGraph:
    regs = [
        dataclasses.replace(r, inputs={**r.inputs, "addons": addons}) if r.type == ACK else r
        for r in result.registrations
    ]
    return plan_graph(regs, result.spec.level)


@pytest.mark.parametrize(
    ("addons", "plugin"),
    [
        (None, "the plan names no network plugin, and the provider's default does not"),
        ([{"name": "flannel"}], "its network plugin flannel does not"),
    ],
)
def test_the_synthesized_plan_without_terway_is_a_finding(
    synthesized: dict[str, SynthResult], addons: list[dict[str, Any]] | None, plugin: str
) -> None:
    result = synthesized["cloud-dev"]
    assert "K8S-NETPOL-01" not in {f.control for f in result.findings}
    found = list(CLUSTER_NETWORK_POLICY_ENFORCED.run(_without_terway(result, addons)))
    assert [(s.pointer, v) for s, v in found] == [
        (
            f"{ACK}::cloud-dev-ack",
            (
                "K8S-NETPOL-01",
                f"cluster cloud-dev-ack: {plugin} enforce NetworkPolicy, so the namespaces' "
                "default-deny policies are not applied (the plugin is fixed when the cluster is created)",
            ),
        )
    ]
