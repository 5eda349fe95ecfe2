"""Detection: VPC flow logs into the central log project, alerts on ActionTrail's management events,
Security Center watching every instance."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_alicloud as ali

from mlps.retention import LOG_MIN_DAYS
from stacks.naming import res
from stacks.providers.alicloud.events import MANAGEMENT_EVENT_NAMES
from stacks.providers.alicloud.front_door import FrontDoors
from stacks.providers.base import KEEP, CloudNetwork

FLOW_LOG_STORE = "flowlog"
FLOW_FIELDS = ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "direction", "vswitch-id")
"""Fields of a VPC flow log record indexed for search and analysis."""
EVENT_LABEL = "mlps:event"
"""The alert label naming the management event the alert watches (the facts read its query)."""


@dataclass(frozen=True)
class ManagementAlert:
    """An alert on ActionTrail's records: the management event (a key of
    ``events.MANAGEMENT_EVENT_NAMES``), its title and severity (SLS: 6 medium, 8 high, 10 critical)."""

    event: str
    title: str
    severity: int

    @property
    def query(self) -> str:
        """The SLS query selecting the event's records, from ``MANAGEMENT_EVENT_NAMES``."""
        return MANAGEMENT_EVENT_NAMES[self.event].query()


MANAGEMENT_ALERTS = (
    ManagementAlert("root_login", "Main account signed in to the console", 10),
    ManagementAlert("console_login_failure", "Console sign-in failed", 6),
    ManagementAlert("ram_change", "RAM users, groups, roles, policies or sign-in settings changed", 8),
    ManagementAlert("trail_change", "ActionTrail stopped, deleted or changed", 10),
    ManagementAlert("security_group_change", "Security group rules changed", 8),
    ManagementAlert("kms_key_change", "KMS key disabled or scheduled for deletion", 10),
    ManagementAlert("flow_log_change", "VPC flow log stopped or deleted", 8),
    ManagementAlert("log_store_change", "Log store or log project deleted", 10),
    ManagementAlert("instance_start", "ECS instance created, started or re-activated", 8),
)
"""The management events an assessor expects to raise an alarm (GB/T 22239-2019 8.1.5.4 f)."""


SECURITY_CENTER_EDITION = 3
"""Security Center's edition bound to every new instance: 3 is the Enterprise edition (1 free, 3
Enterprise, 5 Advanced, 6 Anti-virus, 7 Ultimate; the free one detects no malware)."""


class Detection(FrontDoors):
    def threat_detection(self, parent: pulumi.Resource) -> None:
        """Security Center, pay-as-you-go, its host and container protection on and bound to every
        new instance at the Enterprise edition (intrusion and malware detection, CLD-VMIDS-03).
        One per account, kept: Alibaba Cloud does not delete it with the stack."""
        ali.threatdetection.Instance(
            res(self.env, "security-center"),
            payment_type="PayAsYouGo",
            post_paid_host_auto_bind=1,
            post_paid_host_auto_bind_version=SECURITY_CENTER_EDITION,
            post_pay_module_switch_obj=ali.threatdetection.InstancePostPayModuleSwitchObjArgs(
                post_host=1, vul=1
            ),
            opts=self._opts(parent, **KEEP),
        )

    def flow_logs(
        self, net: CloudNetwork, log_project: pulumi.Output[str], retention_days: int, parent: pulumi.Resource
    ) -> None:
        """All traffic of the environment's VPC into the store ``flowlog`` of the central log
        project, kept the spec's log retention and at least ``LOG_MIN_DAYS``; the front
        doors' access logs beside it."""
        self._front_door_logs(log_project, retention_days, parent)
        store = self._log_store(
            res(self.env, "flowlog-store"),
            log_project,
            FLOW_LOG_STORE,
            max(retention_days, LOG_MIN_DAYS),
            FLOW_FIELDS,
            parent,
        )
        ali.vpc.FlowLog(
            res(self.env, "flowlog"),
            flow_log_name=res(self.env, "flowlog"),
            description=f"{self.env}: all traffic of the environment's network",
            resource_type="VPC",
            resource_id=net.network_id,
            traffic_type="All",
            traffic_paths=["all"],
            aggregation_interval="10",
            project_name=store.project_name,
            log_store_name=store.logstore_name,
            status="Active",
            opts=self._opts(parent),
        )

    def event_alerts(self, parent: pulumi.Resource) -> None:
        """One alert per ``MANAGEMENT_ALERTS`` on the ActionTrail store, every five minutes,
        notifying through the action policy ``mlps:alertActionPolicy`` (default ``<env>-oncall``),
        which the hospital keeps in SLS: the plan names it but does not build it."""
        trail = self._trail_store
        if trail is None:
            raise ValueError("the management event alerts read the audit trail's store: build it first")
        action = pulumi.Config("mlps").get("alertActionPolicy") or res(self.env, "oncall")
        for alert in MANAGEMENT_ALERTS:
            name = res(self.env, "alert", alert.event.replace("_", "-"))
            ali.log.Alert(
                name,
                version="2.0",
                type="default",
                project_name=trail.project_name,
                alert_name=name,
                alert_displayname=f"{self.env}: {alert.title}",
                alert_description=f"ActionTrail records: {alert.title}",
                schedule=ali.log.AlertScheduleArgs(type="FixedRate", interval="5m"),
                query_lists=[
                    ali.log.AlertQueryListArgs(
                        store=trail.logstore_name,
                        store_type="log",
                        project=trail.project_name,
                        region=self.region,
                        start="-5m",
                        end="now",
                        query=alert.query,
                        power_sql_mode="auto",
                    )
                ],
                severity_configurations=[
                    ali.log.AlertSeverityConfigurationArgs(
                        severity=alert.severity, eval_condition={"condition": "events > 0"}
                    )
                ],
                labels=[ali.log.AlertLabelArgs(key=EVENT_LABEL, value=alert.event)],
                policy_configuration=ali.log.AlertPolicyConfigurationArgs(
                    alert_policy_id="sls.builtin.dynamic",
                    action_policy_id=action,
                    repeat_interval="1h",
                ),
                send_resolved=False,
                opts=self._opts(parent),
            )
