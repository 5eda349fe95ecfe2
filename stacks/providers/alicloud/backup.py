"""Backup (GB/T 22239-2019 8.1.4.9): an HBR vault under the environment's key with a plan per
instance and bucket the provider built, automatic snapshots of the system disks, and a copy of
every bucket of core or personal data in a second mainland region."""

from __future__ import annotations

import json

import pulumi
import pulumi_alicloud as ali

from stacks.model import Backup, Bucket
from stacks.naming import res
from stacks.providers.alicloud.base import KEEP, AlicloudBase, hsm_key, key_spec, service_trust
from stacks.providers.alicloud.storage import tls_only_policy

PLAN_START = 1735664400
"""2025-01-01 01:00 (UTC+8): the first run of every backup plan, which then repeats each RPO."""
OFFSITE_REGIONS: dict[str, str] = {
    "cn-hangzhou": "cn-shanghai",
    "cn-shanghai": "cn-hangzhou",
    "cn-beijing": "cn-zhangjiakou",
    "cn-zhangjiakou": "cn-beijing",
    "cn-shenzhen": "cn-guangzhou",
    "cn-guangzhou": "cn-shenzhen",
    "cn-chengdu": "cn-wulanchabu",
    "cn-wulanchabu": "cn-chengdu",
}
"""The second region of each mainland region, far enough for a regional disaster."""
COPIED = ("core", "personal")
"""Data classes whose buckets are copied to the second region."""
RPO_TAG = "mlps:rpo-hours"
"""The vault's tag stating the spec's ``backup.rpo_hours`` its plans must meet."""


def offsite_region(region: str, wanted: str | None) -> str:
    """Where the off-site copies go: the spec's ``backup.offsite.region`` when it names another
    region, else the region paired with ``region`` (Hangzhou for a region without a pair)."""
    if wanted and wanted != region:
        return wanted
    return OFFSITE_REGIONS.get(region, "cn-shanghai" if region == "cn-hangzhou" else "cn-hangzhou")


def schedule(backup: Backup) -> str:
    """The HBR schedule running a backup every RPO (at least hourly)."""
    return f"I|{PLAN_START}|PT{max(backup.rpo_hours, 1)}H"


def snapshot_hours(backup: Backup) -> list[str]:
    """The hours (UTC+8) of the automatic snapshots: every RPO from 01:00."""
    return [str(h % 24) for h in range(1, 25, max(backup.rpo_hours, 1))]


def replication_policy(buckets: list[str], regions: tuple[str, str], keys: list[str]) -> str:
    """RAM policy of OSS replication: replicate between ``buckets``, use the two ``keys`` (source
    region's, copies' region's) and nothing else."""
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [f"oss:Replicate{a}" for a in ("List", "Get", "Put", "Delete")],
                    "Resource": [r for b in buckets for r in (f"acs:oss:*:*:{b}", f"acs:oss:*:*:{b}/*")],
                },
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    "Resource": [f"acs:kms:{r}:*:key/{k}" for r, k in zip(regions, keys, strict=True)],
                },
            ],
        },
        sort_keys=True,
    )


