"""RAM: the account's password policy, MFA at console login, one group and policy per
administrator role of 三权分立. No user gets an access key from the stack."""

from __future__ import annotations

import json

import pulumi
import pulumi_alicloud as ali

from stacks.model import Passwords
from stacks.naming import res
from stacks.providers.alicloud.base import AlicloudBase

RAM_MIN_LENGTH, RAM_MAX_LENGTH = 8, 32
"""The password lengths RAM accepts."""
CLASSES = ("require_lowercase_characters", "require_numbers", "require_uppercase_characters",
           "require_symbols")
"""RAM's character classes, in the order a spec's ``min_classes`` requires them."""
ROLE_TAG = "mlps:admin-role="
"""Prefix of a group's comment naming the administrator role the group is for."""

LOG_READ = ["log:Get*", "log:List*", "actiontrail:Describe*", "actiontrail:Get*", "actiontrail:LookupEvents"]
TRAIL_CHANGES = ["actiontrail:Create*", "actiontrail:Update*", "actiontrail:Delete*",
                 "actiontrail:StartLogging", "actiontrail:StopLogging"]
LOG_DELETES = ["log:Delete*", "actiontrail:Delete*", "actiontrail:StopLogging"]

ADMIN_ROLES: dict[str, tuple[list[str], list[str]]] = {
    "system": (["ecs:*", "vpc:*", "slb:*", "cs:*", "oss:*", "kms:Describe*", "kms:List*", *LOG_READ],
               ["ram:*", "actiontrail:*"]),
    "security": (["ram:*", "kms:*", "ecs:*SecurityGroup*", *LOG_READ],
                 [*LOG_DELETES, "oss:DeleteObject", "oss:DeleteBucket"]),
    "audit": ([*LOG_READ, "oss:GetObject", "oss:ListObjects"],
              [*TRAIL_CHANGES, "log:Create*", "log:Update*", "log:Delete*", "ram:*"]),
}
"""Per role of 三权分立 (the spec's ``admins[].role``): what its group may do and what it is
explicitly denied whatever else is attached (system: no RAM, no ActionTrail; security: deletes
no log; audit: reads the trail and the log stores, changes neither)."""


def admin_policy(role: str) -> str:
    """The RAM policy document of one administrator role."""
    allow, deny = ADMIN_ROLES[role]
    return json.dumps({
        "Version": "1",
        "Statement": [
            {"Effect": "Allow", "Action": allow, "Resource": "*"},
            {"Effect": "Deny", "Action": deny, "Resource": "*"},
        ],
    }, sort_keys=True)


def character_classes(passwords: Passwords) -> dict[str, bool]:
    """The RAM classes required: the first ``min_classes`` of ``CLASSES``."""
    return {name: i < passwords.min_classes for i, name in enumerate(CLASSES)}


class Identity(AlicloudBase):
    def identity(self, passwords: Passwords, parent: pulumi.Resource) -> None:
        """The account's password policy and console MFA, then the three administrator groups."""
        ali.ram.AccountPasswordPolicy(
            res(self.env, "ram-password-policy"),
            minimum_password_length=max(RAM_MIN_LENGTH, min(RAM_MAX_LENGTH, passwords.min_length)),
            max_password_age=passwords.max_age_days,
            password_reuse_prevention=passwords.history,
            max_login_attempts=passwords.lockout_attempts,
            hard_expiry=False,
            **character_classes(passwords),
            opts=self._opts(parent),
        )
        ali.ram.SecurityPreference(
            res(self.env, "ram-security-preference"),
            mfa_operation_for_login="mandatory",
            allow_user_to_manage_access_keys=False,
            opts=self._opts(parent),
        )
        for role in ADMIN_ROLES:
            name = res(self.env, role, "admins")
            group = ali.ram.Group(
                name, group_name=name, comments=f"{ROLE_TAG}{role}", opts=self._opts(parent)
            )
            policy = ali.ram.Policy(
                res(self.env, role, "admin-policy"),
                policy_name=res(self.env, role, "admin"),
                policy_document=admin_policy(role),
                description=f"{self.env}: {role} administrator (三权分立)",
                opts=self._opts(parent),
            )
            ali.ram.GroupPolicyAttachment(
                res(self.env, role, "admin-attachment"),
                group_name=group.group_name,
                policy_name=policy.policy_name,
                policy_type="Custom",
                opts=self._opts(parent),
            )
