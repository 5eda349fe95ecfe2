"""Cross-field checks of where data lives and how many machines, and availability zones, keep it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from mlps.availability import fits, parts, placed
from mlps.checks.placement import core_data_placed_onprem
from mlps.checks.registry import Problem, Spec, items, register, section
from mlps.normalise import fold, normal_address
from mlps.roles import every_host

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
    """Cloud or hybrid layout: the hosts sharing a role in a cloud zone, and across the cloud
    zones, do not all run in one availability zone, by where their addresses lie
    (mlps.availability); the roles every host runs (the baseline) make no peers. The plan policy
    availability_zones_spread asks the same."""
    azs = section(spec, "cloud").get("availability_zones")
    if spec.get("layout") not in ("cloud", "hybrid") or not isinstance(azs, list) or len(azs) < 2:
        return  # one availability zone or none: the catalog's schema rule reports it
    zones = _cloud_zones(spec)
    peers: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    for j, host in items(spec, "hosts"):
        zone = zones.get(str(host.get("zone")))
        roles = host.get("roles")
        if zone is None or not fits(zone[1], azs) or not isinstance(roles, list):
            continue  # a zone too small to cut is an input error (mlps.spec.integrity)
        where = _placed(host, zone[1], azs)
        if where is None:
            continue
        for role in roles:
            if role not in every_host():
                for key in (str(host.get("zone")), ""):
                    peers.setdefault((key, str(role)), []).append((j, str(host.get("zone")), where[0]))
    for (zone_name, role), group in peers.items():
        placed = {az for _, _, az in group}
        spans = sorted({z for _, z, _ in group})
        if len(group) < 2 or len(placed) >= 2 or (not zone_name and len(spans) < 2):
            continue  # across zones only when the role's hosts are in several (else judged per zone)
        j, own, az = group[1]
        free = [f"{part} ({a})" for a, part in parts(zones[own][1], azs) if a != az]
        where_zh = f"区域 {zone_name}" if zone_name else f"区域 {'、'.join(spans)}"
        where_en = f"zone {zone_name}" if zone_name else f"zones {', '.join(spans)}"
        yield (
            f"/hosts/{j}/address",
            f"{where_zh} 中承担 {role} 的 {len(group)} 台主机都在可用区 {az}，该可用区故障时全部失去；"
            f"把 /hosts/{j} 的地址改到另一可用区的网段：{'、'.join(free)}。",
            f"the {len(group)} {role} hosts of {where_en} all run in availability zone {az}, so "
            f"one availability zone failing takes them all; give /hosts/{j} an address in the range of "
            f"another availability zone: {', '.join(free)}.",
        )


register(core_data_onprem, storage_hosts_distinct, cloud_hosts_spread)
