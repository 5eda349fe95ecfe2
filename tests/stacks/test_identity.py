"""RAM under the mock runtime: the account's password policy follows the spec's baseline, console
login needs MFA, one group and policy per administrator role with explicit denies, a user per
named administrator in their role's group, no access key or console password, the provider
acting as the spec's deploy role; OpenStack's accounts named as its owner's part."""

from __future__ import annotations

import json
from typing import Any

from synthfix import ROOT, modified, of_type

from mlps.synth.checks import plan_graph
from mlps.synth.run import SynthResult, synthesize_spec
from policy.facts import collect
from policy.policies import POLICIES
from stacks.capabilities import CAPABILITIES, Capability, notices
from stacks.model import environment

ACCOUNT_POLICY = "alicloud:ram/accountPasswordPolicy:AccountPasswordPolicy"
PREFERENCE = "alicloud:ram/securityPreference:SecurityPreference"
GROUP = "alicloud:ram/group:Group"
POLICY = "alicloud:ram/policy:Policy"
ATTACHMENT = "alicloud:ram/groupPolicyAttachment:GroupPolicyAttachment"
USER, MEMBER = "alicloud:ram/user:User", "alicloud:ram/userGroupAttachment:UserGroupAttachment"
PROVIDER = "pulumi:providers:alicloud"


def _statements(policy: dict[str, Any]) -> dict[str, list[str]]:
    return {s["Effect"]: s["Action"] for s in json.loads(policy["policyDocument"])["Statement"]}


def test_the_password_policy_is_the_spec_baseline(synthesized: dict[str, SynthResult]) -> None:
    for stack in ("cloud-dev", "hybrid-prod"):
        (policy,) = of_type(synthesized[stack], ACCOUNT_POLICY)
        assert {k: v for k, v in policy.items() if k != "name"} == {
            "minimumPasswordLength": 12, "maxPasswordAge": 90, "passwordReusePrevention": 5,
            "maxLoginAttempts": 5, "hardExpiry": False, "requireLowercaseCharacters": True,
            "requireNumbers": True, "requireUppercaseCharacters": True, "requireSymbols": False}


def _stricter(data: dict[str, Any]) -> None:
    data["baseline"]["password"] = {"min_length": 40, "min_classes": 4, "max_age_days": 60, "history": 8}
    data["baseline"]["lockout"]["attempts"] = 3


def test_a_stricter_baseline_is_a_stricter_policy_within_what_ram_accepts() -> None:
    result = synthesize_spec(modified("cloud-dev", _stricter), ROOT, "cloud-dev")
    (policy,) = of_type(result, ACCOUNT_POLICY)
    assert (policy["minimumPasswordLength"], policy["maxPasswordAge"], policy["passwordReusePrevention"],
            policy["maxLoginAttempts"], policy["requireSymbols"]) == (32, 60, 8, 3, True)
    assert result.findings == []


def test_console_login_needs_mfa_and_no_access_key_exists(synthesized: dict[str, SynthResult]) -> None:
    result = synthesized["cloud-dev"]
    (preference,) = of_type(result, PREFERENCE)
    assert preference["mfaOperationForLogin"] == "mandatory"
    assert preference["allowUserToManageAccessKeys"] is False
    assert not [r for r in result.registrations
                if r.type.startswith(("alicloud:ram/accessKey", "alicloud:ram/loginProfile"))]


def test_an_account_in_two_regions_without_mfa_is_one_finding(synthesized: dict[str, SynthResult]) -> None:
    registrations = [r for r in synthesized["cloud-dev"].registrations if r.type != PREFERENCE]
    graph = plan_graph(registrations, 3, None)
    assert len([c for c in collect(graph).clouds if c.provider == "alicloud"]) == 2
    assert [c for p in POLICIES for _, (c, _) in p.run(graph) if c == "CES-AUTH-06"] == ["CES-AUTH-06"]


def test_each_named_administrator_is_a_user_in_their_role_group(synthesized: dict[str, SynthResult]) -> None:
    for stack in ("cloud-dev", "hybrid-prod"):
        result = synthesized[stack]
        admins = environment(result.spec.effective).admins
        assert {(u["name"], u["displayName"]) for u in of_type(result, USER)} == {
            (f"{stack}-{a.name}", a.name) for a in admins}
        assert {(m["groupName"], m["userName"]) for m in of_type(result, MEMBER)} == {
            (f"{stack}-{a.role}-admins", f"{stack}-{a.name}") for a in admins}
        roles = collect(plan_graph(result.registrations, 3, None)).admin_roles
        assert {r.role: r.members for r in roles} == {
            role: tuple(sorted(f"{stack}-{a.name}" for a in admins if a.role == role))
            for role in ("system", "security", "audit")}


