"""Cross-field checks of the administrator accounts."""

from __future__ import annotations

from collections.abc import Iterator

from mlps.checks.registry import Problem, Spec, items, register
from mlps.normalise import fold, same_person_name


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


def _text(value: object) -> str | None:
    """``value`` if it is a string with more than whitespace, else None."""
    return value if isinstance(value, str) and value.strip() else None


def _who(admin: dict[str, object]) -> object:
    """The full name of an administrator entry, else its account name."""
    return _text(admin.get("full_name")) or admin.get("name")


def _same_person(a: dict[str, object], b: dict[str, object]) -> str | None:
    """Why two administrator entries are one person: ``"id"`` (same employee_id), ``"name"``
    (full names alike in hanzi or pinyin while one of them has no employee_id), else None.
    Two different employee_ids are two people whatever the names."""
    id_a, id_b = _text(a.get("employee_id")), _text(b.get("employee_id"))
    if id_a and id_b:
        return "id" if fold(id_a) == fold(id_b) else None
    name_a, name_b = _text(a.get("full_name")), _text(b.get("full_name"))
    return "name" if name_a and name_b and same_person_name(name_a, name_b) else None


_NAME_HINT_ZH = (
    "请删除其中一个角色账户或改由另一人担任。汉字或拼音写法相同的姓名视为同一人（括号内的写法、"
    "汉字与拼音并写时的每一种写法都算，称谓和括号中的角色词不算，形似拉丁字母的西里尔、希腊字母按拉丁字母读），"
    "若确为不同的人，请为两人分别填写 employee_id（工号）。")
_NAME_HINT_EN = (
    "Remove one of the two role accounts or give the role to someone else. Names alike in hanzi "
    "or pinyin count as one person (each bracketed form and each half of a hanzi-and-Latin name "
    "counts, titles and role words in brackets do not, Cyrillic and Greek look-alikes read as "
    "Latin letters); if these are different people, give each their employee_id.")


def admin_roles_separated(spec: Spec, level: int) -> Iterator[Problem]:
    """One person holds at most one of the system/audit/security roles; each entry is reported
    against the first earlier entry of the same person (``_same_person``) in another role."""
    earlier: list[tuple[int, dict[str, object]]] = []
    for i, admin in items(spec, "admins"):
        role = admin.get("role")
        if not isinstance(role, str):
            continue
        person = _who(admin)
        for j, other in earlier:
            why = _same_person(admin, other) if other["role"] != role else None
            if why == "id":
                yield (
                    f"/admins/{i}/employee_id",
                    f"{person} 与 /admins/{j}（{_who(other)}）的工号 "
                    f"{admin['employee_id']} 相同，是同一人，同时担任 {other['role']} 和 {role} "
                    "管理员；系统、审计、安全管理员须由不同的人担任。",
                    f"{person} has the employee id {admin['employee_id']} of /admins/{j} "
                    f"({_who(other)}), so one person holds both the {other['role']} and "
                    f"the {role} administrator role; system, audit and security administrators "
                    "must be different people.",
                )
                break
            if why == "name":
                yield (
                    f"/admins/{i}/role",
                    f"{person} 同时担任 {other['role']}（/admins/{j}，{other['full_name']}）和 {role} "
                    "管理员，系统、审计、安全管理员须由不同的人担任；" + _NAME_HINT_ZH,
                    f"{person} holds both the {other['role']} (/admins/{j}, {other['full_name']}) and "
                    f"the {role} administrator role; system, audit and security administrators must "
                    "be different people. " + _NAME_HINT_EN,
                )
                break
        earlier.append((i, admin))


register(admin_keys_not_shared, admin_roles_separated)
