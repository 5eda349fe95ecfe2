"""alicloud:log/store:Store — audit logs kept at least 180 days (SMC-CEN-04)."""

from __future__ import annotations

from collections.abc import Iterator

from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation

MIN_RETENTION_DAYS = 180
"""Cybersecurity Law art. 21 and GB/T 22239-2019 8.1.5.4 d: network logs kept ≥ 6 months."""


def _check(store: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    days = store.props.get("retentionPeriod")
    if days is None or int(days) < MIN_RETENTION_DAYS:
        yield (
            "SMC-CEN-04",
            f"log store {store.props.get('logstoreName') or store.name} keeps logs "
            f"{days} days, less than {MIN_RETENTION_DAYS}",
        )


LOG_RETENTION = PlanPolicy(
    name="log_retention",
    description=f"Log stores keep audit records at least {MIN_RETENTION_DAYS} days.",
    controls=("SMC-CEN-04",),
    levels=(3, 4),
    types=("alicloud:log/store:Store",),
    check=_check,
)

POLICIES = (LOG_RETENTION,)
