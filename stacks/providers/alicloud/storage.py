"""Buckets: the spec's, and the environment's own audit buckets, all guarded and access-logged."""

from __future__ import annotations

import json

import pulumi
import pulumi_alicloud as ali

from mlps.retention import LOG_MIN_DAYS
from stacks.model import Bucket
from stacks.naming import res
from stacks.providers.alicloud.base import KEEP, AlicloudBase


def tls_only_policy(bucket: str) -> str:
    """OSS bucket policy refusing every request made without TLS (``acs:SecureTransport``)."""
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": ["oss:*"],
                    "Principal": ["*"],
                    "Resource": [f"acs:oss:*:*:{bucket}", f"acs:oss:*:*:{bucket}/*"],
                    "Condition": {"Bool": {"acs:SecureTransport": ["false"]}},
                }
            ],
        },
        sort_keys=True,
    )


class Storage(AlicloudBase):
    def _guard(
        self, oss: ali.oss.Bucket, part: str, name: str, logs: pulumi.Input[str], parent: pulumi.Resource
    ) -> None:
        """Bucket ``name`` (resources named after ``part``): public access blocked, access logged
        into ``logs``, requests without TLS refused."""
        ali.oss.BucketPublicAccessBlock(
            res(self.env, "oss", part, "public-block"),
            bucket=oss.bucket,
            block_public_access=True,
            opts=self._opts(parent),
        )
        ali.oss.BucketLogging(
            res(self.env, "oss", part, "logging"),
            bucket=oss.bucket,
            target_bucket=logs,
            target_prefix=f"{name}/",
            opts=self._opts(parent),
        )
        ali.oss.BucketPolicy(
            res(self.env, "oss", part, "tls-only"),
            bucket=oss.bucket,
            policy=tls_only_policy(name),
            opts=self._opts(parent),
        )

    def _records_bucket(self, part: str, days: int, parent: pulumi.Resource) -> ali.oss.Bucket:
        """The environment's own audit bucket ``<env>-<part>``: versioned, encrypted, guarded, under
        a locked retention of ``days``, logging its access into the access-log bucket."""
        name = res(self.env, part)
        oss = ali.oss.Bucket(
            res(self.env, "oss", part),
            bucket=name,
            versioning=ali.oss.BucketVersioningArgs(status="Enabled"),
            server_side_encryption_rule=ali.oss.BucketServerSideEncryptionRuleArgs(sse_algorithm="AES256"),
            redundancy_type="ZRS",
            tags={"mlps:data-class": "audit"},
            opts=self._opts(parent, **KEEP),
        )
        ali.oss.BucketWorm(
            res(self.env, "oss", part, "worm"),
            bucket=oss.bucket,
            retention_period_in_days=days,
            status="Locked",
            opts=self._opts(parent, **KEEP),
        )
        logs = oss.bucket if self._access_logs is None else self._access_logs.bucket
        self._guard(oss, part, name, logs, parent)
        return oss

    def _access_log_bucket(self, parent: pulumi.Resource) -> ali.oss.Bucket:
        """The bucket receiving every bucket's access log (itself included), created once."""
        if self._access_logs is None:
            self._access_logs = self._records_bucket("access-logs", LOG_MIN_DAYS, parent)
        return self._access_logs

    def bucket(self, bucket: Bucket, key: pulumi.Output[str], parent: pulumi.Resource) -> ali.oss.Bucket:
        locked = bucket.lock_mode != "none"
        oss = ali.oss.Bucket(
            res(self.env, "oss", bucket.name),
            bucket=bucket.name,
            versioning=ali.oss.BucketVersioningArgs(status="Enabled" if bucket.versioning else "Suspended"),
            server_side_encryption_rule=ali.oss.BucketServerSideEncryptionRuleArgs(
                sse_algorithm="KMS", kms_master_key_id=key, kms_data_encryption=self._sm4_data()
            )
            if bucket.encryption == "sse-kms"
            else ali.oss.BucketServerSideEncryptionRuleArgs(sse_algorithm="AES256"),
            redundancy_type="ZRS" if bucket.replicas > 1 else "LRS",
            tags={"mlps:data-class": bucket.data_class},
            opts=self._opts(parent, **(KEEP if locked else {})),
        )
        if locked:
            # OSS has one WORM mode: COMPLIANCE and GOVERNANCE both get a locked policy, since an
            # unlocked one (InProgress) can be withdrawn and lapses after 24 hours.
            ali.oss.BucketWorm(
                res(self.env, "oss", bucket.name, "worm"),
                bucket=oss.bucket,
                retention_period_in_days=bucket.lock_days,
                status="Locked",
                opts=self._opts(parent, **KEEP),
            )
        self._guard(oss, bucket.name, bucket.name, self._access_log_bucket(parent).bucket, parent)
        self._buckets.append((bucket, oss))
        return oss
