"""alicloud:ecs/securityGroup:SecurityGroup — deny by default (CLD-ACL-01, ABS-ACL-01)."""

from __future__ import annotations

from collections.abc import Iterator

from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation

GROUP = "alicloud:ecs/securityGroup:SecurityGroup"
RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"


def _denies_all_egress(rule: PlanResource) -> bool:
    p = rule.props
    return (
        p.get("type") == "egress"
        and p.get("policy") == "drop"
        and p.get("ipProtocol") == "all"
        and p.get("cidrIp") == "0.0.0.0/0"
    )


def _check(group: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    name = group.props.get("securityGroupName") or group.name
    if group.props.get("innerAccessPolicy") != "Drop":
        for control in ("CLD-ACL-01", "ABS-ACL-01"):
            yield (control, f"security group {name} lets its members reach each other freely")
    rules = graph.referencing(RULE, "securityGroupId", group)
    if not any(_denies_all_egress(r) for r in rules):
        for control in ("CLD-ACL-01", "ABS-ACL-01"):
            yield (control, f"security group {name} has no final deny-all egress rule")


SECURITY_GROUP_DEFAULT_DENY = PlanPolicy(
    name="security_group_default_deny",
    description="Security groups drop traffic between members and end with an egress deny-all.",
    controls=("CLD-ACL-01", "ABS-ACL-01"),
    levels=(2, 3, 4),
    types=(GROUP,),
    check=_check,
    needs_graph=True,
)

POLICIES = (SECURITY_GROUP_DEFAULT_DENY,)
