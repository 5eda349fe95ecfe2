"""alicloud:actiontrail/trail:Trail — the cloud's operations are audited (CLD-AUDIT-01)."""

from __future__ import annotations

from collections.abc import Iterator

from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation


def _check(trail: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    props = trail.props
    if props.get("status") != "Enable":
        yield ("CLD-AUDIT-01", f"audit trail {trail.name} is not enabled")
    if props.get("eventRw") not in (None, "All"):
        yield ("CLD-AUDIT-01", f"audit trail {trail.name} records only {props['eventRw']} events")


AUDIT_TRAIL = PlanPolicy(
    name="audit_trail_enabled",
    description="The cloud audit trail is on and records read and write events.",
    controls=("CLD-AUDIT-01",),
    levels=(2, 3, 4),
    types=("alicloud:actiontrail/trail:Trail",),
    check=_check,
)

POLICIES = (AUDIT_TRAIL,)
