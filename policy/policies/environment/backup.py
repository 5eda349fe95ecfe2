"""Backup policies (GB/T 22239-2019 8.1.4.9): every cloud instance and bucket in a running backup
plan meeting the spec's RPO and kept long enough, every bucket of core or personal data copied to
another mainland region.

Only clouds offering managed backup (``stacks.capabilities``) are judged: on another cloud the
hospital's own backup copies the hosts and buckets, which the plan cannot show and ``mlps synth``
states as a notice. The audit archive buckets are records themselves, kept under a locked
retention (CES-AUDIT-03), and an off-site copy is the backup of its source: a bucket is one only
when the plan builds it as the copy of a bucket it builds and replicates that bucket into it.
Each instance, bucket and plan gets at most one finding, however many clouds the plan builds in.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.facts.model import BackupPlan, Bucket, Facts, Replication, mainland
from policy.policies.environment.base import EnvironmentPolicy, Found
from stacks.capabilities import CAPABILITIES, Capability

MIN_BACKUP_DAYS = 30
"""CES-BAK-01: backups kept at least 30 days."""
COPIED = ("core", "personal")
AUDIT = "audit"


def _managed(provider: str) -> bool:
    return Capability.MANAGED_BACKUP in CAPABILITIES.get(provider, frozenset())


def _copies(facts: Facts) -> set[tuple[str, str]]:
    """(provider, bucket) of the off-site copies the plan builds: tagged as the copy of a bucket
    the plan builds, which replicates into it."""
    built = {(b.provider, b.name) for b in facts.buckets}
    return {
        (r.provider, r.target)
        for r in facts.replications
        if r.built_as_copy and {(r.provider, r.source), (r.provider, r.target)} <= built
    }


def _hours(hours: float) -> str:
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


def _plan_problems(plan: BackupPlan) -> list[str]:
    """Why ``plan`` does not keep its instance or bucket backed up (empty: it does)."""
    problems = []
    if not plan.enabled:
        problems.append("is disabled")
    if plan.retention_days is None:
        problems.append("states no retention in whole days")
    elif plan.retention_days < MIN_BACKUP_DAYS:
        problems.append(f"keeps backups {plan.retention_days} days, fewer than {MIN_BACKUP_DAYS}")
    if plan.interval_hours is None:
        problems.append("repeats at no readable interval")
    elif plan.rpo_hours is None:
        problems.append(
            f"runs every {_hours(plan.interval_hours)}, but no RPO (backup.rpo_hours) is given to judge it by"
        )
    elif plan.interval_hours > plan.rpo_hours:
        problems.append(
            f"runs every {_hours(plan.interval_hours)}, longer than the RPO of {_hours(plan.rpo_hours)}"
        )
    return problems


def _backed_up(facts: Facts, level: int) -> Iterator[Found]:
    plans = {(p.provider, p.kind, p.target) for p in facts.backup_plans}
    for i in facts.instances:
        if _managed(i.provider) and (i.provider, "instance", i.name) not in plans:
            yield i.subject, ("CES-BAK-01", f"instance {i.name} is in no backup plan")
    copies = _copies(facts)
    for b in facts.buckets:
        if not _managed(b.provider) or b.data_class == AUDIT or (b.provider, b.name) in copies:
            continue
        if (b.provider, "bucket", b.name) not in plans:
            yield b.subject, ("CES-BAK-01", f"bucket {b.name} is in no backup plan")
    for p in facts.backup_plans:
        problems = _plan_problems(p)
        if problems:
            yield p.subject, ("CES-BAK-01", f"the backup plan of {p.kind} {p.target} {'; '.join(problems)}")


def _replication_problems(facts: Facts, r: Replication) -> list[str]:
    """Why replication ``r`` is no sound copy of its source (empty: it is one)."""
    problems = []
    if r.target_region == r.source_region or not mainland(r.target_region):
        problems.append(
            f"its copy {r.target} is in {r.target_region or 'no region'}, not another mainland region"
        )
    if not r.writes_only:
        problems.append(f"its copy {r.target} receives deletions too (replication action not PUT)")
    target = next((b for b in facts.buckets if b.provider == r.provider and b.name == r.target), None)
    if target is None:
        problems.append(f"its copy {r.target} is not built by the plan")
    elif not (target.versioning and target.encrypted):
        problems.append(f"its copy {r.target} is not versioned and encrypted")
    return problems


def _copy_problems(facts: Facts, bucket: Bucket) -> list[str]:
    """Why ``bucket`` has no sound copy in another mainland region (empty: it has one)."""
    replications = [
        r for r in facts.replications if r.provider == bucket.provider and r.source == bucket.name
    ]
    if not replications:
        return ["it is copied to no other region"]
    problems = []
    for r in replications:
        found = _replication_problems(facts, r)
        if not found:
            return []
        problems += found
    return problems


def _offsite(facts: Facts, level: int) -> Iterator[Found]:
    copies = _copies(facts)
    for b in facts.buckets:
        if not _managed(b.provider) or b.data_class not in COPIED or (b.provider, b.name) in copies:
            continue
        problems = _copy_problems(facts, b)
        if problems:
            yield (
                b.subject,
                ("CES-BAK-02", f"bucket {b.name} holds {b.data_class} data but {'; '.join(problems)}"),
            )


CLOUD_BACKUP_PLANS = EnvironmentPolicy(
    name="cloud_backup_plans",
    description=(
        "Every cloud instance and bucket is in a running backup plan repeating within the spec's RPO "
        f"and keeping backups {MIN_BACKUP_DAYS} days or more."
    ),
    controls=("CES-BAK-01",),
    levels=(2, 3, 4),
    check=_backed_up,
)

OFFSITE_BUCKET_COPIES = EnvironmentPolicy(
    name="offsite_bucket_copies",
    description=(
        "Every bucket of core or personal data is copied as written, writes only, to a versioned, "
        "encrypted bucket in another mainland region."
    ),
    controls=("CES-BAK-02",),
    levels=(2, 3, 4),
    check=_offsite,
)