class Backups(AlicloudBase):
    def backup(self, backup: Backup, parent: pulumi.Resource) -> None:
        """Local backup of every instance and bucket built into a vault under the backup key, then
        the off-site copies."""
        if backup.local:
            self._local_backup(backup, self.encryption_key("backup", parent), parent)
        copies = [(b, oss) for b, oss in self._buckets if b.data_class in COPIED]
        if backup.offsite and copies:
            # The replication reads the sources under the buckets' key.
            self._offsite_copies(copies, offsite_region(self.region, backup.offsite_region),
                                 self.encryption_key("buckets", parent), parent)

    def _local_backup(self, backup: Backup, key: pulumi.Output[str], parent: pulumi.Resource) -> None:
        """A plan per instance and bucket into a KMS-encrypted immutable vault (tagged with the RPO),
        every RPO, kept ``backup.retention_days``; system disks snapshotted on the same rhythm."""
        vault = ali.hbr.Vault(
            res(self.env, "hbr-vault"),
            vault_name=res(self.env, "backup"),
            vault_type="STANDARD",
            encrypt_type="KMS",
            kms_key_id=key,
            worm_enabled=True,
            description=f"{self.env}: backups of the cloud instances and buckets",
            tags={RPO_TAG: str(backup.rpo_hours)},
            opts=self._opts(parent, **KEEP),
        )
        days = str(backup.retention_days)
        snapshots = None
        if self._instances:
            snapshots = ali.ecs.AutoSnapshotPolicy(
                res(self.env, "snapshots"),
                auto_snapshot_policy_name=res(self.env, "snapshots"),
                repeat_weekdays=[str(d) for d in range(1, 8)],
                time_points=snapshot_hours(backup),
                retention_days=backup.retention_days,
                opts=self._opts(parent),
            )
        for host, instance in self._instances:
            client = ali.hbr.EcsBackupClient(
                res(self.env, "hbr-client", host.name),
                instance_id=instance.id,
                data_network_type="VPC",
                use_https=True,
                opts=self._opts(parent),
            )
            ali.hbr.EcsBackupPlan(
                res(self.env, "hbr-ecs", host.name),
                ecs_backup_plan_name=res(self.env, host.name),
                instance_id=instance.id,
                vault_id=vault.id,
                backup_type="COMPLETE",
                schedule=schedule(backup),
                retention=days,
                opts=self._opts(parent, depends_on=[client]),
            )
            if snapshots is not None:
                ali.ecs.EcsAutoSnapshotPolicyAttachment(
                    res(self.env, "snapshots", host.name),
                    auto_snapshot_policy_id=snapshots.id,
                    disk_id=instance.system_disk_id,
                    opts=self._opts(parent),
                )
        for bucket, oss in self._buckets:
            ali.hbr.OssBackupPlan(
                res(self.env, "hbr-oss", bucket.name),
                oss_backup_plan_name=res(self.env, bucket.name),
                bucket=oss.bucket,
                vault_id=vault.id,
                backup_type="COMPLETE",
                schedule=schedule(backup),
                retention=days,
                opts=self._opts(parent),
            )

    def _offsite_copies(
        self,
        copies: list[tuple[Bucket, ali.oss.Bucket]],
        region: str,
        source_key: pulumi.Output[str],
        parent: pulumi.Resource,
    ) -> None:
        """Each bucket replicated as written (RTC: within minutes) to ``<bucket>-offsite`` in
        ``region``: versioned, encrypted under a key of that region, locked like its source,
        guarded, tagged ``mlps:copy-of`` and kept (KEEP) like its key, so destroying the stack
        leaves the copies. Only writes are replicated, so a deletion at the source leaves the copy."""
        provider = self._region_provider(res(self.env, "alicloud", "offsite"), region, parent)

        def opts(**kw: object) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=parent, provider=provider, **kw)  # type: ignore[arg-type]

        key = hsm_key(
            res(self.env, "kms", "offsite"),
            f"{self.env}: encryption at rest of the off-site copies",
            opts(**KEEP),
            key_spec(self.key_algorithm, "buckets"),
            "buckets",
        )
        targets = {b.name: f"{b.name}-offsite" for b, _ in copies}
        role = self._replication_role(targets, (source_key, key.id), region, parent)
        for bucket, oss in copies:
            name = targets[bucket.name]
            target = ali.oss.Bucket(
                res(self.env, "oss", name),
                bucket=name,
                versioning=ali.oss.BucketVersioningArgs(status="Enabled"),
                server_side_encryption_rule=ali.oss.BucketServerSideEncryptionRuleArgs(
                    sse_algorithm="KMS", kms_master_key_id=key.id, kms_data_encryption=self._sm4_data()
                ),
                redundancy_type="ZRS" if bucket.replicas > 1 else "LRS",
                tags={"mlps:data-class": bucket.data_class, "mlps:copy-of": bucket.name},
                opts=opts(**KEEP),
            )
            if bucket.lock_mode != "none":
                ali.oss.BucketWorm(
                    res(self.env, "oss", name, "worm"),
                    bucket=target.bucket,
                    retention_period_in_days=bucket.lock_days,
                    status="Locked",
                    opts=opts(**KEEP),
                )
            ali.oss.BucketPublicAccessBlock(
                res(self.env, "oss", name, "public-block"),
                bucket=target.bucket,
                block_public_access=True,
                opts=opts(),
            )
            # Access logs stay in the bucket's region: the copy logs into itself.
            ali.oss.BucketLogging(
                res(self.env, "oss", name, "logging"),
                bucket=target.bucket,
                target_bucket=target.bucket,
                target_prefix="access-logs/",
                opts=opts(),
            )
            ali.oss.BucketPolicy(
                res(self.env, "oss", name, "tls-only"),
                bucket=target.bucket,
                policy=tls_only_policy(name),
                opts=opts(),
            )
            ali.oss.BucketReplication(
                res(self.env, "oss", bucket.name, "replication"),
                bucket=oss.bucket,
                destination=ali.oss.BucketReplicationDestinationArgs(
                    bucket=target.bucket, location=f"oss-{region}"
                ),
                action="PUT",
                historical_object_replication="enabled",
                rtc=ali.oss.BucketReplicationRtcArgs(enabled=True),
                sync_role=role.role_name,
                source_selection_criteria=ali.oss.BucketReplicationSourceSelectionCriteriaArgs(
                    sse_kms_encrypted_objects=ali.oss.BucketReplicationSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                        status="Enabled"
                    )
                ),
                encryption_configuration=ali.oss.BucketReplicationEncryptionConfigurationArgs(
                    replica_kms_key_id=key.id
                ),
                opts=self._opts(parent),
            )

    def _replication_role(
        self,
        targets: dict[str, str],
        keys: tuple[pulumi.Output[str], pulumi.Output[str]],
        region: str,
        parent: pulumi.Resource,
    ) -> ali.ram.Role:
        """The RAM role OSS replicates with: reading the sources, writing the copies, using the
        keys of both regions, nothing else."""
        name = res(self.env, "oss-replication")
        buckets = sorted([*targets, *targets.values()])
        role = ali.ram.Role(
            res(self.env, "ram", "oss-replication"),
            role_name=name,
            assume_role_policy_document=service_trust("oss.aliyuncs.com"),
            description=f"{self.env}: OSS cross-region replication to the off-site copies",
            opts=self._opts(parent),
        )
        policy = ali.ram.Policy(
            res(self.env, "ram", "oss-replication-policy"),
            policy_name=name,
            policy_document=pulumi.Output.all(*keys).apply(
                lambda ids: replication_policy(buckets, (self.region, region), ids)
            ),
            description=f"{self.env}: what OSS replication may do",
            opts=self._opts(parent),
        )
        ali.ram.RolePolicyAttachment(
            res(self.env, "ram", "oss-replication-attachment"),
            role_name=role.role_name,
            policy_name=policy.policy_name,
            policy_type="Custom",
            opts=self._opts(parent),
        )
        return role
