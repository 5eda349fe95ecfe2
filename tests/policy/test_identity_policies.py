"""Cloud identity policies over neutral facts: the compliant plan passes; a weak password policy,
login without MFA, an administrator group missing a deny (or holding it only under a condition
or on some resources), allowing everything, without member or sharing one with another role, and
a provider with ambient keys fail with their control ids; a plan without the RAM resources fails
on the cloud, once per account however many regions it configures; a cloud whose owner keeps the
accounts is not judged."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import pytest

from policy.facts import collect
from policy.facts.model import PasswordPolicy
from policy.policies import PlanGraph, PlanResource
from policy.policies.environment.identity import ADMIN_DENIES
from stacks.providers.alicloud.identity import ADMIN_ROLES, admin_policy
from tests.policy.test_environment_policies import BY_NAME, MEMBER, PROVIDER, changed, good, r, without

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
    assert [roles[n].members for n in ("system", "security", "audit")] == [
        ("system-person",), ("security-person",), ("audit-person",)]
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
                "the audit administrator group audit-admins does not deny log:CreateLogStore, "
                "log:UpdateLogStore, log:DeleteLogStore, log:DeleteProject",
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
                "the system administrator group system-admins allows *; does not deny "
                + ", ".join(ADMIN_DENIES["system"]),
            )
        ],
    ),
    (
        "cloud_admin_roles_separated",
        without({"audit-member"}),
        [("audit-admins", "CES-ACL-04", "the audit administrator group audit-admins has no member")],
    ),
    (
        "cloud_admin_roles_separated",
        [*good(), r(MEMBER, "also-audit", {"groupName": "audit-admins", "userName": "system-person"},
                    groupName="urn:audit-admins")],
        [
            (
                "audit-admins",
                "CES-ACL-04",
                "user system-person holds more than one administrator role: system (system-admins), "
                "audit (audit-admins)",
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


def _document(role: str, deny: list[str], **extra: object) -> str:
    """``role``'s policy document with ``deny`` as its Deny statement, that statement extended by
    ``extra``."""
    allow = ADMIN_ROLES[role][0]
    return json.dumps({"Statement": [{"Effect": "Allow", "Action": allow, "Resource": "*"},
                                     {"Effect": "Deny", "Action": deny, "Resource": "*", **extra}]})


def _problems(role: str, document: str) -> list[tuple[str, str]]:
    plan = changed(f"{role}-admin", policyDocument=document)
    return [(c, m) for _, c, m in run("cloud_admin_roles_separated", plan)]


@pytest.mark.parametrize(
    ("role", "deny"), [(role, d) for role, (_, denies) in ADMIN_ROLES.items() for d in denies]
)
def test_every_deny_the_stack_writes_is_required(role: str, deny: str) -> None:
    denies = ADMIN_ROLES[role][1]
    missing = [a for a in ADMIN_DENIES[role] if fnmatchcase(a.lower(), deny.lower())
               and not any(fnmatchcase(a.lower(), d.lower()) for d in denies if d != deny)]
    assert missing
    assert _problems(role, _document(role, [d for d in denies if d != deny])) == [
        ("CES-ACL-04", f"the {role} administrator group {role}-admins does not deny " + ", ".join(missing))]


@pytest.mark.parametrize(
    "extra",
    [{"Condition": {"IpAddress": {"acs:SourceIp": "192.0.2.1/32"}}},
     {"Resource": "acs:ram:*:*:policy/security-admin"},
     {"Resource": ["acs:ram:*:*:group/security-admins", "acs:ram:*:*:policy/security-admin"]},
     {"NotResource": "acs:ram:*:*:user/someone"}],
    ids=["condition", "one-resource", "admin-resources", "not-resource"],
)
def test_a_deny_short_of_every_resource_or_request_counts_for_nothing(extra: dict[str, object]) -> None:
    document = _document("security", ADMIN_ROLES["security"][1], **extra)
    assert _problems("security", document) == [
        ("CES-ACL-04", "the security administrator group security-admins does not deny "
                       + ", ".join(ADMIN_DENIES["security"]))]


def test_a_deny_on_every_resource_spelled_out_counts() -> None:
    document = _document("security", ADMIN_ROLES["security"][1], Resource=["acs:*:*:*:*"])
    assert _problems("security", document) == []


@pytest.mark.parametrize(
    ("allow", "shown"),
    [({"Action": "*:*", "Resource": "*"}, "*:*"),
     ({"Action": ["*"], "Resource": "acs:*:*:*:*"}, "*"),
     ({"NotAction": "ram:*", "Resource": "*"}, "*"),
     ({"NotAction": ["kms:*"], "NotResource": "acs:kms:*:*:*"}, "*")],
    ids=["star-colon-star", "every-resource-spelled-out", "not-action", "not-action-not-resource"],
)
def test_an_allow_of_everything_is_found_however_written(allow: dict[str, object], shown: str) -> None:
    deny = {"Effect": "Deny", "Action": ADMIN_ROLES["audit"][1], "Resource": "*"}
    document = json.dumps({"Statement": [{"Effect": "Allow", **allow}, deny]})
    assert _problems("audit", document) == [
        ("CES-ACL-04", f"the audit administrator group audit-admins allows {shown}")]


def test_members_may_come_from_a_group_membership() -> None:
    plan = [
        *without({"system-member"}),
        r("alicloud:ram/groupMembership:GroupMembership", "system-members",
          {"groupName": "system-admins", "userNames": ["a", "b"]}),
    ]
    (system,) = [a for a in collect(PlanGraph(plan)).admin_roles if a.role == "system"]
    assert system.members == ("a", "b")
    assert run("cloud_admin_roles_separated", plan) == []


def test_an_account_configured_in_two_regions_is_judged_once() -> None:
    role = json.dumps({"roleArn": "r"})
    offsite = r(PROVIDER, "ali-offsite", {"region": "cn-hangzhou", "assumeRole": role})
    plan = [*without({"passwords", "preference", "audit-admins"}), offsite]
    assert [(p, c) for p in IDENTITY for (_, c, _) in run(p, plan)] == [
        ("cloud_password_policy", "CES-AUTH-01"), ("cloud_password_policy", "CES-AUTH-03"),
        ("cloud_login_mfa", "CES-AUTH-06"), ("cloud_admin_roles_separated", "CES-ACL-04")]
