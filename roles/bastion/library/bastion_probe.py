#!/usr/bin/python3
"""Read the live bastion's effective settings and judge them against the bastion controls."""

from __future__ import annotations

import grp
import json
import os
import re
import stat
import subprocess
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.level_floors import at_floors
from ansible.module_utils.nft_ruleset import missing

DOCUMENTATION = r"""
module: bastion_probe
short_description: Observe the bastion controls on the live host
description:
  - Reads the effective sshd settings per administrator (sshd -T -C), the PAM stack, TOTP
    enrolment (file metadata only, never the secret), tlog and rsyslog configuration, the
    recording directory and the firewall; returns one result per check.
options:
  expect:
    description:
      - Expected values (level, admins, groups, totp, lockout, idle timeout, targets, sources...).
      - C(floors) maps a bounded value (lockout_attempts, lockout_unlock_seconds,
        idle_timeout_seconds, retention_days) to
        its level's bound C({control, minimum|maximum, spec}); the host is judged against the
        stricter of value and bound, and each configured value is reported against its bound.
    type: dict
    required: true
author: mlps
"""
EXAMPLES = r"""
- name: Observe the bastion controls
  bastion_probe:
    expect:
      admins: "{{ bastion_admins }}"
      totp_enabled: true
      session_recording: true
      recording_dir: /var/log/mlps/sessions
  register: observed
"""

RETURN = r"""
results:
  description: List of {control, check, status, observed, expected, detail}.
  type: list
  returned: always
"""

Result = dict[str, Any]
PROBE_ADDR = "192.0.2.10"
RECORDER = "/usr/bin/tlog-rec-session"


def run(argv: list[str]) -> tuple[int, str]:
    try:
        # the module's own fixed probe commands, argv without a shell
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError:
        return 127, ""
    return proc.returncode, proc.stdout


def read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def result(control: str, check: str, ok: bool, observed: Any, expected: Any, detail: str = "") -> Result:
    entry: Result = {
        "control": control,
        "check": check,
        "status": "pass" if ok else "fail",
        "observed": observed,
        "expected": expected,
    }
    if detail:
        entry["detail"] = detail
    return entry


def effective(user: str, addr: str) -> dict[str, str]:
    """sshd settings as they apply to ``user`` connecting from ``addr``."""
    _, out = run(["/usr/sbin/sshd", "-T", "-C", f"user={user},host=mlps-probe.invalid,addr={addr}"])
    conf: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        conf[key] = value
    return conf


def strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def check_admin(exp: dict[str, Any], admin: dict[str, Any], pam: str) -> list[Result]:
    user, role = admin["name"], admin["role"]
    group = exp["admin_groups"][role]
    sshd = effective(user, PROBE_ADDR)
    rc, ids = run(["id", "-nG", user])
    out = [
        result(
            "CES-ACL-01",
            f"{user}: personal account in the {role} group {group}",
            rc == 0 and group in ids.split(),
            ids.split(),
            [group],
        )
    ]
    if exp["totp_enabled"]:
        methods = sshd.get("authenticationmethods", "")
        secret = os.path.join(exp["totp_dir"], user)
        try:
            st = os.stat(secret)
            secret_ok = st.st_uid == 0 and not stat.S_IMODE(st.st_mode) & 0o077
            secret_seen: Any = {"owner_uid": st.st_uid, "mode": oct(stat.S_IMODE(st.st_mode))}
        except OSError:
            secret_ok, secret_seen = False, "missing"
        out += [
            result(
                "CES-AUTH-06",
                f"{user}: sshd AuthenticationMethods",
                methods == "publickey,keyboard-interactive",
                methods,
                "publickey,keyboard-interactive",
            ),
            result(
                "CES-AUTH-06",
                f"{user}: sshd PasswordAuthentication",
                sshd.get("passwordauthentication") == "no",
                sshd.get("passwordauthentication"),
                "no",
            ),
            result(
                "CES-AUTH-06",
                f"{user}: TOTP secret enrolled, root-only",
                secret_ok,
                secret_seen,
                {"owner_uid": 0, "mode": "no group/other access"},
            ),
        ]
    interval = int(sshd.get("clientaliveinterval", "0") or 0)
    count = int(sshd.get("clientalivecountmax", "0") or 0)
    out.append(
        result(
            "CES-AUTH-04",
            f"{user}: sshd keep-alive ends idle sessions",
            interval > 0 and count > 0 and interval * count <= exp["idle_timeout_seconds"],
            {"clientaliveinterval": interval, "clientalivecountmax": count},
            f"product 1..{exp['idle_timeout_seconds']}",
        )
    )
    permit = sorted(sshd.get("permitopen", "").split())
    targets = sorted(exp["forward_targets"])
    forwarding = sshd.get("allowtcpforwarding", "")
    fwd_ok = (forwarding == "local" and permit == targets) if targets else forwarding == "no"
    out.append(
        result(
            "SMC-SYS-01",
            f"{user}: forwarding only to the internal hosts' SSH (ProxyJump)",
            fwd_ok,
            {"allowtcpforwarding": forwarding, "permitopen": permit},
            {"allowtcpforwarding": "local" if targets else "no", "permitopen": targets},
        )
    )
    out.append(
        result(
            "SMC-SYS-01",
            f"{user}: no agent, X11 or tunnel forwarding",
            sshd.get("allowagentforwarding") == "no"
            and sshd.get("x11forwarding") == "no"
            and sshd.get("permittunnel") == "no",
            {k: sshd.get(k) for k in ("allowagentforwarding", "x11forwarding", "permittunnel")},
            "no",
        )
    )
    if exp["session_recording"]:
        shell = login_shell(user)
        force = sshd.get("forcecommand", "none")
        out.append(
            result(
                "ABS-AUDIT-01",
                f"{user}: every session runs under tlog (the login shell, started by sshd itself)",
                shell == RECORDER and os.access(RECORDER, os.X_OK),
                {"login_shell": shell, "forcecommand": force},
                {"login_shell": RECORDER},
            )
        )
    return out


