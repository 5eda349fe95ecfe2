"""ActionTrail's management events that raise an alarm (GB/T 22239-2019 8.1.5.4 f): per event of
``policy.facts.model.MANAGEMENT_EVENTS`` the service, the event names and any further condition.
The stack builds its SLS alert queries from this table and the plan facts read an alert's events
back from its query against it, so neither can drift from the other."""

from __future__ import annotations

import re
from dataclasses import dataclass

TRAIL_JSON_FIELD = "event"
"""ActionTrail's SLS records carry the event as one JSON field: queries name ``event.<key>``."""


@dataclass(frozen=True)
class ManagementEvent:
    """An event: the ActionTrail ``serviceName`` (None: any), the ``eventName`` values, a search
    term the record must also match and a SQL condition on the selected records."""

    service: str | None
    names: tuple[str, ...]
    term: str = ""
    where: str = ""

    def search(self) -> str:
        """The SLS search selecting the event's records."""
        names = " or ".join(f"event.eventName: {n}" for n in self.names)
        parts = [f"event.serviceName: {self.service}" if self.service else "", f"({names})", self.term]
        return " and ".join(p for p in parts if p)

    def query(self) -> str:
        """The alert's query: the search, counted as ``events``, filtered by ``where``."""
        where = f" where {self.where}" if self.where else ""
        return f"{self.search()} | select count(1) as events{where}"


MANAGEMENT_EVENT_NAMES: dict[str, ManagementEvent] = {
    "root_login": ManagementEvent(
        None, ("ConsoleSignin",), term="event.userIdentity.type: root-account"
    ),
    "console_login_failure": ManagementEvent(None, ("ConsoleSignin",), where="\"event.errorCode\" <> ''"),
    "ram_change": ManagementEvent(
        "Ram",
        (
            "CreateUser", "UpdateUser", "DeleteUser",
            "CreateLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile",
            "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey",
            "CreateGroup", "UpdateGroup", "DeleteGroup", "AddUserToGroup", "RemoveUserFromGroup",
            "CreateRole", "UpdateRole", "DeleteRole",
            "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
            "SetDefaultPolicyVersion",
            "AttachPolicyToUser", "DetachPolicyFromUser", "AttachPolicyToGroup", "DetachPolicyFromGroup",
            "AttachPolicyToRole", "DetachPolicyFromRole",
            "SetPasswordPolicy", "SetSecurityPreference",
            "CreateVirtualMFADevice", "DeleteVirtualMFADevice", "BindMFADevice", "UnbindMFADevice",
        ),
    ),
    "trail_change": ManagementEvent(
        "Actiontrail", ("StopLogging", "DeleteTrail", "UpdateTrail")
    ),
    "security_group_change": ManagementEvent(
        "Ecs",
        (
            "AuthorizeSecurityGroup", "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroup", "RevokeSecurityGroupEgress",
            "ModifySecurityGroupRule", "ModifySecurityGroupEgressRule",
            "ModifySecurityGroupPolicy", "ModifySecurityGroupAttribute", "DeleteSecurityGroup",
        ),
    ),
    "kms_key_change": ManagementEvent("Kms", ("DisableKey", "ScheduleKeyDeletion")),
    "flow_log_change": ManagementEvent(None, ("DeactiveFlowLog", "DeleteFlowLog")),
    "log_store_change": ManagementEvent(None, ("DeleteLogStore", "DeleteProject")),
    "instance_start": ManagementEvent(
        "Ecs", ("RunInstances", "CreateInstance", "StartInstance", "StartInstances", "ReActivateInstances")
    ),
}

_NAME = re.compile(r"(?<!not )event\.eventName:\s*([A-Za-z]+)(?![\w*])")
_KEY = re.compile(r"\b" + TRAIL_JSON_FIELD + r"\.([A-Za-z.]*[A-Za-z])")


def events_of(query: str) -> tuple[str, ...]:
    """The management events an alert's query selects: each whose service, every event name (not
    negated, no wildcard), search term and condition the query names."""
    search = query.partition("|")[0]
    names = set(_NAME.findall(search))
    return tuple(
        event
        for event, e in MANAGEMENT_EVENT_NAMES.items()
        if set(e.names) <= names
        and (e.service is None or f"event.serviceName: {e.service}" in search)
        and e.term in search
        and e.where in query
    )


def trail_keys(query: str) -> set[str]:
    """The keys of the JSON field ``event`` a query reads (``eventName``, ``userIdentity.type``…)."""
    return set(_KEY.findall(query))
