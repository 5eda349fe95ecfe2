"""Hot redundancy across availability zones (GB/T 22239-2019 8.1.4.9 c, CES-BAK-03): a zone whose
subnets all lie in one availability zone, hosts sharing a role in a zone that all run in one (or
wherever the scheduler puts them), and a node pool confined to one, are each lost with that one
availability zone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from mlps.roles import every_host
from policy.facts.boundaries import Zone
from policy.facts.model import Cluster, Facts, Instance, NodePool
from policy.policies.environment.base import EnvironmentPolicy, Found

CONTROL = "CES-BAK-03"


def _zones(facts: Facts) -> Iterator[Found]:
    bound: dict[tuple[str, str], list[str]] = defaultdict(list)
    first: dict[tuple[str, str], Zone] = {}
    for zone in facts.zones:
        if zone.availability_zone is None:
            continue  # a subnet spanning the availability zones (OpenStack) confines nothing
        key = (zone.provider, zone.name)
        bound[key].append(zone.availability_zone)
        first.setdefault(key, zone)
    for key, azs in bound.items():
        if len(set(azs)) < 2:
            zone = first[key]
            yield (
                zone.subject,
                (
                    CONTROL,
                    f"zone {zone.name}: every subnet lies in availability zone {azs[0]}, so the "
                    "zone goes down with it; give cloud.availability_zones a second one",
                ),
            )


def _where(i: Instance) -> str:
    return i.availability_zone or "wherever the scheduler puts it"


def _hosts(facts: Facts) -> Iterator[Found]:
    """Peers are the hosts of a role in one zone, and the hosts of a role across the zones of a
    cloud (two audit servers in two zones are copies of one store all the same)."""
    peers: dict[tuple[str, str, str], list[Instance]] = defaultdict(list)
    for i in facts.instances:
        for role in i.roles:
            if role not in every_host():  # the baseline runs on every host: no peers by it
                peers[(i.provider, f"zone {i.zone or '(none)'}", role)].append(i)
                peers[(i.provider, "", role)].append(i)
    for (_, zone, role), group in peers.items():
        zones = sorted({i.zone or "(none)" for i in group})
        if len(group) < 2 or (not zone and len(zones) < 2):
            continue  # across zones only when the role's hosts are in several (else judged per zone)
        zone = zone or f"zones {', '.join(zones)}"
        placed = {i.availability_zone for i in group}
        if len(placed) >= 2 and None not in placed:
            continue
        unplaced = [i.name for i in group if i.availability_zone is None]
        why = (
            f"{', '.join(unplaced)} name no availability zone, so the scheduler may put them together"
            if unplaced
            else f"all run in availability zone {group[0].availability_zone}"
        )
        names = ", ".join(f"{i.name} ({_where(i)})" for i in group)
        yield (
            group[1].subject,
            (
                CONTROL,
                f"the {len(group)} {role} hosts of {zone} ({names}): {why}; one "
                "availability zone failing takes every copy. Give one an address in the range of "
                "another availability zone (mlps.availability)",
            ),
        )


def _pool_defects(pool: NodePool, clusters: dict[str, Cluster]) -> Iterator[str]:
    if len(pool.availability_zones) < 2:
        where = pool.availability_zones[0] if pool.availability_zones else "no known availability zone"
        yield f"has vSwitches in {where} only"
    elif not pool.balanced:
        yield f"fills its vSwitches in order, so its nodes may all start in {pool.availability_zones[0]}"
    if pool.size is not None and pool.size < 2:
        yield f"runs {pool.size} node(s), which one availability zone holds"
    cluster = clusters.get(pool.cluster or "")
    if cluster is not None and cluster.pod_availability_zones is not None:
        bare = [az for az in pool.availability_zones if az not in cluster.pod_availability_zones]
        if bare:
            yield (f"has nodes in {', '.join(bare)}, where cluster {cluster.name} has no pod vSwitch, "
                   "so no pod runs there")


def _pools(facts: Facts) -> Iterator[Found]:
    clusters = {c.subject.urn: c for c in facts.clusters}
    for pool in facts.node_pools:
        defects = list(_pool_defects(pool, clusters))
        if defects:
            yield (
                pool.subject,
                (
                    CONTROL,
                    f"node pool {pool.name} of zone {pool.zone or '(none)'} {'; '.join(defects)}: its "
                    "workloads' replicas all go down with one availability zone",
                ),
            )


def _spread(facts: Facts, level: int) -> Iterator[Found]:
    yield from _zones(facts)
    yield from _hosts(facts)
    yield from _pools(facts)


AVAILABILITY_ZONES_SPREAD = EnvironmentPolicy(
    name="availability_zones_spread",
    description=(
        "Every zone has subnets in two availability zones or more, hosts sharing a role in a zone "
        "run in different ones, and every node pool spans two or more."
    ),
    controls=(CONTROL,),
    levels=(3, 4),
    check=_spread,
)
