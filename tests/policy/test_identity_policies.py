"""Cloud identity policies over neutral facts: the compliant plan passes; a weak password policy,
login without MFA, an administrator group missing a deny and a provider with ambient keys fail
with their control ids; a plan without the RAM resources fails on the cloud; a cloud whose owner
keeps the accounts is not judged."""

from __future__ import annotations

import json

import pytest

from policy.facts import collect
from policy.facts.model import PasswordPolicy
from policy.policies import PlanGraph, PlanResource
from stacks.providers.alicloud.identity import admin_policy
from tests.policy.test_environment_policies import BY_NAME, changed, good, r, without

IDENTITY = (
    "cloud_password_policy", "cloud_login_mfa", "cloud_admin_roles_separated", "provider_assumes_role",
)


def run(policy: str, plan: list[PlanResource], level: int = 3) -> list[tuple[str, str, str]]:
    return [
        (s.pointer.split("::")[-1], c, m) for s, (c, m) in BY_NAME[policy].run(PlanGraph(plan, level=level))
    ]


@pytest.mark.parametrize("policy", IDENTITY)
def test_the_compliant_plan_passes(policy: str) -> None:
    assert run(policy, good()) == []


def test_the_facts_read_the_ram_resources() -> None:
    facts = collect(PlanGraph(good()))
    (passwords,) = facts.password_policies
    assert (passwords.min_length, passwords.char_classes, passwords.max_age_days,
            passwords.reuse_prevention, passwords.lockout_attempts) == (12, 3, 90, 5, 5)
    assert [p.mfa_required for p in facts.login_policies] == [True]
    roles = {a.role: a for a in facts.admin_roles}
    assert sorted(roles) == ["audit", "security", "system"]
    assert "ram:*" in roles["system"].denies and "log:Get*" in roles["audit"].allows
    assert facts.clouds[0].assumed_role == "acs:ram::123:role/mlps-deploy"


CASES: list[tuple[str, list[PlanResource], list[tuple[str, str, str]]]] = [
    # absence: no password policy, no login policy, no groups, no role
    (
        "cloud_password_policy",
        without({"passwords"}),
        [
            ("ali", "CES-AUTH-01", "no password policy governs the accounts of alicloud (cn-shanghai)"),
            ("ali", "CES-AUTH-03", "no login lockout governs the accounts of alicloud (cn-shanghai)"),
        ],
    ),
    (
        "cloud_login_mfa",
        without({"preference"}),
        [("ali", "CES-AUTH-06", "no login policy of alicloud (cn-shanghai) makes MFA mandatory")],
    ),
    (
        "cloud_admin_roles_separated",
        without({"security-admins", "security-admin", "security-attach"}),
        [("ali", "CES-ACL-04", "no group of alicloud (cn-shanghai) holds the security administrator role")],
    ),
    (
        "provider_assumes_role",
        changed("ali", assumeRole=None),
        [
            (
                "ali",
                "CES-ACL-04",
                "the plan deploys to alicloud (cn-shanghai) with the deploying shell's own keys, not as a "
                "role (cloud.deploy_role_arn)",
            )
        ],
    ),
    # weak settings
    (
        "cloud_password_policy",
        changed("passwords", minimumPasswordLength=8, requireNumbers=False, maxPasswordAge=0,
                passwordReusePrevention=0, maxLoginAttempts=0),
        [
            (
                "passwords",
                "CES-AUTH-01",
                "password policy allows minimum length 8 (at least 12); 2 character classes (at least 3); "
                "maximum age unlimited days (at most 90); 0 previous passwords refused (at least 5)",
            ),
            ("passwords", "CES-AUTH-03",
             "password policy locks an account after no number of failed logins (at most 5)"),
        ],
    ),
    (
        "cloud_password_policy",
        changed("passwords", maxLoginAttempts=10),
        [("passwords", "CES-AUTH-03", "password policy locks an account after 10 failed logins (at most 5)")],
    ),
    (
        "cloud_login_mfa",
        changed("preference", mfaOperationForLogin="adaptive"),
        [("preference", "CES-AUTH-06", "console login to alicloud (cn-shanghai) does not require MFA")],
    ),
    (
        "cloud_admin_roles_separated",
        changed("audit-admin", policyDocument=admin_policy("system")),
        [
            (
                "audit-admins",
                "CES-ACL-04",
                "the audit administrator group audit-admins does not deny log:UpdateLogStore, "
                "log:DeleteLogStore, log:DeleteProject",
            )
        ],
    ),
    (
        "cloud_admin_roles_separated",
        changed("system-admin", policyDocument=json.dumps({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["ram:*", "actiontrail:*"], "Resource": "acs:ram:*:1:x"},
        ]})),
        [
            (
                "system-admins",
                "CES-ACL-04",
                "the system administrator group system-admins allows *; does not deny ram:CreateUser, "
                "ram:AttachPolicyToGroup, actiontrail:UpdateTrail, actiontrail:StopLogging, "
                "actiontrail:DeleteTrail",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "plan", "expected"), CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)]
)
def test_identity_policy_reports_exactly(
    name: str, plan: list[PlanResource], expected: list[tuple[str, str, str]]
) -> None:
    assert run(name, plan) == expected


def test_level_two_asks_less_of_passwords_and_nothing_of_mfa_or_roles() -> None:
    weaker = changed("passwords", minimumPasswordLength=8, maxPasswordAge=180, passwordReusePrevention=3,
                     maxLoginAttempts=10)
    assert run("cloud_password_policy", weaker, level=2) == []
    assert run("cloud_password_policy", weaker, level=3) != []
    assert BY_NAME["cloud_login_mfa"].enforcement(2) == "advisory"
    assert BY_NAME["provider_assumes_role"].enforcement(2) == "advisory"


def test_a_cloud_whose_owner_keeps_the_accounts_is_not_judged() -> None:
    plan = [r("pulumi:providers:openstack", "os", {"region": "cn-dc1"})]
    assert [(p, run(p, plan)) for p in IDENTITY] == [(p, []) for p in IDENTITY]


def test_a_ram_switch_left_out_counts_as_on() -> None:
    plan = [r("alicloud:ram/accountPasswordPolicy:AccountPasswordPolicy", "p", {})]
    (facts,) = collect(PlanGraph(plan)).password_policies
    assert isinstance(facts, PasswordPolicy) and facts.char_classes == 4 and facts.max_age_days == 0