def login_shell(user: str) -> str:
    for line in read("/etc/passwd").splitlines():
        fields = line.split(":")
        if len(fields) >= 7 and fields[0] == user:
            return fields[6]
    return "no account"


def check_leavers(exp: dict[str, Any], names: list[str]) -> list[Result]:
    """Administrators marked absent keep no account, home, key or TOTP secret on the bastion."""
    if not names:
        return [
            {
                "control": "CES-ACL-03",
                "check": "administrators who left have no bastion account or TOTP secret",
                "status": "not_applicable",
                "detail": "nobody marked absent",
            }
        ]
    left: dict[str, list[str]] = {}
    for name in names:
        traces = [t for t in ("account",) if login_shell(name) != "no account"]
        traces += [p for p in (f"/home/{name}", os.path.join(exp["totp_dir"], name)) if os.path.exists(p)]
        if traces:
            left[name] = traces
    return [
        result(
            "CES-ACL-03",
            "administrators who left have no bastion account or TOTP secret",
            not left,
            left,
            {},
        )
    ]


def check_pam(exp: dict[str, Any], pam: str) -> list[Result]:
    out: list[Result] = []
    deny = re.search(r"pam_faillock\.so preauth.*deny=(\d+)", pam)
    unlock = re.search(r"pam_faillock\.so preauth.*unlock_time=(\d+)", pam)
    wait = exp["lockout_unlock_seconds"]
    out.append(
        result(
            "CES-AUTH-03",
            "bastion sshd PAM: faillock preauth/authfail",
            # deny=0 never locks; unlock_time=0 never unlocks (the strictest).
            deny is not None and 0 < int(deny.group(1)) <= exp["lockout_attempts"] and "authfail" in pam
            and unlock is not None and (int(unlock.group(1)) == 0 or int(unlock.group(1)) >= wait),
            {"deny": deny.group(1) if deny else None, "unlock_time": unlock.group(1) if unlock else None,
             "authfail": "authfail" in pam},
            {"deny": f"1..{exp['lockout_attempts']}", "unlock_time": f"0 or >= {wait}", "authfail": True},
        )
    )
    if exp["totp_enabled"]:
        out.append(
            result(
                "CES-AUTH-06",
                "bastion sshd PAM: TOTP module, no password",
                "pam_google_authenticator.so" in pam and "common-auth" not in pam and "nullok" not in pam,
                "pam_google_authenticator.so" in pam,
                True,
            )
        )
    return out


