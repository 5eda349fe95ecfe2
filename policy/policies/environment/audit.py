"""Audit trail policies: every cloud's trail is delivered, kept long enough and archived locked."""

from __future__ import annotations

from collections.abc import Iterator

from mlps.retention import LOG_MIN_DAYS
from policy.facts.model import AuditTrail, Bucket, Cloud, Facts, LogSink
from policy.policies.environment.base import EnvironmentPolicy, Found
from policy.policies.environment.gaps import gap_unmet
from stacks.capabilities import Capability


def _trails(facts: Facts, cloud: Cloud) -> list[AuditTrail]:
    return [t for t in facts.trails if t.provider == cloud.provider and t.enabled]


def _destination(facts: Facts, trail: AuditTrail, kind: str, name: str) -> LogSink | Bucket | None:
    pool: list[LogSink] | list[Bucket] = facts.log_sinks if kind == "log_store" else facts.buckets
    return next((d for d in pool if d.provider == trail.provider and d.name == name), None)


def _kept(sink: LogSink | Bucket) -> int:
    return sink.kept_days if isinstance(sink, Bucket) else sink.retention_days or 0


def _where(cloud: Cloud) -> str:
    return f"{cloud.provider} ({cloud.region or 'no region'})"


def _audit_trail(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.accounts():
        if facts.gap(cloud.provider, Capability.AUDIT_TRAIL) is not None:
            continue
        trails = _trails(facts, cloud)
        if not trails:
            yield (
                cloud.subject,
                (
                    "CLD-AUDIT-01",
                    f"no enabled audit trail records the management operations on {_where(cloud)}",
                ),
            )
        for t in trails:
            if not t.all_regions:
                yield t.subject, ("CLD-AUDIT-01", f"audit trail {t.name} does not cover every region")
            if not any(_destination(facts, t, d.kind, d.name) for d in t.destinations):
                yield (
                    t.subject,
                    (
                        "CLD-AUDIT-01",
                        f"audit trail {t.name} delivers to nothing the plan "
                        "builds (only the provider's short event history)",
                    ),
                )


def _audit_retention(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.accounts():
        if facts.gap(cloud.provider, Capability.AUDIT_TRAIL) is not None:
            continue
        trails = _trails(facts, cloud)
        if not trails:
            yield (
                cloud.subject,
                (
                    "SMC-CEN-04",
                    f"no audit trail of {_where(cloud)} delivers to a "
                    f"destination kept {LOG_MIN_DAYS} days or more",
                ),
            )
        for t in trails:
            kept = {d.name: _destination(facts, t, d.kind, d.name) for d in t.destinations}
            if any(s is not None and _kept(s) >= LOG_MIN_DAYS for s in kept.values()):
                continue
            held = (
                ", ".join(
                    f"{n}: {'not in the plan' if s is None else f'{_kept(s)} days'}" for n, s in kept.items()
                )
                or "no destination"
            )
            yield (
                t.subject,
                (
                    "SMC-CEN-04",
                    f"audit trail {t.name} delivers to no destination kept "
                    f"{LOG_MIN_DAYS} days or more ({held})",
                ),
            )


def _audit_archive(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.accounts():
        if facts.gap(cloud.provider, Capability.AUDIT_TRAIL) is not None:
            continue
        for t in _trails(facts, cloud):
            names = [d.name for d in t.destinations if d.kind == "bucket"]
            if not names:
                yield t.subject, ("CES-AUDIT-03", f"audit trail {t.name} keeps no copy in a locked bucket")
            for name in names:
                bucket = _destination(facts, t, "bucket", name)
                if not isinstance(bucket, Bucket):
                    yield (
                        t.subject,
                        (
                            "CES-AUDIT-03",
                            f"audit trail {t.name} delivers to bucket {name}, which the plan does not build",
                        ),
                    )
                    continue
                problems = []
                if not bucket.public_access_blocked:
                    problems.append("public access is not blocked")
                if not bucket.access_logging:
                    problems.append("access is not logged")
                if facts.gap(cloud.provider, Capability.OBJECT_LOCK) is not None:
                    unmet = gap_unmet(facts, cloud, Capability.OBJECT_LOCK, "object lock")
                    problems += [unmet] if unmet else []
                elif bucket.lock != "locked":
                    problems.append("its retention is not locked")
                if problems:
                    yield (
                        bucket.subject,
                        (
                            "CES-AUDIT-03",
                            f"bucket {name} archives audit trail {t.name} but {'; '.join(problems)}",
                        ),
                    )


AUDIT_TRAIL_DELIVERED = EnvironmentPolicy(
    name="audit_trail_delivered",
    description=(
        "Every cloud has an enabled audit trail over all regions delivering to a store the plan builds."
    ),
    controls=("CLD-AUDIT-01",),
    levels=(2, 3, 4),
    check=_audit_trail,
)

AUDIT_TRAIL_RETENTION = EnvironmentPolicy(
    name="audit_trail_retention",
    description=f"The audit trail delivers to a destination kept at least {LOG_MIN_DAYS} days.",
    controls=("SMC-CEN-04",),
    levels=(3, 4),
    check=_audit_retention,
)

AUDIT_ARCHIVE_PROTECTED = EnvironmentPolicy(
    name="audit_archive_protected",
    description=(
        "The audit trail keeps a copy in a private bucket with a locked retention and access logging."
    ),
    controls=("CES-AUDIT-03",),
    levels=(2, 3, 4),
    check=_audit_archive,
)
