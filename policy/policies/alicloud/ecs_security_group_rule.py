"""alicloud:ecs/securityGroupRule:SecurityGroupRule — no management port open to the world."""

from __future__ import annotations

from collections.abc import Iterator

from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation

MANAGEMENT_PORTS = (22, 23, 3389, 5900, 5985, 5986, 6443, 2379, 10250)
ANYWHERE = ("0.0.0.0/0", "::/0")


def _ports(port_range: str) -> range:
    low, _, high = port_range.partition("/")
    first, last = int(low), int(high or low)
    if first < 0:
        return range(1, 65536)
    return range(first, last + 1)


def _check(rule: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    p = rule.props
    if p.get("type") != "ingress" or p.get("policy", "accept") != "accept":
        return
    if p.get("cidrIp") not in ANYWHERE and p.get("ipv6CidrIp") not in ANYWHERE:
        return
    ports = _ports(str(p.get("portRange") or "-1/-1"))
    exposed = [port for port in MANAGEMENT_PORTS if port in ports]
    if exposed:
        yield (
            "ABS-ACL-03",
            f"security group rule {rule.name} opens management port(s) {exposed} to 0.0.0.0/0",
        )


NO_PUBLIC_MGMT_PORTS = PlanPolicy(
    name="no_public_mgmt_ports",
    description=(
        "No security group rule opens SSH, RDP, VNC, WinRM, kube-apiserver, etcd or kubelet to 0.0.0.0/0."
    ),
    controls=("ABS-ACL-03",),
    levels=(2, 3, 4),
    types=("alicloud:ecs/securityGroupRule:SecurityGroupRule",),
    check=_check,
)

POLICIES = (NO_PUBLIC_MGMT_PORTS,)
