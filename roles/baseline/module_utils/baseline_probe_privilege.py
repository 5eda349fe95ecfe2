"""Checks of the baseline_probe module for what can act as root: the sudo rules of every
account, the administrator roles' mlps-admin-* tools, and the audit trail (rules, immutability,
auditd's behaviour as its disk fills)."""

from __future__ import annotations

import glob
import os
import re
import stat
from typing import Any

from ansible.module_utils.baseline_probe_host import Result, read, result, run

AUDIT_RULES = "/etc/audit/rules.d/50-mlps-baseline.rules"
# One key per rule group of the CIS Debian Linux 12 benchmark (4.1.3.x) plus the audit configuration.
AUDIT_KEYS = ["sudoers", "user_emulation", "sudo_log_file", "time-change", "system-locale", "privileged",
              "access", "identity", "perm_mod", "mounts", "session", "logins", "delete", "MAC-policy",
              "perm_chng", "usermod", "kernel_modules", "audit_config"]
ALERTING = {"syslog", "email", "exec", "single", "halt"}
STOPPING = {"single", "halt"}


def sudo_commands(user: str) -> list[str]:
    """The command lines ``sudo -l -U user`` grants (tags and run-as stripped)."""
    _, out = run(["sudo", "-n", "-l", "-U", user])
    commands: list[str] = []
    listing = False
    for line in out.splitlines():
        if line.startswith("User ") and "may run the following commands" in line:
            listing = True
            continue
        if not listing or not line.startswith((" ", "\t")) or not line.strip():
            continue
        rest = re.sub(r"^\s*\([^)]*\)\s*", "", line)
        while re.match(r"^[A-Z_]+:\s*", rest):
            rest = re.sub(r"^[A-Z_]+:\s*", "", rest, count=1)
        commands += [c.strip() for c in re.split(r"(?<!\\),\s*", rest) if c.strip()]
    return commands


def too_broad(command: str, tools: list[str]) -> bool:
    """A wildcard, ALL, sudoedit or a bare command (which takes any argument), other than a role tool."""
    if command.startswith("!") or command in tools:
        return False
    path = command.split()[0]
    return (
        command == "ALL"
        or path.endswith("sudoedit")
        or any(ch in command for ch in "*?[")
        or len(command.split()) < 2
    )


def check_sudo_rules(exp: dict[str, Any]) -> list[Result]:
    tools = exp["admin_tools"]
    skip = {"root", exp["connection_user"]}
    users = [f.split(":")[0] for f in read("/etc/passwd").splitlines() if f.count(":") >= 6]
    broad = sorted(
        f"{user}: {cmd}"
        for user in users
        if user not in skip
        for cmd in sudo_commands(user)
        if too_broad(cmd, tools)
    )
    out = [
        result(
            "CES-ACL-04",
            "no sudo rule with a wildcard, ALL, sudoedit or a bare command (any account)",
            not broad,
            broad,
            [],
            "a bare command or a wildcard lets the account pass arguments that give it root",
        )
    ]
    for admin in exp["admins"]:
        allowed = set(exp["admin_sudo"].get(admin["role"], []))
        extra = sorted(set(sudo_commands(admin["name"])) - allowed)
        out.append(
            result(
                "CES-ACL-04",
                f"{admin['name']}: sudo grants only the {admin['role']} role's tools and exact commands",
                not extra,
                {"extra": extra},
                {"extra": []},
            )
        )
    return out


def root_only(path: str) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_uid == 0 and not st.st_mode & 0o022


def check_admin_tools(exp: dict[str, Any]) -> list[Result]:
    tools = exp["admin_tools"]
    bad = [t for t in tools if not root_only(t)]
    dirs = sorted({os.path.dirname(t) for t in tools})
    weak_dirs = [
        d for d in dirs if not os.path.isdir(d) or os.stat(d).st_uid != 0 or os.stat(d).st_mode & 0o022
    ]
    return [
        result(
            "CES-ACL-04",
            "mlps-admin-* tools present, root-owned, writable by root only",
            not bad and not weak_dirs,
            {"bad": bad, "weak_directories": weak_dirs},
            {"bad": [], "weak_directories": []},
        )
    ]


def rule_lines() -> list[str]:
    """Every rule of /etc/audit/rules.d in the order augenrules loads them."""
    lines: list[str] = []
    for path in sorted(glob.glob("/etc/audit/rules.d/*.rules")):
        stripped = (ln.strip() for ln in read(path).splitlines())
        lines += [ln for ln in stripped if ln and not ln.startswith("#")]
    return lines


def auditd_conf() -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in read("/etc/audit/auditd.conf").splitlines():
        key, sep, value = raw.split("#", 1)[0].partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def check_audit(exp: dict[str, Any]) -> list[Result]:
    text = read(AUDIT_RULES)
    missing = [k for k in AUDIT_KEYS if f"-k {k}" not in text]
    # augenrules loads the last -e of rules.d after every other rule, whichever file it is in.
    enable = [ln for ln in rule_lines() if re.match(r"-e\s", ln)]
    last = enable[-1] if enable else ""
    out = [
        result(
            "CES-AUDIT-01",
            "audit rules cover the CIS rule groups (logins, privilege use, accounts, sudoers, time, "
            "mounts, modules, permissions, failed access, deletions, MAC policy, audit config)",
            bool(text) and not missing,
            {"missing": missing},
            {"missing": []},
        ),
        result(
            "CES-AUDIT-01",
            "audit rules made immutable (-e 2 is the last rule loaded)",
            last == "-e 2",
            last or "no -e rule",
            "-e 2",
            "without it root can delete every rule (auditctl -D) and act unaudited",
        ),
    ]
    if exp["in_container"]:
        out.append(
            result("CES-AUDIT-01", "audit rules loaded in the kernel", None, "container", AUDIT_KEYS,
                   "no audit subsystem in a non-initial namespace")
        )
    else:
        rc, loaded = run(["auditctl", "-l"])
        _, status = run(["auditctl", "-s"])
        absent = [k for k in AUDIT_KEYS if f"-k {k}" not in loaded and f"key={k}" not in loaded]
        immutable = re.search(r"^enabled 2$", status, re.M) is not None
        out.append(
            result("CES-AUDIT-01", "audit rules loaded in the kernel", rc == 0 and not absent and immutable,
                   {"missing": absent, "immutable": immutable}, {"missing": [], "immutable": True})
        )
    conf = auditd_conf()
    want = {k: str(v) for k, v in exp["auditd_settings"].items()}
    seen = {k: conf.get(k, "") for k in want}
    wrong = sorted(k for k, v in want.items() if seen[k].lower() != v.lower())
    actions = {k: seen.get(k, conf.get(k, "")).lower() for k in
               ("space_left_action", "admin_space_left_action", "disk_full_action", "disk_error_action")}
    silent = sorted(k for k, v in actions.items() if v.split()[:1] == [] or v.split()[0] not in ALERTING)
    if exp["level"] >= 3:
        silent += sorted(k for k in ("admin_space_left_action", "disk_full_action")
                         if actions[k] not in STOPPING and k not in silent)
    out.append(
        result(
            "CES-AUDIT-04",
            "auditd alerts as its disk fills and stops the system rather than lose records",
            not wrong and not silent,
            seen,
            want,
            f"differs: {wrong}; silent or unset: {silent}" if wrong or silent else "",
        )
    )
    return out
