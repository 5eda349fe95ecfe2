"""alicloud:oss/bucket:Bucket — versioning, WORM retention lock and encryption at rest."""

from __future__ import annotations

from collections.abc import Iterator

from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation

BUCKET = "alicloud:oss/bucket:Bucket"
WORM = "alicloud:oss/bucketWorm:BucketWorm"


def _check(bucket: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    name = bucket.props.get("bucket") or bucket.name
    if (bucket.props.get("versioning") or {}).get("status") != "Enabled":
        yield ("CES-INT-02", f"bucket {name} does not keep versions (versioning not Enabled)")
    worms = graph.referencing(WORM, "bucket", bucket)
    if not any(w.props.get("status") == "Locked" for w in worms):
        # An InProgress WORM policy can be withdrawn and lapses after 24 hours: not a lock.
        yield ("CES-INT-02", f"bucket {name} has no locked retention (BucketWorm status Locked)")
    sse = (bucket.props.get("serverSideEncryptionRule") or {}).get("sseAlgorithm")
    if sse not in ("KMS", "AES256", "SM4"):
        yield ("CES-CONF-02", f"bucket {name} has no default server-side encryption")


def _check_kms(bucket: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    rule = bucket.props.get("serverSideEncryptionRule") or {}
    tags = bucket.props.get("tags") or {}
    if tags.get("mlps:data-class") in ("core", "personal") and rule.get("sseAlgorithm") != "KMS":
        yield (
            "CLD-KMS-01",
            f"bucket {bucket.props.get('bucket') or bucket.name} holds "
            f"{tags.get('mlps:data-class')} data but is not encrypted with a cloud KMS key",
        )


BUCKET_PROTECTION = PlanPolicy(
    name="bucket_versioning_lock_encryption",
    description="Buckets keep versions, carry a WORM retention lock and encrypt at rest.",
    controls=("CES-INT-02", "CES-CONF-02"),
    levels=(3, 4),
    types=(BUCKET,),
    check=_check,
    needs_graph=True,
)

KMS_ENCRYPTION = PlanPolicy(
    name="kms_encryption",
    description="Buckets with core or personal data are encrypted with a key in the cloud KMS.",
    controls=("CLD-KMS-01",),
    levels=(3, 4),
    types=(BUCKET,),
    check=_check_kms,
)

POLICIES = (BUCKET_PROTECTION, KMS_ENCRYPTION)
