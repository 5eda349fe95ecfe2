"""RAM: the account's password policy, MFA at console login, one group and policy per
administrator role of 三权分立 and a RAM user per named administrator in their role's group.
No user gets an access key or a console password from the stack."""

from __future__ import annotations

import json

import pulumi
import pulumi_alicloud as ali

from stacks.model import Admin, Passwords
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
GRANTS = ["ram:AttachPolicyTo*", "ram:DetachPolicyFrom*", "ram:CreatePolicyVersion",
          "ram:SetDefaultPolicyVersion", "ram:DeletePolicyVersion", "ram:AddUserToGroup",
          "ram:RemoveUserFromGroup", "ram:UpdateRole"]
"""What changes the rights a principal holds: attaching or detaching a policy, rewriting one,
moving a user between groups, changing whom a role trusts."""
CREDENTIALS = ["ram:CreateAccessKey", "ram:CreateLoginProfile", "ram:UpdateLoginProfile",
               "ram:UnbindMFADevice"]
"""What lets one act as another user: their keys, their console password, their MFA device."""
KEY_DESTRUCTION = ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:SetDeletionProtection"]
"""What makes the environment's KMS key, and every log store encrypted by it, unreadable."""
FLOW_LOGS_AND_COPIES = ["vpc:*FlowLog*", "oss:DeleteBucketReplication", "oss:PutBucketReplication"]
"""What switches off the flow logs or the buckets' off-site copies."""

ADMIN_ROLES: dict[str, tuple[list[str], list[str]]] = {
    "system": (["ecs:*", "vpc:*", "slb:*", "cs:*", "oss:*", "kms:Describe*", "kms:List*", *LOG_READ],
               ["ram:*", "actiontrail:*", *FLOW_LOGS_AND_COPIES]),
    "security": (["ram:*", "kms:*", "ecs:*SecurityGroup*", *LOG_READ],
                 [*LOG_DELETES, "oss:DeleteObject", "oss:DeleteBucket", *GRANTS, *CREDENTIALS,
                  *KEY_DESTRUCTION]),
    "audit": ([*LOG_READ, "oss:GetObject", "oss:ListObjects"],
              [*TRAIL_CHANGES, "log:Create*", "log:Update*", "log:Delete*", "ram:*"]),
}
"""Per role of 三权分立 (the spec's ``admins[].role``): what its group may do and what it is
explicitly denied on every resource whatever else is attached (an explicit Deny wins over any
Allow). System: no RAM, no ActionTrail, neither flow logs nor off-site copies. Audit: reads the
trail and the log stores, changes neither. Security: keeps RAM's users, policies, password
policy and MFA and the KMS keys, but deletes no log, destroys no key, and changes nobody's rights
or credentials: policies are attached, rewritten and detached and users put in groups only by
the stack under the deploy role. Denied on every resource rather than on the admin groups and
policies alone, this also closes the ways round: the security administrator can neither rewrite
or detach its own denies nor leave its group, and neither grant a fresh user or role what it is
denied nor sign in as another administrator; it can still shut a user out (delete their keys or
console password)."""


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
    def identity(self, passwords: Passwords, admins: tuple[Admin, ...], parent: pulumi.Resource) -> None:
        """The account's password policy and console MFA, the three administrator groups and
        their members.

        Each named administrator is a RAM user ``<env>-<name>`` in their role's group, with
        neither access key nor console password: the account's owner gives the first console
        password, and at that first sign-in the person binds their MFA device (mandatory)."""
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
        groups: dict[str, ali.ram.Group] = {}
        for role in ADMIN_ROLES:
            name = res(self.env, role, "admins")
            groups[role] = ali.ram.Group(
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
                group_name=groups[role].group_name,
                policy_name=policy.policy_name,
                policy_type="Custom",
                opts=self._opts(parent),
            )
        for admin in admins:  # names are unique (the spec refuses a repeated one)
            user = ali.ram.User(
                f"{self.env}-{admin.name}-ram-user",
                name=f"{self.env}-{admin.name}",
                display_name=admin.name,
                opts=self._opts(parent),
            )
            ali.ram.UserGroupAttachment(
                f"{self.env}-{admin.name}-{admin.role}-admins",
                group_name=groups[admin.role].group_name,
                user_name=user.name,
                opts=self._opts(parent),
            )
