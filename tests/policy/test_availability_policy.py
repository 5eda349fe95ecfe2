"""Redundancy across availability zones (CES-BAK-03) over neutral facts: the adapters read where
each subnet, instance and node pool lies; a zone, a role's hosts or a node pool confined to one
availability zone (or left to the scheduler) is a finding on it, two or more pass."""

from __future__ import annotations

from typing import Any

from policy.facts import collect
from policy.policies import PlanGraph, PlanResource
from policy.policies.environment.availability import AVAILABILITY_ZONES_SPREAD

A = "alicloud"
SWITCH, VM = f"{A}:vpc/switch:Switch", f"{A}:ecs/instance:Instance"
POOL = f"{A}:cs/nodePool:NodePool"
OS_VM = "openstack:compute/instance:Instance"


def r(type_: str, name: str, props: dict[str, Any], **deps: tuple[str, ...]) -> PlanResource:
    return PlanResource(type_, name, f"urn:{name}", props, "p", dict(deps))


def switch(name: str, az: str | None, zone: str = "mgmt") -> PlanResource:
    props: dict[str, Any] = {"cidrBlock": "10.0.0.0/25", "tags": {"mlps:zone": zone}}
    if az:
        props["zoneId"] = az
    return r(SWITCH, name, props)


def vm(name: str, role: str = "log_audit_server", az: str | None = None, via: str | None = None,
       zone: str = "mgmt") -> PlanResource:
    props: dict[str, Any] = {"instanceName": name, "tags": {"mlps:zone": zone, "mlps:roles": role}}
    if az:
        props["availabilityZone"] = az
    return r(VM, name, props, **({"vswitchId": (f"urn:{via}",)} if via else {}))


CLUSTER = f"{A}:cs/managedKubernetes:ManagedKubernetes"


def pool(name: str, *switches: str, **props: Any) -> PlanResource:
    return r(POOL, name, {"nodePoolName": name, "tags": {"mlps:zone": "app"}, "multiAzPolicy": "BALANCE",
                          "desiredSize": "2", **props},
             vswitchIds=tuple(f"urn:{s}" for s in switches), clusterId=("urn:ack",))


def cluster(*pod_switches: str) -> PlanResource:
    terway = {"name": "terway-eniip", "config": '{"NetworkPolicy": "true"}'}
    return r(CLUSTER, "ack", {"name": "ack", "addons": [terway]},
             podVswitchIds=tuple(f"urn:{s}" for s in pod_switches))


def run(plan: list[PlanResource], level: int = 3) -> list[tuple[str, str, str]]:
    found = AVAILABILITY_ZONES_SPREAD.run(PlanGraph(plan, level=level))
    return [(s.pointer.split("::")[-1], c, m) for s, (c, m) in found]


SPREAD = [switch("vsw-l", "cn-shanghai-l"), switch("vsw-m", "cn-shanghai-m")]


def test_an_instance_runs_where_its_vswitch_lies_whatever_it_declares() -> None:
    plan = [*SPREAD, vm("a", via="vsw-l"), vm("b", az="cn-shanghai-m", via="vsw-l")]
    assert [i.availability_zone for i in collect(PlanGraph(plan)).instances] == ["cn-shanghai-l"] * 2
    assert [s for s, _, _ in run(plan)] == ["b"]


def test_hosts_without_roles_make_no_peers() -> None:
    assert run([*SPREAD, vm("a", role="baseline", via="vsw-l"), vm("b", role="baseline", via="vsw-l")]) == []


def test_the_adapter_reads_the_availability_zone_of_subnets_instances_and_node_pools() -> None:
    facts = collect(PlanGraph([*SPREAD, vm("a", az="cn-shanghai-l"), vm("b", via="vsw-m"), vm("c"),
                               pool("nodes", "vsw-l", "vsw-m")]))
    assert [(z.name, z.availability_zone) for z in facts.zones] == [
        ("mgmt", "cn-shanghai-l"), ("mgmt", "cn-shanghai-m")]
    assert [(i.name, i.availability_zone) for i in facts.instances] == [
        ("a", "cn-shanghai-l"), ("b", "cn-shanghai-m"), ("c", None)]
    assert [(p.name, p.zone, p.availability_zones) for p in facts.node_pools] == [
        ("nodes", "app", ("cn-shanghai-l", "cn-shanghai-m"))]


def test_a_zone_hosts_and_a_pool_spread_over_two_availability_zones_pass() -> None:
    plan = [*SPREAD, vm("a", via="vsw-l"), vm("b", via="vsw-m"), vm("c", via="vsw-l"),
            vm("bastion", role="bastion", via="vsw-l"), pool("nodes", "vsw-l", "vsw-m")]
    assert run(plan) == []


def test_a_zone_in_one_availability_zone_is_a_finding_on_its_subnet() -> None:
    plan = [switch("vsw-1", "cn-shanghai-l"), switch("vsw-2", "cn-shanghai-l")]
    assert run(plan) == [("vsw-1", "CES-BAK-03",
                          "zone mgmt: every subnet lies in availability zone cn-shanghai-l, so the zone "
                          "goes down with it; give cloud.availability_zones a second one")]


