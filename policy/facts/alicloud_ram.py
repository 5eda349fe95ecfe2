"""Alibaba Cloud RAM resources as neutral facts.

``AccountPasswordPolicy`` holds the account's password and lockout rules, ``SecurityPreference``
whether console login needs MFA (``mfaOperationForLogin: mandatory``, or the older
``enforceMfaForLogin``). A RAM group is an administrator role when its comment is
``mlps:admin-role=<role>``; what it may do is the policies a ``GroupPolicyAttachment`` gives it,
read from their documents: only statements on every resource count, an Allow by ``NotAction`` as
allowing everything (``*``), a Deny only when it names its actions and has no ``Condition``. Its
members are the users a ``UserGroupAttachment`` or ``GroupMembership`` puts in it. The provider
acts as a RAM role when its ``assumeRole`` names one (the engine passes provider inputs as JSON text).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from policy.facts.model import AdminRole, LoginPolicy, PasswordPolicy, subject
from policy.facts.values import listed, whole

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph, PlanResource

PACKAGE = "alicloud"
ACCOUNT_POLICY = "alicloud:ram/accountPasswordPolicy:AccountPasswordPolicy"
PREFERENCE = "alicloud:ram/securityPreference:SecurityPreference"
GROUP = "alicloud:ram/group:Group"
POLICY = "alicloud:ram/policy:Policy"
ATTACHMENT = "alicloud:ram/groupPolicyAttachment:GroupPolicyAttachment"
USER_ATTACHMENT = "alicloud:ram/userGroupAttachment:UserGroupAttachment"
MEMBERSHIP = "alicloud:ram/groupMembership:GroupMembership"
ROLE_TAG = "mlps:admin-role="
CLASSES = (
    "requireLowercaseCharacters",
    "requireUppercaseCharacters",
    "requireNumbers",
    "requireSymbols",
)
"""RAM's character class switches, each true unless the plan sets it false."""


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def assumed_role(provider: PlanResource) -> str | None:
    """The RAM role ARN the provider assumes, None when it assumes none."""
    assume = _json(provider.props.get("assumeRole"))
    arn = assume.get("roleArn") if isinstance(assume, dict) else None
    return str(arn) if arn else None


def _number(props: dict[str, Any], key: str, default: int) -> int:
    """A password setting, the cloud's default where the plan leaves it out, 0 (the weakest)
    where the plan's value cannot be read as a whole number."""
    value = props.get(key)
    return default if value is None else whole(value) or 0


def password_policies(graph: PlanGraph) -> list[PasswordPolicy]:
    def one(r: PlanResource) -> PasswordPolicy:
        p = r.props
        return PasswordPolicy(
            provider=PACKAGE,
            min_length=_number(p, "minimumPasswordLength", 12),
            char_classes=sum(p.get(c, True) is not False for c in CLASSES),
            max_age_days=_number(p, "maxPasswordAge", 0),
            reuse_prevention=_number(p, "passwordReusePrevention", 0),
            lockout_attempts=_number(p, "maxLoginAttempts", 5),
            subject=subject(r),
        )

    return [one(r) for r in graph.of_type(ACCOUNT_POLICY)]


def login_policies(graph: PlanGraph) -> list[LoginPolicy]:
    return [
        LoginPolicy(
            provider=PACKAGE,
            mfa_required=r.props.get("mfaOperationForLogin") == "mandatory"
            or r.props.get("enforceMfaForLogin") is True,
            subject=subject(r),
        )
        for r in graph.of_type(PREFERENCE)
    ]


def _listed(value: Any) -> list[str]:
    return [str(v) for v in listed(value) if v]


def _every(resource: str) -> bool:
    """``resource`` names every resource (``*``, ``acs:*:*:*:*``)."""
    head, *rest = resource.split(":")
    return resource == "*" or (head == "acs" and bool(rest) and all(p == "*" for p in rest))


def _everywhere(statement: dict[str, Any], effect: str) -> list[str]:
    """The actions of ``statement`` when it has ``effect`` on every resource. An Allow by
    ``NotAction`` allows ``*``, one by ``NotResource`` counts as on every resource; a Deny under a
    ``Condition``, by ``NotAction`` or by ``NotResource`` holds nowhere for sure."""
    if statement.get("Effect") != effect:
        return []
    everywhere = any(_every(r) for r in _listed(statement.get("Resource")))
    if effect == "Deny":
        sure = everywhere and not {"Condition", "NotResource"} & statement.keys()
        return _listed(statement.get("Action")) if sure else []
    if not (everywhere or "NotResource" in statement):
        return []
    return ["*"] if "NotAction" in statement else _listed(statement.get("Action"))


def _statements(graph: PlanGraph, attachment: PlanResource) -> list[dict[str, Any]]:
    """The statements of the policy an attachment gives (by reference, or by its name)."""
    name = attachment.props.get("policyName")
    refs = set(attachment.deps.get("policyName", ()))
    out: list[dict[str, Any]] = []
    for policy in graph.of_type(POLICY):
        if policy.urn in refs or (name and policy.props.get("policyName") == name):
            document = _json(policy.props.get("policyDocument") or policy.props.get("document"))
            statements = document.get("Statement") if isinstance(document, dict) else None
            out += [s for s in statements or [] if isinstance(s, dict)]
    return out


def _related(graph: PlanGraph, type_: str, group: PlanResource, name: str) -> list[PlanResource]:
    """The resources of ``type_`` naming ``group`` (by reference, or by its name)."""
    found = {a.urn: a for a in graph.referencing(type_, "groupName", group)}
    found.update({a.urn: a for a in graph.of_type(type_) if a.props.get("groupName") == name})
    return list(found.values())


def _members(graph: PlanGraph, group: PlanResource, name: str) -> tuple[str, ...]:
    users = [u for a in _related(graph, USER_ATTACHMENT, group, name)
             for u in _listed(a.props.get("userName"))]
    users += [u for m in _related(graph, MEMBERSHIP, group, name)
              for u in _listed(m.props.get("userNames"))]
    return tuple(sorted(set(users)))


def admin_roles(graph: PlanGraph) -> list[AdminRole]:
    out = []
    for group in graph.of_type(GROUP):
        comment = str(group.props.get("comments") or "")
        if not comment.startswith(ROLE_TAG):
            continue
        name = str(group.props.get("groupName") or group.name)
        statements = [s for a in _related(graph, ATTACHMENT, group, name) for s in _statements(graph, a)]
        out.append(
            AdminRole(
                role=comment[len(ROLE_TAG) :],
                name=name,
                provider=PACKAGE,
                allows=tuple(a for s in statements for a in _everywhere(s, "Allow")),
                denies=tuple(a for s in statements for a in _everywhere(s, "Deny")),
                members=_members(graph, group, name),
                subject=subject(group),
            )
        )
    return out
