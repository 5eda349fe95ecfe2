"""Network boundary policies: every zone has a default-deny boundary, the internet enters a zone
only through a front door, every cluster enforces NetworkPolicy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from mlps.retention import LOG_MIN_DAYS
from policy.facts.boundaries import FirewallRule
from policy.facts.model import Facts
from policy.policies.environment.base import EnvironmentPolicy, Found, unmet


def _zones(facts: Facts, level: int) -> Iterator[Found]:
    for zone in facts.zones:
        guards = [b for b in facts.boundaries if b.provider == zone.provider and b.zone == zone.name]
        if not guards:
            for control in ("ABS-ACL-01", "CLD-ACL-01"):
                yield (
                    zone.subject,
                    (
                        control,
                        f"zone {zone.name} ({zone.cidr}) has no boundary: no firewall of the plan guards it",
                    ),
                )
        for b in guards:
            missing = unmet(
                (b.deny_ingress, "inbound traffic is not denied by default"),
                (b.deny_egress, "outbound traffic is not denied by default"),
                (b.isolates_members, "its members reach each other freely"),
            )
            if missing:
                for control in ("ABS-ACL-01", "CLD-ACL-01"):
                    yield (
                        b.subject,
                        (
                            control,
                            f"the boundary of zone {zone.name} does not deny by "
                            f"default: {'; '.join(missing)}",
                        ),
                    )


def _from_internet(rule: FirewallRule) -> bool:
    """An accepted inbound rule from a range of the internet's addresses (``0.0.0.0/1`` as much as
    ``0.0.0.0/0``, IPv6 too; private and shared ranges are the hospital's or the cloud's own)."""
    if rule.direction != "ingress" or rule.action != "accept" or rule.cidr in ("", "self"):
        return False
    try:
        net = ipaddress.ip_network(rule.cidr, strict=False)
    except ValueError:
        return True  # a source it cannot read is judged open
    return net.is_global


def _front_doors(facts: Facts, level: int) -> Iterator[Found]:
    zones = {(z.provider, z.name) for z in facts.zones}
    for b in facts.boundaries:
        if (b.provider, b.zone) not in zones:
            continue
        for rule in filter(_from_internet, b.rules):
            low, high = rule.ports
            ports = str(low) if low == high else f"{low}-{high}"
            for control in ("ABS-BOUND-01", "CLD-ACL-01"):
                yield (
                    b.subject,
                    (
                        control,
                        f"zone {b.zone} admits {rule.cidr} on {rule.protocol} {ports} to its own "
                        "hosts: the internet must end on a load balancer in front of the zone "
                        "(WAF, access logs, a firewall at the internet boundary), not on the hosts",
                    ),
                )
    sinks = {s.name: s for s in facts.log_sinks}
    for door in facts.front_doors:
        sink = sinks.get(door.access_log or "")
        days = sink.retention_days if sink is not None else None
        missing = unmet(
            (door.inspects_requests, "no web application firewall inspects its requests"),
            (door.access_log is not None, "its access logs go nowhere"),
            (door.access_log is None or (days is not None and days >= LOG_MIN_DAYS),
             f"its access logs go to {door.access_log}, kept "
             f"{'an unknown time' if days is None else f'{days} days'}, not {LOG_MIN_DAYS}"),
            (not door.unguarded, "no firewall at the internet boundary denies by default in front "
             f"of its public address(es) {', '.join(door.unguarded)}"),
        )
        if missing:
            for control in ("ABS-BOUND-01", "CLD-ACL-01"):
                yield (
                    door.subject,
                    (control, f"the front door {door.name} of zone {door.zone}: {'; '.join(missing)}"),
                )


def _cluster_network_policy(facts: Facts, level: int) -> Iterator[Found]:
    for c in facts.clusters:
        if c.enforces_network_policy:
            continue
        plugin = (
            f"its network plugin {c.network_plugin} does not"
            if c.network_plugin
            else "the plan names no network plugin, and the provider's default does not"
        )
        yield (
            c.subject,
            (
                "K8S-NETPOL-01",
                f"cluster {c.name}: {plugin} enforce NetworkPolicy, so the namespaces' "
                "default-deny policies are not applied (the plugin is fixed when the cluster is created)",
            ),
        )


def _cluster_api(facts: Facts, level: int) -> Iterator[Found]:
    for c in facts.clusters:
        if c.public_api:
            yield c.subject, (
                "ABS-ACL-03",
                f"cluster {c.name}: its API server (an administrative service, SMC-CEN-02) answers on "
                "an internet address; keep it on the VPC's own addresses",
            )


ZONE_BOUNDARY_DEFAULT_DENY = EnvironmentPolicy(
    name="zone_boundary_default_deny",
    description="Every zone has a boundary that denies inbound, outbound and member traffic by default.",
    controls=("ABS-ACL-01", "CLD-ACL-01"),
    levels=(2, 3, 4),
    check=_zones,
)

INTERNET_FRONT_DOOR = EnvironmentPolicy(
    name="internet_front_door",
    description="The internet enters a cloud zone only through a load balancer with a web application "
    f"firewall, access logs kept {LOG_MIN_DAYS} days and a default-deny firewall on its public addresses.",
    controls=("ABS-BOUND-01", "CLD-ACL-01"),
    levels=(2, 3, 4),
    check=_front_doors,
)

CLUSTER_API_PRIVATE = EnvironmentPolicy(
    name="cluster_api_private",
    description="No managed Kubernetes cluster's API server answers on an internet address.",
    controls=("ABS-ACL-03",),
    levels=(2, 3, 4),
    check=_cluster_api,
)

CLUSTER_NETWORK_POLICY_ENFORCED = EnvironmentPolicy(
    name="cluster_network_policy_enforced",
    description="Every managed Kubernetes cluster has a network plugin that enforces NetworkPolicy.",
    controls=("K8S-NETPOL-01",),
    levels=(2, 3, 4),
    check=_cluster_network_policy,
)
