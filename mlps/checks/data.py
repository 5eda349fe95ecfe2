"""Cross-field checks of where data lives and how many machines, and availability zones, keep it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from mlps.availability import fits, parts, placed
from mlps.checks.placement import core_data_placed_onprem
from mlps.checks.registry import Problem, Spec, items, register, section
from mlps.normalise import fold, normal_address

SELF_HOSTED = ("seaweedfs", "ceph")
"""Object-storage backends that run on the spec's own object_storage hosts."""


def core_data_onprem(spec: Spec, level: int) -> Iterator[Problem]:
    """Hybrid layout: buckets and workloads holding core medical data, by label or by the kind
    of system (see mlps.checks.placement), are placed on-prem."""
    yield from core_data_placed_onprem(spec, level)


def storage_hosts_distinct(spec: Spec, level: int) -> Iterator[Problem]:
    """The object_storage hosts that keep the copies are distinct machines: an entry whose
    folded name or canonical address repeats an earlier one adds no copy, so three entries on
    two machines are two copies."""
    storage = section(spec, "object_storage")
    buckets = storage.get("buckets")
    if storage.get("backend", "seaweedfs") not in SELF_HOSTED or not buckets:
        return
    servers = [(i, h) for i, h in items(spec, "hosts")
               if isinstance(h.get("roles"), list) and "object_storage" in h["roles"]]
    if len(servers) < 3:
        return  # fewer than three entries: the catalog's schema rule reports it
    seen: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []
    for i, host in servers:
        keys = [k for k in (fold(host.get("name", "")), normal_address(host.get("address", ""))) if k]
        first = next((seen[k] for k in keys if k in seen), None)
        if first is not None:
            repeats.append((i, first))
        for k in keys:
            seen.setdefault(k, i if first is None else first)
    distinct = len(servers) - len(repeats)
    if distinct >= 3:
        return
    for i, first in repeats:
        yield (
            f"/hosts/{i}",
            f"object_storage 主机 /hosts/{i} 与 /hosts/{first} 名称或地址相同，是同一台机器，"
            f"不增加副本：院内对象存储实际只有 {distinct} 台主机；为它配置独立的主机名和地址，"
            "使至少三台不同的主机承担 object_storage 角色。",
            f"object_storage host /hosts/{i} has the name or address of /hosts/{first}, so it is "
            f"the same machine and adds no copy: on-prem object storage has only {distinct} "
            "distinct host(s); give it its own host name and address so that at least three "
            "distinct hosts carry the object_storage role.",
        )


def _cloud_zones(spec: Spec) -> dict[str, tuple[int, str]]:
    """Cloud zones by name: (index, range) of each with a readable range."""
    found = {}
    for i, zone in items(spec, "zones"):
        cidr = zone.get("cidr")
        if zone.get("placement") != "cloud" or not isinstance(cidr, str):
            continue
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue  # zones_well_formed reports it
        found[str(zone.get("name"))] = (i, cidr)
    return found


def _placed(host: dict[str, Any], cidr: str, azs: list[str]) -> tuple[str, str] | None:
    try:
        return placed(str(host.get("address")), cidr, azs)
    except ValueError:
        return None  # no address: the schema and hosts_distinct report it


def cloud_hosts_spread(spec: Spec, level: int) -> Iterator[Problem]:
    """Cloud or hybrid layout: each cloud zone's range can be cut across ``cloud.availability_zones``,
    and hosts sharing a role in a cloud zone run in as many different availability zones as
    there are hosts (up to the number named), by where their addresses lie (mlps.availability)."""
    azs = section(spec, "cloud").get("availability_zones")
    if spec.get("layout") not in ("cloud", "hybrid") or not isinstance(azs, list) or len(azs) < 2:
        return  # one availability zone or none: the catalog's schema rule reports it
    zones = _cloud_zones(spec)
    for name, (i, cidr) in zones.items():
        if not fits(cidr, azs):
            yield (
                f"/zones/{i}/cidr",
                f"云上区域 {name} 的网段 {cidr} 太小，"
                f"无法为 {len(azs)} 个可用区各切出至少 /29 的网段；扩大该网段。",
                f"cloud zone {name}: {cidr} is too small to give each of the {len(azs)} availability "
                "zones a /29 or larger part; widen the range.",
            )
    peers: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    for j, host in items(spec, "hosts"):
        zone = zones.get(str(host.get("zone")))
        roles = host.get("roles")
        if zone is None or not fits(zone[1], azs) or not isinstance(roles, list):
            continue
        where = _placed(host, zone[1], azs)
        if where is None:
            continue
        for role in roles:
            peers.setdefault((str(host.get("zone")), str(role)), []).append((j, *where))
    for (zone_name, role), group in peers.items():
        used: list[str] = []
        for j, az, _ in group:
            if az in used and len(set(used)) < len(azs):
                free = [f"{part} ({a})" for a, part in parts(zones[zone_name][1], azs) if a not in used]
                yield (
                    f"/hosts/{j}/address",
                    f"区域 {zone_name} 中承担 {role} 的主机 /hosts/{j} 与同角色主机同在可用区 {az}，"
                    f"该可用区故障时全部失去；把它的地址改到另一可用区的网段：{'、'.join(free)}。",
                    f"/hosts/{j} carries {role} in zone {zone_name} in availability zone {az}, where "
                    f"another {role} host already runs, so one availability zone failing takes both; "
                    f"give it an address in the range of another availability zone: {', '.join(free)}.",
                )
            used.append(az)


register(core_data_onprem, storage_hosts_distinct, cloud_hosts_spread)
