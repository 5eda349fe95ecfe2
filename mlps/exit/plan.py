"""The on-prem successor of a hybrid spec and the drill estimate of moving its data."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GIB = 1 << 30
DAY_SECONDS = 86400


def onprem_spec(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A copy of spec ``data`` with every cloud zone, workload and bucket placed on-prem.

    Returns the new spec and one line per part moved. Buckets keep versioning, object lock
    and encryption; a bucket encrypted with the cloud's KMS gets ``sse-s3`` (the key of the
    on-prem store), since the cloud KMS key does not move.
    """
    out = copy.deepcopy(data)
    moved: list[str] = []
    out["name"] = f"{data.get('name')}-onprem"
    out["layout"] = "onprem"
    for zone in _dicts(out.get("zones")):
        if zone.get("placement") == "cloud":
            zone["placement"] = "onprem"
            moved.append(f"zone {zone.get('name')}")
    cloud_zones = {z.get("name") for z in _dicts(data.get("zones")) if z.get("placement") == "cloud"}
    moved += [f"host {h.get('name')}" for h in _dicts(out.get("hosts")) if h.get("zone") in cloud_zones]
    for workload in _dicts(out.get("workloads")):
        if workload.get("placement") == "cloud":
            workload["placement"] = "onprem"
            moved.append(f"workload {workload.get('name')}")
    for bucket in cloud_buckets(out):
        bucket["placement"] = "onprem"
        if bucket.get("encryption") == "sse-kms":
            bucket["encryption"] = "sse-s3"
            moved.append(f"bucket {bucket.get('name')} (sse-kms → sse-s3)")
        else:
            moved.append(f"bucket {bucket.get('name')}")
    out.pop("cloud", None)
    return out, moved


def cloud_buckets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The buckets of ``data`` placed in the cloud (the ones the drill moves)."""
    storage = data.get("object_storage")
    buckets = storage.get("buckets") if isinstance(storage, dict) else None
    return [b for b in _dicts(buckets) if b.get("placement") == "cloud"]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass
class BucketCensus:
    """What one source bucket holds: objects (live keys), versions, delete markers, bytes."""

    name: str
    objects: int = 0
    versions: int = 0
    markers: int = 0
    bytes: int = 0
    locked: int = 0
    locked_until: datetime | None = None
    held: int = 0
    blocked: list[str] = field(default_factory=list)


@dataclass
class LinkTime:
    """Time to move ``total`` bytes over one line (or all lines together)."""

    name: str
    mbps: float
    seconds: float


def download_mbps(data: dict[str, Any]) -> list[tuple[str, float]]:
    """(name, Mbit/s towards the hospital) of every dedicated line, primary first."""
    links = sorted(_dicts(data.get("links")), key=lambda link: link.get("role") != "primary")
    out = []
    for link in links:
        bandwidth = link.get("bandwidth_mbps")
        down = bandwidth.get("down") if isinstance(bandwidth, dict) else bandwidth
        if isinstance(down, int | float) and not isinstance(down, bool) and down > 0:
            out.append((str(link.get("name")), float(down)))
    return out


def transfer_times(total_bytes: int, data: dict[str, Any], efficiency: float = 0.8) -> list[LinkTime]:
    """Copy time over the primary line alone and over all lines together.

    ``efficiency`` is the share of the line's rate an S3 copy achieves (protocol and TLS
    overhead, other traffic); 0.8 unless measured.
    """
    lines = download_mbps(data)
    if not lines:
        return []
    times = [_time(lines[0][0], lines[0][1], total_bytes, efficiency)]
    if len(lines) > 1:
        total = sum(mbps for _, mbps in lines)
        times.append(_time("+".join(name for name, _ in lines), total, total_bytes, efficiency))
    return times


def _time(name: str, mbps: float, total_bytes: int, efficiency: float) -> LinkTime:
    return LinkTime(name, mbps, total_bytes * 8 / (mbps * 1_000_000 * efficiency))


def duration(seconds: float) -> str:
    """``3d 4h``, ``5h 12m``, ``40s``: a copy time as people say it."""
    seconds = round(seconds)
    days, rest = divmod(seconds, DAY_SECONDS)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def time_warning(seconds: float) -> str | None:
    """A warning when the copy is too long for one maintenance night (days, or over 8 h)."""
    if seconds >= DAY_SECONDS:
        return (f"the copy takes {duration(seconds)}: days over the dedicated lines; plan a "
                "staged copy (run, then a final catch-up run) or ship disks")
    if seconds >= 8 * 3600:
        return f"the copy takes {duration(seconds)}: longer than one night's window"
    return None


@dataclass
class Capacity:
    """Raw capacity of the on-prem object storage, where it comes from, and what it leaves out."""

    gib: float
    source: str
    undeclared: list[str] = field(default_factory=list)


def declared_capacity(data: dict[str, Any]) -> Capacity | None:
    """The sum of ``capacity_gb`` over the on-prem ``object_storage`` hosts of spec ``data``.

    None when no such host declares it; hosts that do not are named (they count as 0).
    """
    cloud = {z.get("name") for z in _dicts(data.get("zones")) if z.get("placement") == "cloud"}
    hosts = [h for h in _dicts(data.get("hosts"))
             if "object_storage" in (h.get("roles") or []) and h.get("zone") not in cloud]
    declared = [h for h in hosts if isinstance(h.get("capacity_gb"), int | float)]
    if not declared:
        return None
    names = ", ".join(str(h.get("name")) for h in declared)
    return Capacity(float(sum(h["capacity_gb"] for h in declared)),
                    f"hosts[].capacity_gb of {names}",
                    [str(h.get("name")) for h in hosts if h not in declared])


def needed_bytes(buckets: list[tuple[int, int]]) -> int:
    """Raw bytes the copy takes: every bucket's bytes (all versions) × its replicas."""
    return sum(size * max(replicas, 1) for size, replicas in buckets)


def capacity_problem(needed: int, capacity: Capacity | None) -> str | None:
    """Why the on-prem store cannot take ``needed`` raw bytes, or None when it can (or is unknown)."""
    if capacity is None:
        return None
    if needed > capacity.gib * GIB:
        return (f"needs {needed} bytes ({needed / GIB:.3f} GiB, all versions × replicas) but "
                f"{capacity.source} gives {capacity.gib:g} GiB; add disks or hosts, or move "
                "fewer buckets (--capacity-gb overrides the spec)")
    return None


def capacity_warning(needed: int, capacity: Capacity | None, share: float = 0.85) -> str | None:
    """A warning when the copy fits but fills more than ``share`` of the store."""
    if capacity is None or needed > capacity.gib * GIB or needed <= share * capacity.gib * GIB:
        return None
    return (f"the copy fills {needed / (capacity.gib * GIB):.0%} of {capacity.gib:g} GiB "
            f"({capacity.source}): little room for new versions")