def test_one_group_and_policy_per_admin_role_with_explicit_denies(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    groups = {g["comments"]: g["groupName"] for g in of_type(result, GROUP)}
    assert groups == {"mlps:admin-role=system": "cloud-dev-system-admins",
                      "mlps:admin-role=security": "cloud-dev-security-admins",
                      "mlps:admin-role=audit": "cloud-dev-audit-admins"}
    policies = {p["policyName"]: _statements(p) for p in of_type(result, POLICY)}
    attached = {(a["groupName"], a["policyName"], a["policyType"]) for a in of_type(result, ATTACHMENT)}
    assert attached == {(f"cloud-dev-{r}-admins", f"cloud-dev-{r}-admin", "Custom")
                        for r in ("system", "security", "audit")}
    assert {"ram:*", "actiontrail:*"} <= set(policies["cloud-dev-system-admin"]["Deny"])
    assert {"vpc:*FlowLog*", "oss:DeleteBucketReplication"} <= set(policies["cloud-dev-system-admin"]["Deny"])
    security = set(policies["cloud-dev-security-admin"]["Deny"])
    assert {"log:Delete*", "actiontrail:Delete*", "ram:AttachPolicyTo*", "ram:DetachPolicyFrom*",
            "ram:CreatePolicyVersion", "ram:SetDefaultPolicyVersion", "kms:ScheduleKeyDeletion"} <= security
    audit = set(policies["cloud-dev-audit-admin"]["Deny"])
    assert {"actiontrail:Update*", "log:Update*", "log:Delete*"} <= audit
    assert all("*" not in s["Allow"] for s in policies.values())
    roles = collect(plan_graph(result.registrations, 3, None)).admin_roles
    assert sorted(r.role for r in roles) == ["audit", "security", "system"]


def test_the_provider_assumes_the_deploy_role(synthesized: dict[str, SynthResult]) -> None:
    for stack in ("cloud-dev", "hybrid-prod"):
        role = environment(synthesized[stack].spec.effective).cloud.deploy_role_arn  # type: ignore[union-attr]
        assert role is not None and role.startswith("acs:ram::")
        # the home region's provider and the off-site copies' one
        providers = of_type(synthesized[stack], PROVIDER)
        assert len(providers) == 2
        for provider in providers:
            assume = json.loads(provider["assumeRole"])
            assert (assume["roleArn"], assume["sessionName"]) == (role, f"{stack}-deploy")
        clouds = collect(plan_graph(synthesized[stack].registrations, 3, None)).clouds
        assert [c.assumed_role for c in clouds] == [role, role]


def test_without_a_deploy_role_the_plan_is_refused_at_level_3() -> None:
    spec = modified("cloud-dev", lambda d: d["cloud"].pop("deploy_role_arn"))
    result = synthesize_spec(spec, ROOT, "cloud-dev")
    assert all("assumeRole" not in p for p in of_type(result, PROVIDER))
    assert sorted((f.control, f.message_en.split(": ", 1)[1]) for f in result.findings) == [
        ("CES-ACL-04", f"the plan deploys to alicloud ({region}) with the deploying shell's own keys, not "
                       "as a role (cloud.deploy_role_arn)") for region in ("cn-hangzhou", "cn-shanghai")]
    assert "(provider_assumes_role)" in result.findings[0].message_en


def test_openstack_accounts_are_the_owners_keystone(synthesized: dict[str, SynthResult]) -> None:
    assert Capability.CLOUD_IDENTITY in CAPABILITIES["alicloud"]
    assert Capability.CLOUD_IDENTITY not in CAPABILITIES["openstack"]
    result = synthesized["private-cloud"]
    assert not [r for r in result.registrations if r.type.startswith("alicloud:")]
    env = environment(result.spec.effective)
    (identity,) = [n for n in notices(env) if "cloud identity" in n.message_en]
    assert identity.control == "CES-AUTH-01" and identity.pointer == "/cloud/provider"
    assert "Keystone, operated by the private cloud's owner" in identity.message_en
    assert "Keystone" in identity.message_zh
    assert notices(environment(synthesized["cloud-dev"].spec.effective)) == []
