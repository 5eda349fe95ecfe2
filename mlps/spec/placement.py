"""Placements the layout cannot build: an on-prem layout has no cloud to put anything in.

``mlps synth`` builds an on-prem layout from on-prem parts only, so a zone, host, workload or
bucket still placed in the cloud would silently vanish from the plan. Such a spec is unusable
input (exit 2), one problem per part. (An off-site backup copy may still be kept in a China
cloud region: it is a copy the hospital ships out, not a part synth builds.)
"""

from __future__ import annotations

from typing import Any

from mlps.spec.shape import ShapeProblem

_HINT = "set placement: onprem on it, remove it, or keep layout: hybrid until it has moved"


def _entries(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


def layout_problems(data: Any) -> list[ShapeProblem]:
    """Every part a layout of ``onprem`` cannot build, in spec order."""
    if not isinstance(data, dict) or data.get("layout") != "onprem":
        return []
    problems: list[ShapeProblem] = []
    cloud_zones: set[str] = set()
    for i, zone in _entries(data.get("zones")):
        if zone.get("placement") == "cloud":
            cloud_zones.add(str(zone.get("name")))
            problems.append(ShapeProblem(
                f"/zones/{i}/placement",
                f"zone '{zone.get('name')}' is placed in the cloud but layout is onprem", _HINT))
    for i, host in _entries(data.get("hosts")):
        if str(host.get("zone")) in cloud_zones:
            problems.append(ShapeProblem(
                f"/hosts/{i}/zone",
                f"host '{host.get('name')}' is in cloud zone '{host.get('zone')}' but layout is "
                "onprem", "move the host to an on-prem zone, or keep layout: hybrid"))
    for i, workload in _entries(data.get("workloads")):
        if workload.get("placement") == "cloud":
            problems.append(ShapeProblem(
                f"/workloads/{i}/placement",
                f"workload '{workload.get('name')}' is placed in the cloud but layout is onprem",
                _HINT))
    storage = data.get("object_storage")
    buckets = storage.get("buckets") if isinstance(storage, dict) else None
    for i, bucket in _entries(buckets):
        if bucket.get("placement") == "cloud":
            problems.append(ShapeProblem(
                f"/object_storage/buckets/{i}/placement",
                f"bucket '{bucket.get('name')}' is placed in the cloud but layout is onprem",
                _HINT))
    return problems
