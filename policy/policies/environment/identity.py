"""Cloud identity policies: the cloud's own accounts follow the password and lockout rules of
the level, log in with MFA, the administrators hold separated roles, and the plan deploys as a
role rather than with long-lived keys (GB/T 22239-2019 8.1.4.1 and 8.1.4.2).

A cloud lacking the capability ``cloud_identity`` (``stacks.capabilities``) is not judged here:
its owner keeps the accounts, which ``mlps synth`` states as a notice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from policy.facts.model import AdminRole, Cloud, Facts, PasswordPolicy
from policy.policies.environment.base import EnvironmentPolicy, Found
from stacks.capabilities import CAPABILITIES, Capability


@dataclass(frozen=True)
class PasswordRules:
    """The least a level asks of passwords and lockout (as CES-AUTH-01 and CES-AUTH-03 of the
    spec ask of ``baseline.password`` and ``baseline.lockout``)."""

    min_length: int
    char_classes: int
    max_age_days: int
    reuse_prevention: int
    lockout_attempts: int


RULES = {
    2: PasswordRules(8, 3, 180, 3, 10),
    3: PasswordRules(12, 3, 90, 5, 5),
    4: PasswordRules(12, 3, 90, 5, 5),
}

GRANTS = ("ram:AttachPolicyToUser", "ram:AttachPolicyToGroup", "ram:AttachPolicyToRole",
          "ram:DetachPolicyFromUser", "ram:DetachPolicyFromGroup", "ram:DetachPolicyFromRole",
          "ram:CreatePolicyVersion", "ram:SetDefaultPolicyVersion", "ram:DeletePolicyVersion",
          "ram:AddUserToGroup", "ram:RemoveUserFromGroup", "ram:UpdateRole")
CREDENTIALS = ("ram:CreateAccessKey", "ram:CreateLoginProfile", "ram:UpdateLoginProfile",
               "ram:UnbindMFADevice")
ADMIN_DENIES: dict[str, tuple[str, ...]] = {
    "system": ("ram:CreateUser", "ram:AttachPolicyToGroup", "actiontrail:UpdateTrail",
               "actiontrail:StopLogging", "actiontrail:DeleteTrail", "vpc:DeleteFlowLog",
               "vpc:DeactiveFlowLog", "oss:DeleteBucketReplication", "oss:PutBucketReplication"),
    "security": ("log:DeleteLogStore", "log:DeleteProject", "actiontrail:DeleteTrail",
                 "actiontrail:StopLogging", "oss:DeleteObject", "oss:DeleteBucket", *GRANTS,
                 *CREDENTIALS, "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:SetDeletionProtection"),
    "audit": ("actiontrail:CreateTrail", "actiontrail:UpdateTrail", "actiontrail:StartLogging",
              "actiontrail:StopLogging", "actiontrail:DeleteTrail", "log:CreateLogStore",
              "log:UpdateLogStore", "log:DeleteLogStore", "log:DeleteProject", "ram:CreateUser",
              "ram:AttachPolicyToGroup"),
}
"""Per administrator role, actions it must be denied on every resource: the system administrator
touches neither accounts nor the audit trail, nor the flow logs and off-site copies; the
security administrator deletes no log, destroys no key and changes nobody's rights or
credentials (``GRANTS``, ``CREDENTIALS``: else it could undo its own denies, or grant a fresh
user or role what it is denied, or sign in as another administrator); the audit administrator
changes neither the trail nor the log stores, nor anyone's rights."""
EVERYTHING = ("*", "*:*")
"""Actions allowing everything."""


def judged(cloud: Cloud) -> bool:
    """The plan builds ``cloud``'s identity (its provider has ``cloud_identity``)."""
    return Capability.CLOUD_IDENTITY in CAPABILITIES.get(cloud.provider, frozenset(Capability))


def accounts(facts: Facts) -> list[Cloud]:
    """One judged cloud per provider: its account's identity is one, however many regions the
    plan configures it for."""
    return list(filter(judged, facts.accounts()))


def _where(cloud: Cloud) -> str:
    return f"{cloud.provider} ({cloud.region or 'no region'})"


def _weak(p: PasswordPolicy, rules: PasswordRules) -> list[str]:
    problems = []
    if p.min_length < rules.min_length:
        problems.append(f"minimum length {p.min_length} (at least {rules.min_length})")
    if p.char_classes < rules.char_classes:
        problems.append(f"{p.char_classes} character classes (at least {rules.char_classes})")
    if not 0 < p.max_age_days <= rules.max_age_days:
        problems.append(f"maximum age {p.max_age_days or 'unlimited'} days (at most {rules.max_age_days})")
    if p.reuse_prevention < rules.reuse_prevention:
        problems.append(
            f"{p.reuse_prevention} previous passwords refused (at least {rules.reuse_prevention})"
        )
    return problems


