"""Backup policies (GB/T 22239-2019 8.1.4.9): every cloud instance and bucket in a backup plan
kept long enough, every bucket of core or personal data copied to another mainland region.

Only clouds offering managed backup (``stacks.capabilities``) are judged: on another cloud the
hospital's own backup copies the hosts and buckets, which the plan cannot show and ``mlps synth``
states as a notice. The audit archive buckets are records themselves, kept under a locked
retention (CES-AUDIT-03), and an off-site copy is the backup of its source.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.facts.model import Bucket, Facts, mainland
from policy.policies.environment.base import EnvironmentPolicy, Found
from stacks.capabilities import CAPABILITIES, Capability

MIN_BACKUP_DAYS = 30
"""CES-BAK-01: backups kept at least 30 days."""
COPIED = ("core", "personal")
AUDIT = "audit"


def _managed(provider: str) -> bool:
    return Capability.MANAGED_BACKUP in CAPABILITIES.get(provider, frozenset())


def _copies(facts: Facts) -> set[tuple[str, str]]:
    return {(r.provider, r.target) for r in facts.replications}


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
        if p.retention_days is not None and p.retention_days < MIN_BACKUP_DAYS:
            yield (
                p.subject,
                (
                    "CES-BAK-01",
                    f"the backup plan of {p.kind} {p.target} keeps backups {p.retention_days} days, "
                    f"fewer than {MIN_BACKUP_DAYS}",
                ),
            )


def _copy_problems(facts: Facts, bucket: Bucket) -> list[str]:
    """Why ``bucket`` has no sound copy in another mainland region (empty: it has one)."""
    replications = [
        r for r in facts.replications if r.provider == bucket.provider and r.source == bucket.name
    ]
    if not replications:
        return ["it is copied to no other region"]
    problems = []
    for r in replications:
        if r.target_region == r.source_region or not mainland(r.target_region):
            problems.append(f"its copy {r.target} is in {r.target_region or 'no region'}, "
                            "not another mainland region")
            continue
        target = next((b for b in facts.buckets if b.provider == r.provider and b.name == r.target), None)
        if target is None:
            problems.append(f"its copy {r.target} is not built by the plan")
        elif not (target.versioning and target.encrypted):
            problems.append(f"its copy {r.target} is not versioned and encrypted")
        else:
            return []
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
        f"Every cloud instance and bucket is in a backup plan keeping backups {MIN_BACKUP_DAYS} days or more."
    ),
    controls=("CES-BAK-01",),
    levels=(2, 3, 4),
    check=_backed_up,
)

OFFSITE_BUCKET_COPIES = EnvironmentPolicy(
    name="offsite_bucket_copies",
    description=(
        "Every bucket of core or personal data is copied as written to a versioned, encrypted "
        "bucket in another mainland region."
    ),
    controls=("CES-BAK-02",),
    levels=(2, 3, 4),
    check=_offsite,
)