def tlog_config() -> dict[str, Any]:
    text = re.sub(r"^\s*//.*$", "", read("/etc/tlog/tlog-rec-session.conf"), flags=re.M)
    try:
        loaded = json.loads(text)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def check_recording(exp: dict[str, Any]) -> list[Result]:
    out: list[Result] = []
    if exp["session_recording"]:
        conf = tlog_config()
        log = conf.get("log", {})
        out.append(
            result(
                "ABS-AUDIT-01",
                "tlog records input and output to syslog",
                log.get("input") is True and log.get("output") is True and conf.get("writer") == "syslog",
                {"input": log.get("input"), "output": log.get("output"), "writer": conf.get("writer")},
                {"input": True, "output": True, "writer": "syslog"},
            )
        )
    if exp["command_audit"]:
        profile = read("/etc/profile.d/mlps-bastion.sh")
        out.append(
            result(
                "ABS-AUDIT-01",
                "typed commands logged (PROMPT_COMMAND, tag mlps-cmd)",
                "PROMPT_COMMAND=mlps_audit_command" in profile and "readonly PROMPT_COMMAND" in profile,
                "present" if "mlps-cmd" in profile else "absent",
                "present",
            )
        )
    rdir = exp["recording_dir"]
    audit_group = exp["admin_groups"]["audit"]
    try:
        st = os.stat(rdir)
        group = grp.getgrgid(st.st_gid).gr_name
        mode = stat.S_IMODE(st.st_mode)
        dir_ok = st.st_uid == 0 and group == audit_group and mode & 0o040 and not mode & 0o007
        seen: Any = {"group": group, "mode": oct(mode)}
    except (OSError, KeyError):
        dir_ok, seen = False, "missing"
    out.append(
        result(
            "SMC-AUD-01",
            f"recordings in {rdir} readable by the audit administrators only",
            bool(dir_ok),
            seen,
            {"group": audit_group, "mode": "group read, no other access"},
        )
    )
    rsyslog = strip_comments(read("/etc/rsyslog.d/20-mlps-bastion-sessions.conf"))
    rc, _ = run(["systemctl", "is-active", "--quiet", "rsyslog"])
    out.append(
        result(
            "ABS-AUDIT-04",
            "recordings kept as files for forwarding (rsyslog active, drop-in present)",
            rc == 0 and f"{rdir}/sessions.log" in rsyslog,
            {"rsyslog": "active" if rc == 0 else "inactive", "dropin": f"{rdir}/sessions.log" in rsyslog},
            {"rsyslog": "active", "dropin": True},
        )
    )
    rotate = re.search(r"^\s*rotate\s+(\d+)", read("/etc/logrotate.d/mlps-bastion"), re.M)
    out.append(
        result(
            "SMC-CEN-04",
            "recordings kept at least the retention period (logrotate)",
            rotate is not None and int(rotate.group(1)) >= exp["retention_days"],
            int(rotate.group(1)) if rotate else None,
            f">= {exp['retention_days']} daily files",
        )
    )
    return out


def check_firewall(exp: dict[str, Any]) -> list[Result]:
    if not exp["allowed_sources"]:
        return [
            {
                "control": "CES-IPS-03",
                "check": "bastion SSH reachable from the administrators' networks",
                "status": "not_applicable",
                "detail": "no bastion_allowed_sources given",
            }
        ]
    rc, rules = run(["nft", "list", "set", "inet", "mlps_filter", "mgmt_ssh_v4"])
    elements = re.search(r"elements = \{([^}]*)\}", rules, re.S)
    seen = sorted(e.strip() for e in (elements.group(1).split(",") if elements else []) if e.strip())
    wanted = [s for s in exp["allowed_sources"] if ":" not in s]
    absent = missing(seen, wanted)
    return [
        result(
            "CES-IPS-03",
            "bastion SSH reachable from the administrators' networks",
            rc == 0 and not absent,
            seen,
            wanted,
            f"missing {absent}" if absent else "",
        )
    ]


def main() -> None:
    module = AnsibleModule(
        argument_spec={"expect": {"type": "dict", "required": True}}, supports_check_mode=True
    )
    exp = dict(module.params["expect"])
    try:
        for key in ("lockout_attempts", "lockout_unlock_seconds", "idle_timeout_seconds", "retention_days"):
            exp[key] = int(exp[key])
        exp, bounded = at_floors(exp, exp.get("floors") or {}, int(exp.get("level", 3)))
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        module.fail_json(msg=f"expect: {err}")
    for key in ("totp_enabled", "session_recording", "command_audit"):
        exp[key] = exp[key] if isinstance(exp[key], bool) else str(exp[key]).lower() in ("true", "yes", "1")
    pam = strip_comments(read("/etc/pam.d/sshd"))
    results = bounded + check_pam(exp, pam)
    present = [a for a in exp["admins"] if a.get("state", "present") != "absent"]
    absent = [a["name"] for a in exp["admins"] if a.get("state", "present") == "absent"]
    if not present:
        results.append(
            result("CES-ACL-01", "administrators with a bastion account", False, [], "at least one")
        )
    for admin in present:
        results += check_admin(exp, admin, pam)
    results += check_leavers(exp, absent)
    results += check_recording(exp) + check_firewall(exp)
    module.exit_json(changed=False, results=results)


if __name__ == "__main__":
    main()
