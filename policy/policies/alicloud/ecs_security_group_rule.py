"""alicloud:ecs/securityGroupRule:SecurityGroupRule — no administrative port open to the world,
whether the rule names the range itself or a prefix list of the plan holding it.

The administrative services are the spec check's own list (``ADMIN_PORTS`` of
:mod:`mlps.checks.admin`, documented in SMC-CEN-02), compared by protocol and port range.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlps.checks.admin import ADMIN_PORTS
from policy.facts.alicloud_network import prefix_ranges
from policy.facts.values import EVERY_PORT, port_range
from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation

ANYWHERE = ("0.0.0.0/0", "::/0")
SHOWN = 3  # administrative services named in one message; the rest are counted


def _check(rule: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    p = rule.props
    if p.get("type") != "ingress" or p.get("policy", "accept") != "accept":
        return
    peers = [p.get("cidrIp"), p.get("ipv6CidrIp")]
    if not any(peers) and not p.get("sourceSecurityGroupId"):
        peers += prefix_ranges(graph, rule) or []  # a prefix list the plan builds, by its ranges
    if not set(peers) & set(ANYWHERE):
        return
    first, last = port_range(p.get("portRange") or "-1/-1") or EVERY_PORT
    protocol = str(p.get("ipProtocol") or "all").lower()
    protocols = {"tcp", "udp"} if protocol == "all" else {protocol}
    exposed = [a.label() for a in ADMIN_PORTS
               if a.protocol in protocols and a.first <= last and first <= a.last]
    if exposed:
        named = ", ".join(exposed[:SHOWN]) + (f" and {len(exposed) - SHOWN} more"
                                              if len(exposed) > SHOWN else "")
        yield (
            "ABS-ACL-03",
            f"security group rule {rule.name} opens administrative port(s) {named} to 0.0.0.0/0",
        )


NO_PUBLIC_MGMT_PORTS = PlanPolicy(
    name="no_public_mgmt_ports",
    description=(
        "No security group rule opens an administrative service (SSH, RDP, VNC, WinRM, database "
        "administration, kube-apiserver, etcd, kubelet …: SMC-CEN-02's list) to 0.0.0.0/0."
    ),
    controls=("ABS-ACL-03",),
    levels=(2, 3, 4),
    types=("alicloud:ecs/securityGroupRule:SecurityGroupRule",),
    check=_check,
    needs_graph=True,
)

POLICIES = (NO_PUBLIC_MGMT_PORTS,)
