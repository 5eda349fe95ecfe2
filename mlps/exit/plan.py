"""The on-prem (or cloud) successor of a hybrid spec and the drill estimate of moving its data."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlps.checks.placement import core_buckets, core_workloads

GIB = 1 << 30
DAY_SECONDS = 86400
CORE_CONTROL, REGION_CONTROL = "CLD-DATA-01", "CLD-LOC-01"
_MAINLAND = re.compile(r"^cn-(?!hongkong)")
_HOSPITAL_KINDS = frozenset({"office", "edge"})
"""Zone kinds that are the hospital's own networks (workstations, line ends): never moved."""


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


def cloud_spec(data: dict[str, Any], names: list[str] | None = None
               ) -> tuple[dict[str, Any], list[str], list[str]]:
    """A copy of hybrid spec ``data`` with on-prem buckets (``names``, default all) in the cloud.

    The workloads that write a moved bucket move with it, into a cloud zone of the same kind,
    or else with their zone when it holds no host and nothing that stays (office and edge zones
    never move: they are the hospital's own networks). Buckets keep versioning, object lock and
    replicas; ``sse-s3`` becomes ``sse-kms`` (the on-prem store's key does not move; the
    hospital's cloud KMS key encrypts, CLD-KMS-01). Returns the new spec, one line per part
    moved, and one line per refusal: a bucket or workload holding core medical data
    (CLD-DATA-01 keeps it on-prem), a cloud region outside mainland China (CLD-LOC-01), a bucket
    the spec does not have on-prem, a workload with no cloud zone to go to.
    """
    out = copy.deepcopy(data)
    out["name"] = f"{data.get('name')}-cloud"
    moved: list[str] = []
    refused: list[str] = []
    cloud = data.get("cloud")
    region = cloud.get("region") if isinstance(cloud, dict) else None
    if not isinstance(region, str) or not _MAINLAND.match(region):
        refused.append(f"cloud.region {region} is not a mainland China region: {REGION_CONTROL} "
                       "keeps cloud data in China — set a cn- region first")
    onprem = {str(b.get("name")): b for b in _buckets(out) if b.get("placement") != "cloud"}
    chosen = list(dict.fromkeys(names)) if names else list(onprem)
    refused += [f"bucket {n}: no on-prem bucket of that name in the spec — check --bucket"
                for n in chosen if n not in onprem]
    core = {str(b.get("name")): reason for _, b, reason in core_buckets(data)}
    refused += [f"bucket {n} holds core medical data ({core[n] or 'data_class core'}): "
                f"{CORE_CONTROL} keeps it on-prem — leave it out (--bucket names the buckets "
                "that move)" for n in chosen if n in core]
    core_w = {str(w.get("name")): reason for _, w, reason in core_workloads(data)}
    writers = [w for w in _dicts(out.get("workloads"))
               if w.get("placement") != "cloud" and str(w.get("bucket")) in chosen]
    refused += [f"workload {w.get('name')} writes bucket {w.get('bucket')} and holds core medical "
                f"data ({core_w[str(w.get('name'))] or 'data_class core'}): {CORE_CONTROL} keeps "
                "it on-prem" for w in writers if str(w.get("name")) in core_w]
    if refused:
        return out, moved, refused
    for name in chosen:
        bucket = onprem[name]
        bucket["placement"] = "cloud"
        if bucket.get("encryption") == "sse-s3":
            bucket["encryption"] = "sse-kms"
            moved.append(f"bucket {name} (sse-s3 → sse-kms)")
        else:
            moved.append(f"bucket {name}")
    zones = {str(z.get("name")): z for z in _dicts(out.get("zones"))}
    leaving = {id(w) for w in writers}
    for w in writers:
        w["placement"] = "cloud"
        moved.append(f"workload {w.get('name')}")
        zone = zones.get(str(w.get("zone")))
        if zone is None or zone.get("placement") == "cloud":
            continue
        other = next((z for z in zones.values() if z.get("placement") == "cloud"
                      and z.get("kind") == zone.get("kind")), None)
        if other is not None:
            w["zone"] = other.get("name")
            moved[-1] += f" (zone {zone.get('name')} → {other.get('name')})"
            continue
        stays = [h for h in _dicts(out.get("hosts")) if h.get("zone") == zone.get("name")] + [
            o for o in _dicts(out.get("workloads")) if o.get("zone") == zone.get("name")
            and id(o) not in leaving]
        if stays or zone.get("kind") in _HOSPITAL_KINDS:
            refused.append(f"workload {w.get('name')} sits in on-prem zone {zone.get('name')} "
                           f"(kind {zone.get('kind')}), which stays, and no cloud zone of that kind "
                           "can take it — add one to the spec")
            continue
        zone["placement"] = "cloud"
        moved.append(f"zone {zone.get('name')}")
    return out, moved, refused


def moving_buckets(data: dict[str, Any], to: str, names: list[str] | None = None
                   ) -> list[dict[str, Any]]:
    """The buckets of ``data`` a move ``to`` the cloud or on-prem copies."""
    if to == "onprem":
        return cloud_buckets(data)
    return [b for b in _buckets(data) if b.get("placement") != "cloud"
            and (not names or str(b.get("name")) in names)]


def _buckets(data: dict[str, Any]) -> list[dict[str, Any]]:
    storage = data.get("object_storage")
    return _dicts(storage.get("buckets") if isinstance(storage, dict) else None)


def cloud_buckets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The buckets of ``data`` placed in the cloud (the ones the drill moves)."""
    return [b for b in _buckets(data) if b.get("placement") == "cloud"]


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


def line_mbps(data: dict[str, Any], direction: str = "down") -> list[tuple[str, float]]:
    """(name, Mbit/s) of every dedicated line in ``direction``, primary first: ``down`` towards
    the hospital (leaving the cloud), ``up`` towards the cloud (moving into it)."""
    links = sorted(_dicts(data.get("links")), key=lambda link: link.get("role") != "primary")
    out = []
    for link in links:
        bandwidth = link.get("bandwidth_mbps")
        rate = bandwidth.get(direction) if isinstance(bandwidth, dict) else bandwidth
        if isinstance(rate, int | float) and not isinstance(rate, bool) and rate > 0:
            out.append((str(link.get("name")), float(rate)))
    return out


def transfer_times(total_bytes: int, data: dict[str, Any], efficiency: float = 0.8,
                   direction: str = "down") -> list[LinkTime]:
    """Copy time over the primary line alone and over all lines together, in ``direction``.

    ``efficiency`` is the share of the line's rate an S3 copy achieves (protocol and TLS
    overhead, other traffic); 0.8 unless measured.
    """
    lines = line_mbps(data, direction)
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
