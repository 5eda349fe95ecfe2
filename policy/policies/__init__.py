"""Every plan-time policy, in a fixed order: per resource type (modules mirror the type they
guard), then the environment policies over the facts of the whole plan (environment/)."""

from __future__ import annotations

from policy.policies import environment
from policy.policies.alicloud import (
    actiontrail_trail,
    ecs_instance,
    ecs_security_group,
    ecs_security_group_rule,
    log_store,
    oss_bucket,
)
from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation
from policy.policies.environment.base import EnvironmentPolicy
from policy.policies.kubernetes import (
    apps_v1_daemonset,
    apps_v1_deployment,
    apps_v1_statefulset,
    batch_v1_cronjob,
    batch_v1_job,
    core_v1_namespace,
    core_v1_pod,
    core_v1_service,
    networking_v1_networkpolicy,
)

_MODULES = (
    core_v1_namespace,
    core_v1_service,
    networking_v1_networkpolicy,
    apps_v1_deployment,
    apps_v1_daemonset,
    apps_v1_statefulset,
    core_v1_pod,
    batch_v1_job,
    batch_v1_cronjob,
    oss_bucket,
    log_store,
    actiontrail_trail,
    ecs_security_group,
    ecs_security_group_rule,
    ecs_instance,
)

POLICIES: tuple[PlanPolicy | EnvironmentPolicy, ...] = (
    *(p for m in _MODULES for p in m.POLICIES),
    *environment.POLICIES,
)
"""Resource policies, then the environment policies over the facts of the whole plan."""

__all__ = ["POLICIES", "EnvironmentPolicy", "PlanGraph", "PlanPolicy", "PlanResource", "Violation"]
