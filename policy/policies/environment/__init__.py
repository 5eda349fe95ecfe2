"""Environment policies: what the whole plan must contain, judged on neutral facts.

A per-resource policy cannot see what is missing; these can. Each reads the facts every adapter
of :mod:`policy.facts` found and reports a missing trail, boundary or lock as a finding on the
resource that should have had it (the cloud, the zone, the bucket). What an environment policy is
lives in :mod:`.base`; the policies, by subject, in :mod:`.audit`, :mod:`.network`, :mod:`.storage`,
:mod:`.backup`, :mod:`.gaps` (a capability the cloud lacks and the role standing in for it),
:mod:`.detection` (flow logs, log stores encrypted and indexed, alerts on management events),
redundancy across availability zones in :mod:`.availability`, the reachability of every flow
the spec needs (and of nothing else) in :mod:`.reach`,
the cloud's own accounts in :mod:`.identity`, the cloud end of the dedicated lines in
:mod:`.lines`, and where the plan builds (regions, instances' networks and images) in
:mod:`.placement`.
"""

from __future__ import annotations

from policy.policies.environment import (
    audit,
    availability,
    backup,
    detection,
    gaps,
    identity,
    lines,
    network,
    placement,
    reach,
    storage,
)

POLICIES = (
    placement.CHINA_REGION,
    placement.INSTANCE_NETWORK,
    placement.APPROVED_IMAGE,
    audit.AUDIT_TRAIL_DELIVERED,
    audit.AUDIT_TRAIL_RETENTION,
    audit.AUDIT_ARCHIVE_PROTECTED,
    network.ZONE_BOUNDARY_DEFAULT_DENY,
    network.INTERNET_FRONT_DOOR,
    reach.REQUIRED_FLOWS_PERMITTED,
    storage.RECORD_BUCKETS_LOCKED,
    storage.BUCKET_ACCESS_GUARDED,
    storage.BUCKET_TLS_ONLY,
    storage.ENCRYPTION_AT_REST,
    storage.KEYS_PER_PURPOSE,
    gaps.STAND_INS_PRESENT,
    network.CLUSTER_NETWORK_POLICY_ENFORCED,
    network.CLUSTER_API_PRIVATE,
    identity.CLOUD_PASSWORD_POLICY,
    identity.CLOUD_LOGIN_MFA,
    identity.CLOUD_ADMIN_ROLES_SEPARATED,
    identity.PROVIDER_ASSUMES_ROLE,
    backup.CLOUD_BACKUP_PLANS,
    backup.OFFSITE_BUCKET_COPIES,
    detection.NETWORK_FLOW_LOGS,
    detection.FLOW_LOG_RETENTION,
    detection.LOG_STORES_ENCRYPTED_INDEXED,
    detection.MANAGEMENT_ALERTS,
    detection.HOST_THREAT_DETECTION,
    lines.DEDICATED_LINES_REDUNDANT,
    lines.LINE_FAILOVER_DETECTION,
    availability.AVAILABILITY_ZONES_SPREAD,
)
"""In registration order (the order the pack and ``mlps synth`` report them in)."""
