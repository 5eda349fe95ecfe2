"""Cross-field checks of the administrator accounts."""

from __future__ import annotations

from collections.abc import Iterator

from mlps.checks.registry import Problem, Spec, items, register
from mlps.normalise import fold


def admins_unique(spec: Spec, level: int) -> Iterator[Problem]:
    """Every administrator account name appears once."""
    seen: dict[str, int] = {}
    for i, admin in items(spec, "admins"):
        name = admin.get("name")
        if not isinstance(name, str):
            continue
        if name in seen:
            yield (
                f"/admins/{i}/name",
                f"管理员账户名 {name} 与 /admins/{seen[name]} 重复，账户标识必须唯一。",
                f"Administrator account {name} repeats /admins/{seen[name]}; account names "
                "must be unique.",
            )
        else:
            seen[name] = i


def _key_body(key: object) -> str | None:
    """Key type and key material, without the comment."""
    if not isinstance(key, str):
        return None
    parts = key.split()
    return " ".join(parts[:2]) if len(parts) >= 2 else None


def admin_keys_not_shared(spec: Spec, level: int) -> Iterator[Problem]:
    """No two administrator accounts log in with the same SSH key (a shared credential)."""
    seen: dict[str, int] = {}
    for i, admin in items(spec, "admins"):
        body = _key_body(admin.get("ssh_public_key"))
        if body is None:
            continue
        if body in seen:
            yield (
                f"/admins/{i}/ssh_public_key",
                f"管理员 {admin.get('name')} 与 /admins/{seen[body]} 使用同一 SSH 公钥，"
                "相当于共享账户；每人必须使用自己的密钥。",
                f"Administrator {admin.get('name')} uses the same SSH key as "
                f"/admins/{seen[body]}, which amounts to a shared account; each person needs "
                "their own key.",
            )
        else:
            seen[body] = i


def admin_roles_separated(spec: Spec, level: int) -> Iterator[Problem]:
    """One person (same full name) holds at most one of the system/audit/security roles."""
    roles: dict[str, tuple[int, str]] = {}
    for i, admin in items(spec, "admins"):
        person, role = admin.get("full_name"), admin.get("role")
        if not isinstance(person, str) or not person.strip() or not isinstance(role, str):
            continue
        first = roles.setdefault(fold(person), (i, role))
        if first[1] != role:
            yield (
                f"/admins/{i}/role",
                f"{person} 同时担任 {first[1]}（/admins/{first[0]}）和 {role} 管理员，"
                "系统、审计、安全管理员须由不同的人担任。",
                f"{person} holds both the {first[1]} (/admins/{first[0]}) and the {role} "
                "administrator role; system, audit and security administrators must be "
                "different people.",
            )


register(admins_unique, admin_keys_not_shared, admin_roles_separated)