def test_a_subnet_spanning_the_availability_zones_confines_nothing() -> None:
    assert run([switch("vsw", None)]) == []


def test_two_hosts_of_a_role_in_one_availability_zone_are_a_finding_on_the_second() -> None:
    found = run([*SPREAD, vm("logaudit-1", via="vsw-l"), vm("logaudit-2", via="vsw-l")])
    assert found == [("logaudit-2", "CES-BAK-03",
                      "the 2 log_audit_server hosts of zone mgmt (logaudit-1 (cn-shanghai-l), "
                      "logaudit-2 (cn-shanghai-l)): all run in availability zone cn-shanghai-l; one "
                      "availability zone failing takes every copy. Give one an address in the range of "
                      "another availability zone (mlps.availability)")]


def test_a_host_left_to_the_scheduler_is_a_finding_even_beside_a_placed_one() -> None:
    found = run([r(OS_VM, "s3-1", {"name": "s3-1", "availabilityZone": "az1",
                                   "metadata": {"mlps-zone": "storage", "mlps-roles": "object_storage"}}),
                 r(OS_VM, "s3-2", {"name": "s3-2",
                                   "metadata": {"mlps-zone": "storage", "mlps-roles": "object_storage"}})])
    assert [(s, c) for s, c, _ in found] == [("s3-2", "CES-BAK-03")]
    assert "s3-2 name no availability zone, so the scheduler may put them together" in found[0][2]


def test_hosts_of_different_roles_are_no_peers() -> None:
    assert run([*SPREAD, vm("a", via="vsw-l"), vm("b", role="bastion", via="vsw-l")]) == []


TAIL = ": its workloads' replicas all go down with one availability zone"


def test_a_node_pool_in_one_availability_zone_is_a_finding_on_it() -> None:
    found = run([*SPREAD, switch("vsw-l2", "cn-shanghai-l"), pool("nodes", "vsw-l", "vsw-l2")])
    assert found == [("nodes", "CES-BAK-03",
                      "node pool nodes of zone app has vSwitches in cn-shanghai-l only" + TAIL)]
    assert [s for s, _, _ in run([*SPREAD, pool("lost")])] == ["lost"]


def test_a_pool_filled_in_order_or_of_one_node_is_a_finding() -> None:
    """ACK fills a pool's vSwitches in order unless it balances them: both nodes may start in l."""
    assert run([*SPREAD, pool("nodes", "vsw-l", "vsw-m", multiAzPolicy="PRIORITY")]) == [
        ("nodes", "CES-BAK-03", "node pool nodes of zone app fills its vSwitches in order, so its nodes "
                                "may all start in cn-shanghai-l" + TAIL)]
    assert run([*SPREAD, pool("nodes", "vsw-l", "vsw-m", desiredSize="1")]) == [
        ("nodes", "CES-BAK-03", "node pool nodes of zone app runs 1 node(s), which one availability zone "
                                "holds" + TAIL)]


def test_nodes_where_the_cluster_has_no_pod_vswitch_are_a_finding() -> None:
    """Terway gives pods addresses from the pod vSwitch of the node's availability zone."""
    pods = [r(SWITCH, f"pods-{az}", {"cidrBlock": f"10.244.{n}.0/24", "zoneId": f"cn-shanghai-{az}",
                                     "tags": {"mlps:pods": "ack"}}) for n, az in enumerate("lm")]
    assert run([*SPREAD, *pods, cluster("pods-l", "pods-m"), pool("nodes", "vsw-l", "vsw-m")]) == []
    assert run([*SPREAD, *pods, cluster("pods-l"), pool("nodes", "vsw-l", "vsw-m")]) == [
        ("nodes", "CES-BAK-03", "node pool nodes of zone app has nodes in cn-shanghai-m, where cluster ack "
                                "has no pod vSwitch, so no pod runs there" + TAIL)]


def test_mandatory_from_level_three() -> None:
    assert AVAILABILITY_ZONES_SPREAD.enforcement(2) == "advisory"
    assert AVAILABILITY_ZONES_SPREAD.enforcement(3) == "mandatory"
    assert AVAILABILITY_ZONES_SPREAD.enforcement(4) == "mandatory"


def test_a_roles_hosts_across_zones_are_peers_too() -> None:
    app = [switch("app-l", "cn-shanghai-l", zone="app"), switch("app-m", "cn-shanghai-m", zone="app")]
    plan = [*SPREAD, *app, vm("a", via="vsw-l"), vm("b", via="app-l", zone="app")]
    found = run(plan)
    assert [(s, c) for s, c, _ in found] == [("b", "CES-BAK-03")]
    assert found[0][2].startswith("the 2 log_audit_server hosts of zones app, mgmt (a (cn-shanghai-l), "
                                  "b (cn-shanghai-l)): all run in availability zone cn-shanghai-l")
    assert run([*plan[:-1], vm("b", via="app-m", zone="app")]) == []
