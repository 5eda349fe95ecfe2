"""Data storage policies: record buckets locked, buckets private, logged and TLS-only, buckets and
disks encrypted at rest."""

from __future__ import annotations

from collections.abc import Iterator

from mlps.checks.placement import record_reason
from policy.facts.model import Bucket, Cloud, Facts
from policy.policies.environment.base import EnvironmentPolicy, Found
from policy.policies.environment.gaps import gap_unmet
from stacks.capabilities import Capability

SENSITIVE = ("core", "personal")


def holds_records(bucket: Bucket) -> str | None:
    """Why ``bucket`` holds medical records or images (data class core, or its name), or None."""
    if bucket.data_class == "core":
        return "data class core"
    return record_reason({"name": bucket.name})


def _cloud_of(facts: Facts, provider: str) -> Cloud | None:
    return next((c for c in facts.clouds if c.provider == provider), None)


def _records_locked(facts: Facts, level: int) -> Iterator[Found]:
    for bucket in facts.buckets:
        why = holds_records(bucket)
        if why is None:
            continue
        cloud = _cloud_of(facts, bucket.provider)
        if cloud is not None and facts.gap(cloud.provider, Capability.OBJECT_LOCK) is not None:
            unmet = gap_unmet(facts, cloud, Capability.OBJECT_LOCK, "object lock")
            if unmet:
                yield (
                    bucket.subject,
                    (
                        "CES-INT-02",
                        f"bucket {bucket.name} holds medical records or images ({why}) but {unmet}",
                    ),
                )
            continue
        if not bucket.versioning:
            yield (
                bucket.subject,
                (
                    "CES-INT-02",
                    f"bucket {bucket.name} holds medical records or images ({why}) but keeps no versions",
                ),
            )
        if bucket.lock != "locked":
            state = (
                "an unlocked retention policy, which can be withdrawn and lapses"
                if bucket.lock == "unlocked"
                else "no retention policy"
            )
            yield (
                bucket.subject,
                (
                    "CES-INT-02",
                    f"bucket {bucket.name} holds medical records or images "
                    f"({why}) but has {state}; only a locked one keeps "
                    "them unaltered",
                ),
            )


def _bucket_access(facts: Facts, level: int) -> Iterator[Found]:
    for b in facts.buckets:
        if not b.public_access_blocked:
            yield b.subject, ("CES-PII-02", f"bucket {b.name} does not block public access")
        if not b.access_logging:
            yield b.subject, ("CES-AUDIT-01", f"bucket {b.name} does not log access")


def _bucket_tls(facts: Facts, level: int) -> Iterator[Found]:
    for b in facts.buckets:
        if not b.tls_only:
            yield (
                b.subject,
                ("CES-CONF-01", f"bucket {b.name} has no policy refusing requests made without TLS"),
            )


def _encryption(facts: Facts, level: int) -> Iterator[Found]:
    keys = {k.id: k for k in facts.keys if k.custody != "provider"}
    for b in facts.buckets:
        if not b.encrypted:
            yield b.subject, ("CES-CONF-02", f"bucket {b.name} is not encrypted at rest")
        elif b.data_class in SENSITIVE and b.key not in keys:
            where = "a provider-held key" if b.key is None else f"key {b.key}, not a customer key of the plan"
            yield b.subject, ("CLD-KMS-01", f"bucket {b.name} holds {b.data_class} data under {where}")
    for i in facts.instances:
        if not i.disk_encrypted:
            yield i.subject, ("CES-CONF-02", f"instance {i.name} has an unencrypted disk")
        elif i.disk_key not in keys:
            where = (
                "a provider-held key"
                if i.disk_key is None
                else f"key {i.disk_key}, not a customer key of the plan"
            )
            yield i.subject, ("CLD-KMS-01", f"instance {i.name} encrypts its disk under {where}")


RECORD_BUCKETS_LOCKED = EnvironmentPolicy(
    name="record_buckets_locked",
    description="Every bucket holding medical records or images keeps versions under a locked retention.",
    controls=("CES-INT-02",),
    levels=(3, 4),
    check=_records_locked,
)

BUCKET_ACCESS_GUARDED = EnvironmentPolicy(
    name="bucket_access_guarded",
    description="Every bucket blocks public access and logs access.",
    controls=("CES-PII-02", "CES-AUDIT-01"),
    levels=(2, 3, 4),
    check=_bucket_access,
)

BUCKET_TLS_ONLY = EnvironmentPolicy(
    name="bucket_tls_only",
    description="Every bucket's policy refuses requests made without TLS.",
    controls=("CES-CONF-01",),
    levels=(3, 4),
    check=_bucket_tls,
)

ENCRYPTION_AT_REST = EnvironmentPolicy(
    name="encryption_at_rest",
    description=(
        "Buckets and disks are encrypted; core and personal data and disks under a customer key of the plan."
    ),
    controls=("CES-CONF-02", "CLD-KMS-01"),
    levels=(3, 4),
    check=_encryption,
)


def _key_uses(facts: Facts) -> dict[str, set[str]]:
    """Key URN -> the purposes the plan's buckets, disks and log stores use it for."""
    uses: dict[str, set[str]] = {}
    for b in facts.buckets:
        if b.key:
            uses.setdefault(b.key, set()).add("buckets")
    for i in facts.instances:
        if i.disk_key:
            uses.setdefault(i.disk_key, set()).add("disks")
    for s in facts.log_sinks:
        if s.key:
            uses.setdefault(s.key, set()).add("logs")
    return uses


def _keys_per_purpose(facts: Facts, level: int) -> Iterator[Found]:
    uses = _key_uses(facts)
    for key in facts.keys:
        kinds = sorted(uses.get(key.id, ()))
        if len(kinds) > 1:
            yield key.subject, ("CLD-KMS-01", f"one key encrypts {' and '.join(kinds)}: disabling, "
                                "rotating or granting it reaches all of them (one key per purpose)")
        elif kinds and key.purpose is not None and key.purpose != kinds[0]:
            yield key.subject, ("CLD-KMS-01", f"the key made for {key.purpose} encrypts {kinds[0]}")


KEYS_PER_PURPOSE = EnvironmentPolicy(
    name="keys_per_purpose",
    description=(
        "Disks, buckets and log stores are each encrypted under keys of their own purpose, "
        "never one shared key."
    ),
    controls=("CLD-KMS-01",),
    levels=(3, 4),
    check=_keys_per_purpose,
)