def _passwords(facts: Facts, level: int) -> Iterator[Found]:
    rules = RULES.get(level, RULES[2])
    for cloud in accounts(facts):
        policies = [p for p in facts.password_policies if p.provider == cloud.provider]
        if not policies:
            where = _where(cloud)
            yield cloud.subject, ("CES-AUTH-01", f"no password policy governs the accounts of {where}")
            yield cloud.subject, ("CES-AUTH-03", f"no login lockout governs the accounts of {where}")
        for p in policies:
            problems = _weak(p, rules)
            if problems:
                yield p.subject, ("CES-AUTH-01", "password policy allows " + "; ".join(problems))
            if not 0 < p.lockout_attempts <= rules.lockout_attempts:
                yield p.subject, (
                    "CES-AUTH-03",
                    f"password policy locks an account after {p.lockout_attempts or 'no number of'} "
                    f"failed logins (at most {rules.lockout_attempts})",
                )


def _mfa(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in accounts(facts):
        logins = [p for p in facts.login_policies if p.provider == cloud.provider]
        if not logins:
            yield cloud.subject, ("CES-AUTH-06", f"no login policy of {_where(cloud)} makes MFA mandatory")
        for p in logins:
            if not p.mfa_required:
                yield p.subject, ("CES-AUTH-06", f"console login to {_where(cloud)} does not require MFA")


def _unseparated(role: AdminRole) -> list[str]:
    problems = [f"allows {a}" for a in role.allows if a in EVERYTHING]
    missing = [
        action for action in ADMIN_DENIES.get(role.role, ())
        if not any(fnmatchcase(action.lower(), d.lower()) for d in role.denies)
    ]
    if missing:
        problems.append("does not deny " + ", ".join(missing))
    if not role.members:
        problems.append("has no member")
    return problems


def _admin_roles(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in accounts(facts):
        roles = [r for r in facts.admin_roles if r.provider == cloud.provider]
        for name in ADMIN_DENIES:
            if not any(r.role == name for r in roles):
                yield cloud.subject, (
                    "CES-ACL-04",
                    f"no group of {_where(cloud)} holds the {name} administrator role",
                )
        held: dict[str, list[AdminRole]] = {}
        for role in roles:
            problems = _unseparated(role)
            if problems:
                yield role.subject, (
                    "CES-ACL-04",
                    f"the {role.role} administrator group {role.name} " + "; ".join(problems),
                )
            for user in role.members:
                held.setdefault(user, []).append(role)
        for user, groups in held.items():
            if len({g.role for g in groups}) > 1:
                yield groups[-1].subject, (
                    "CES-ACL-04",
                    f"user {user} holds more than one administrator role: "
                    + ", ".join(f"{g.role} ({g.name})" for g in groups),
                )


def _assumes_role(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in filter(judged, facts.clouds):
        if not cloud.assumed_role:
            yield cloud.subject, (
                "CES-ACL-04",
                f"the plan deploys to {_where(cloud)} with the deploying shell's own keys, not as a "
                "role (cloud.deploy_role_arn)",
            )


CLOUD_PASSWORD_POLICY = EnvironmentPolicy(
    name="cloud_password_policy",
    description=(
        "The cloud's own accounts have a password policy (length, classes, expiry, history) and a "
        "login lockout meeting the level."
    ),
    controls=("CES-AUTH-01", "CES-AUTH-03"),
    levels=(2, 3, 4),
    check=_passwords,
)

CLOUD_LOGIN_MFA = EnvironmentPolicy(
    name="cloud_login_mfa",
    description="Console login to the cloud requires MFA for every account.",
    controls=("CES-AUTH-06",),
    levels=(3, 4),
    check=_mfa,
)

CLOUD_ADMIN_ROLES_SEPARATED = EnvironmentPolicy(
    name="cloud_admin_roles_separated",
    description=(
        "The cloud has one administrator group per role of 三权分立 with at least one member, no "
        "user in two of them, each group denied what the other roles guard (accounts, trail, flow "
        "logs and off-site copies; log deletion, key destruction, rights and credentials; trail "
        "and log changes)."
    ),
    controls=("CES-ACL-04",),
    levels=(3, 4),
    check=_admin_roles,
)

PROVIDER_ASSUMES_ROLE = EnvironmentPolicy(
    name="provider_assumes_role",
    description=(
        "The plan deploys to the cloud as a role (short-lived credentials), not with long-lived keys."
    ),
    controls=("CES-ACL-04",),
    levels=(3, 4),
    check=_assumes_role,
)
