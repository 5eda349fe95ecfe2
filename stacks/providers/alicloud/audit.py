"""The central log store and ActionTrail with its destinations."""

from __future__ import annotations

import pulumi
import pulumi_alicloud as ali

from mlps.retention import LOG_MIN_DAYS
from stacks.naming import res
from stacks.providers.alicloud.base import KEEP
from stacks.providers.alicloud.events import TRAIL_JSON_FIELD
from stacks.providers.alicloud.sls import LogStores
from stacks.providers.alicloud.storage import Storage

AUDIT_FIELDS = ("host", "facility", "severity", "tag")
"""Fields of the central audit store indexed for search and analysis."""
TRAIL_KEYS = (
    "eventName",
    "serviceName",
    "userIdentity.type",
    "userIdentity.userName",
    "sourceIpAddress",
    "errorCode",
    "acsRegion",
)
"""Keys of the ActionTrail records' JSON field ``event`` indexed for search and the management
event alerts (every key their queries read)."""


class Audit(Storage, LogStores):
    def log_store(self, retention_days: int, parent: pulumi.Resource) -> pulumi.Output[str]:
        project = ali.log.Project(
            res(self.env, "log-project"),
            project_name=self.project_name,
            description=f"{self.env}: central audit logs",
            opts=self._opts(parent, **KEEP),
        )
        self._log_store(
            res(self.env, "log-store"), project.project_name, "audit", retention_days, AUDIT_FIELDS, parent
        )
        return project.project_name

    def audit_trail(self, parent: pulumi.Resource) -> pulumi.Resource:
        """ActionTrail over every region, delivering to an SLS log store and to a private bucket,
        both kept ``LOG_MIN_DAYS`` (the bucket under a locked retention)."""
        name = res(self.env, "trail")
        project = ali.log.Project(
            res(self.env, "trail-project"),
            project_name=res(self.env, "actiontrail"),
            description=f"{self.env}: cloud audit trail",
            opts=self._opts(parent, **KEEP),
        )
        # ActionTrail writes into the store actiontrail_<trail name> of the project it names.
        store = self._log_store(
            res(self.env, "trail-store"),
            project.project_name,
            f"actiontrail_{name}",
            LOG_MIN_DAYS,
            (),
            parent,
            json_keys=(TRAIL_JSON_FIELD, TRAIL_KEYS),
        )
        self._trail_store = store
        self._access_log_bucket(parent)
        archive = self._records_bucket("actiontrail", LOG_MIN_DAYS, parent)
        arn = pulumi.Output.all(self._account, project.project_name).apply(
            lambda a: f"acs:log:{self.region}:{a[0]}:project/{a[1]}"
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
