"""Network boundary policies: every zone has a default-deny boundary, every cluster enforces
NetworkPolicy."""

from __future__ import annotations

from collections.abc import Iterator

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


ZONE_BOUNDARY_DEFAULT_DENY = EnvironmentPolicy(
    name="zone_boundary_default_deny",
    description="Every zone has a boundary that denies inbound, outbound and member traffic by default.",
    controls=("ABS-ACL-01", "CLD-ACL-01"),
    levels=(2, 3, 4),
    check=_zones,
)

CLUSTER_NETWORK_POLICY_ENFORCED = EnvironmentPolicy(
    name="cluster_network_policy_enforced",
    description="Every managed Kubernetes cluster has a network plugin that enforces NetworkPolicy.",
    controls=("K8S-NETPOL-01",),
    levels=(2, 3, 4),
    check=_cluster_network_policy,
)
