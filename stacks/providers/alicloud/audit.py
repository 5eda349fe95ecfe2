"""The central log store and ActionTrail with its destinations."""

from __future__ import annotations

import pulumi
import pulumi_alicloud as ali

from stacks.naming import res
from stacks.providers.alicloud.base import KEEP
from stacks.providers.alicloud.storage import Storage

TRAIL_RETENTION_DAYS = 180
"""Days the audit trail's log store and archive bucket keep events (Cybersecurity Law art. 21)."""
OFFLINE_ACCOUNT = "[account]"
"""The account id an offline synthesis shows in ARNs (no cloud answers the account lookup)."""


class Audit(Storage):
    def log_store(self, retention_days: int, parent: pulumi.Resource) -> pulumi.Output[str]:
        project = ali.log.Project(
            res(self.env, "log-project"),
            project_name=self.project_name,
            description=f"{self.env}: central audit logs",
            opts=self._opts(parent, **KEEP),
        )
        ali.log.Store(
            res(self.env, "log-store"),
            project_name=project.project_name,
            logstore_name="audit",
            retention_period=retention_days,
            shard_count=2,
            auto_split=True,
            append_meta=True,
            opts=self._opts(parent, **KEEP),
        )
        return project.project_name

    def audit_trail(self, parent: pulumi.Resource) -> pulumi.Resource:
        """ActionTrail over every region, delivering to an SLS log store and to a private bucket,
        both kept ``TRAIL_RETENTION_DAYS`` (the bucket under a locked retention)."""
        name = res(self.env, "trail")
        project = ali.log.Project(
            res(self.env, "trail-project"),
            project_name=res(self.env, "actiontrail"),
            description=f"{self.env}: cloud audit trail",
            opts=self._opts(parent, **KEEP),
        )
        # ActionTrail writes into the store actiontrail_<trail name> of the project it names.
        store = ali.log.Store(
            res(self.env, "trail-store"),
            project_name=project.project_name,
            logstore_name=f"actiontrail_{name}",
            retention_period=TRAIL_RETENTION_DAYS,
            shard_count=2,
            auto_split=True,
            append_meta=True,
            opts=self._opts(parent, **KEEP),
        )
        self._access_log_bucket(parent)
        archive = self._records_bucket("actiontrail", TRAIL_RETENTION_DAYS, parent)
        account = ali.get_account_output(opts=pulumi.InvokeOutputOptions(provider=self.provider)).id
        arn = pulumi.Output.all(account, project.project_name).apply(
            lambda a: f"acs:log:{self.region}:{a[0] or OFFLINE_ACCOUNT}:project/{a[1]}"
        )
        return ali.actiontrail.Trail(
            name,
            trail_name=name,
            event_rw="All",
            trail_region="All",
            sls_project_arn=arn,
            oss_bucket_name=archive.bucket,
            oss_key_prefix="actiontrail",
            status="Enable" if self.audit else "Disable",
            opts=self._opts(parent, depends_on=[store]),
        )
