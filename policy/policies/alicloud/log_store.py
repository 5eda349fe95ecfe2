"""alicloud:log/store:Store — audit logs kept at least 180 days (SMC-CEN-04)."""

from __future__ import annotations

from collections.abc import Iterator

from mlps.retention import LOG_MIN_DAYS
from policy.facts.values import whole
from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation


def _check(store: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    days = store.props.get("retentionPeriod")
    kept = whole(days)
    name = store.props.get("logstoreName") or store.name
    if kept is None:
        yield ("SMC-CEN-04", f"log store {name} states no readable retention "
               f"(retentionPeriod {days!r}); set at least {LOG_MIN_DAYS} days")
    elif kept < LOG_MIN_DAYS:
        yield ("SMC-CEN-04", f"log store {name} keeps logs {kept} days, less than {LOG_MIN_DAYS}")


LOG_RETENTION = PlanPolicy(
    name="log_retention",
    description=f"Log stores keep audit records at least {LOG_MIN_DAYS} days.",
    controls=("SMC-CEN-04",),
    levels=(3, 4),
    types=("alicloud:log/store:Store",),
    check=_check,
)

POLICIES = (LOG_RETENTION,)
