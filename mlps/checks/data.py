"""Cross-field checks of where data lives and how many machines keep it."""

from __future__ import annotations

from collections.abc import Iterator

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


register(core_data_onprem, storage_hosts_distinct)
