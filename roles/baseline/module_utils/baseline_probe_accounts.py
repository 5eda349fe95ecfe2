"""Checks of the baseline_probe module for accounts (empty passwords, duplicates, system and
unused accounts) and the separated administrator roles' sudo rights."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.baseline_probe_host import Result, not_applicable, read, result, run


def accounts() -> tuple[list[list[str]], dict[str, str]]:
    passwd = [line.split(":") for line in read("/etc/passwd").splitlines() if line.count(":") >= 6]
    shadow = {
        f[0]: f[1] for f in (line.split(":") for line in read("/etc/shadow").splitlines()) if len(f) > 1
    }
    return passwd, shadow


def check_accounts(exp: dict[str, Any]) -> list[Result]:
    passwd, shadow = accounts()
    names = [p[0] for p in passwd]
    uids = [p[2] for p in passwd]
    empty = sorted(n for n, pw in shadow.items() if pw == "")
    dup_uid = sorted({u for u in uids if uids.count(u) > 1})
    dup_name = sorted({n for n in names if names.count(n) > 1})
    nologin = {"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"}
    sys_shell = sorted(
        p[0]
        for p in passwd
        if p[2].isdigit()
        and int(p[2]) < exp["uid_min"]
        and p[0] not in exp["system_account_exceptions"]
        and p[6] not in nologin
    )
    root_pw = shadow.get("root", "")
    keep = set(exp["admin_names"]) | set(exp["local_users_allowed"]) | {exp["connection_user"]}
    _, expiry = run(["getent", "shadow"])
    expires = {f[0]: f[7] for f in (line.split(":") for line in expiry.splitlines()) if len(f) > 7}
    unused_open = sorted(
        p[0]
        for p in passwd
        if p[2].isdigit()
        and exp["uid_min"] <= int(p[2]) <= exp["uid_max"]
        and p[0] not in keep
        and not (expires.get(p[0], "").isdigit() and shadow.get(p[0], "").startswith(("!", "*")))
    )
    return [
        result("CES-AUTH-02", "accounts with an empty password", not empty, empty, []),
        result("CES-AUTH-02", "duplicate UIDs", not dup_uid, dup_uid, []),
        result("CES-AUTH-02", "duplicate account names", not dup_name, dup_name, []),
        result("CES-ACL-02", "system accounts with a login shell", not sys_shell, sys_shell, []),
        result(
            "CES-ACL-02",
            "root password locked",
            root_pw.startswith(("!", "*")) or root_pw == "",
            "locked" if root_pw.startswith(("!", "*")) else "usable",
            "locked",
        )
        if exp["lock_root_password"]
        else not_applicable("CES-ACL-02", "root password locked", "disabled"),
        result(
            "CES-ACL-03", "unused local accounts not locked and expired", not unused_open, unused_open, []
        ),
    ]


def sudo_allows(user: str, command: str) -> bool:
    rc, _ = run(["sudo", "-n", "-l", "-U", user, *command.split()])
    return rc == 0


def check_roles(exp: dict[str, Any]) -> list[Result]:
    out: list[Result] = []
    groups = exp["admin_groups"]
    members: dict[str, list[str]] = {role: [] for role in groups}
    for admin in exp["admins"]:
        members.setdefault(admin["role"], []).append(admin["name"])
    rc, _ = run(["/usr/sbin/visudo", "-c"])
    out.append(result("CES-ACL-04", "sudoers valid (visudo -c)", rc == 0, rc, 0))
    probes = exp["role_probes"]
    for role, group in groups.items():
        control = {"audit": "SMC-AUD-01", "security": "SMC-SEC-01"}.get(role, "CES-ACL-04")
        users = members.get(role, [])
        if not users:
            if role == "security" and exp["level"] < 3:
                out.append(not_applicable(control, "security administrator exists", "level 2"))
            else:
                out.append(
                    result(
                        control,
                        f"{role} administrator account exists (group {group})",
                        False,
                        [],
                        "at least one named account",
                    )
                )
            continue
        for user in users:
            rc_id, ids = run(["id", "-nG", user])
            in_group = rc_id == 0 and group in ids.split()
            allowed = {c: sudo_allows(user, c) for c in probes[role]["allowed"]}
            denied = {c: sudo_allows(user, c) for c in probes[role]["denied"]}
            others = [g for r, g in groups.items() if r != role and g in ids.split()]
            out.append(
                result(
                    control,
                    f"{user}: {role} administrator in group {group}, no other admin role",
                    in_group and not others,
                    ids.split(),
                    [group],
                )
            )
            out.append(
                result(
                    "CES-ACL-04",
                    f"{user}: sudo allows the {role} role's commands",
                    all(allowed.values()),
                    allowed,
                    dict.fromkeys(allowed, True),
                )
            )
            out.append(
                result(
                    "CES-ACL-04",
                    f"{user}: sudo refuses other roles' commands and shells",
                    not any(denied.values()),
                    denied,
                    dict.fromkeys(denied, False),
                )
            )
    return out
