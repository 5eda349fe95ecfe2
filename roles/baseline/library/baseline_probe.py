#!/usr/bin/python3
"""Read the live host's effective security settings and judge them against the baseline controls."""

from __future__ import annotations

import re
from typing import Any

from ansible.module_utils.baseline_probe_accounts import check_accounts, check_roles
from ansible.module_utils.baseline_probe_firewall import check_firewall
from ansible.module_utils.baseline_probe_host import (
    Result,
    check_files,
    check_minimal,
    check_residual,
    check_time,
    read,
    result,
    run,
)
from ansible.module_utils.baseline_probe_integrity import (
    check_intrusion_detection,
    check_malware,
    check_restricted_tools,
)
from ansible.module_utils.baseline_probe_privilege import check_admin_tools, check_audit, check_sudo_rules
from ansible.module_utils.baseline_probe_sessions import check_sessions
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.level_floors import at_floors

DOCUMENTATION = r"""
module: baseline_probe
short_description: Observe the baseline controls on the live host
description:
  - Reads effective configuration (sshd -T, nft, PAM files, account databases, sudo -l, mounts,
    swap) and returns one result per control check, with observed and expected values.
options:
  expect:
    description:
      - Expected values (level, password, lockout, ssh, firewall, accounts...).
      - C(floors) maps a bounded value (password_min_length, lockout_attempts,
        idle_timeout_seconds...) to its level's bound C({control, minimum|maximum, spec}); the
        host is judged against the stricter of value and bound, and each configured value is
        reported against its bound.
    type: dict
    required: true
author: mlps
"""
EXAMPLES = r"""
- name: Observe the baseline controls (runs from the baseline role, which ships its module_utils)
  baseline_probe:
    expect:
      level: 3
      password_min_length: 12
      lockout_attempts: 5
  register: observed
"""

RETURN = r"""
results:
  description: List of {control, check, status, observed, expected, detail}.
  type: list
  returned: always
"""


def sshd_effective(extra: list[str] | None = None) -> dict[str, str]:
    """Effective sshd settings (``sshd -T``), keys lower-case; repeated keys joined by commas."""
    _, out = run(["/usr/sbin/sshd", "-T", *(extra or [])])
    conf: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        conf[key] = f"{conf[key]},{value}" if key in conf and key in ("hostkey",) else value
    return conf


def conf_values(text: str, sep: str = "=") -> dict[str, str]:
    """key = value lines (comments skipped); bare keys map to ''."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(sep, 1) if sep.strip() else line.split(None, 1)
        values[parts[0].strip()] = parts[1].strip() if len(parts) > 1 else ""
    return values


def check_auth(exp: dict[str, Any]) -> list[Result]:
    pw = conf_values(read("/etc/security/pwquality.conf"))
    pam_pw = read(exp["pam_password_file"])
    pam_auth = "\n".join(
        line for line in read(exp["pam_auth_file"]).splitlines() if not line.lstrip().startswith("#")
    )
    history = re.search(r"pam_pwhistory\.so.*remember=(\d+)", pam_pw)
    defs = conf_values(read("/etc/login.defs"), sep=" ")
    fl = conf_values(read("/etc/security/faillock.conf"))
    max_days = defs.get("PASS_MAX_DAYS", "")
    return [
        result(
            "CES-AUTH-01",
            "pwquality minlen",
            int(pw.get("minlen", "0") or 0) >= exp["password_min_length"],
            pw.get("minlen"),
            f">= {exp['password_min_length']}",
        ),
        result(
            "CES-AUTH-01",
            "pwquality minclass",
            int(pw.get("minclass", "0") or 0) >= exp["password_min_classes"],
            pw.get("minclass"),
            f">= {exp['password_min_classes']}",
        ),
        result(
            "CES-AUTH-01",
            "pam_pwquality in the password stack",
            "pam_pwquality.so" in pam_pw,
            "present" if "pam_pwquality.so" in pam_pw else "absent",
            "present",
        ),
        result(
            "CES-AUTH-01",
            "pam_pwhistory remember",
            history is not None and int(history.group(1)) >= exp["password_history"],
            history.group(1) if history else None,
            f">= {exp['password_history']}",
        ),
        result(
            "CES-AUTH-01",
            "login.defs PASS_MAX_DAYS",
            max_days.isdigit() and 0 < int(max_days) <= exp["password_max_age_days"],
            max_days,
            f"<= {exp['password_max_age_days']}",
        ),
        result(
            "CES-AUTH-02",
            "no nullok in the auth stack",
            "nullok" not in pam_auth,
            "nullok" if "nullok" in pam_auth else "absent",
            "absent",
        ),
        result(
            "CES-AUTH-03",
            "faillock deny",
            fl.get("deny", "").isdigit() and 0 < int(fl["deny"]) <= exp["lockout_attempts"],
            fl.get("deny"),
            f"1..{exp['lockout_attempts']}",
        ),
        result(
            "CES-AUTH-03",
            "faillock unlock_time",
            # unlock_time 0: only an administrator unlocks (the strictest)
            fl.get("unlock_time", "").isdigit()
            and (int(fl["unlock_time"]) == 0 or int(fl["unlock_time"]) >= exp["lockout_unlock_seconds"]),
            fl.get("unlock_time"),
            f"0 or >= {exp['lockout_unlock_seconds']}",
        ),
        result(
            "CES-AUTH-03",
            "pam_faillock preauth and authfail in the auth stack",
            "pam_faillock.so preauth" in pam_auth and "pam_faillock.so authfail" in pam_auth,
            [m for m in ("preauth", "authfail") if f"pam_faillock.so {m}" in pam_auth],
            ["preauth", "authfail"],
        ),
    ]


def check_idle(exp: dict[str, Any], sshd: dict[str, str]) -> list[Result]:
    _, tmout = run(["/bin/bash", "-l", "-c", "echo ${TMOUT:-unset}; readonly -p | grep -c ' TMOUT=' || true"])
    lines = tmout.split()
    value, readonly = ([*lines, "", ""])[:2]
    interval = int(sshd.get("clientaliveinterval", "0") or 0)
    count = int(sshd.get("clientalivecountmax", "0") or 0)
    budget = exp["idle_timeout_seconds"]
    return [
        result(
            "CES-AUTH-04",
            "login shell TMOUT (read-only)",
            value.isdigit() and 0 < int(value) <= budget and readonly == "1",
            {"TMOUT": value, "readonly": readonly == "1"},
            {"TMOUT": f"1..{budget}", "readonly": True},
        ),
        result(
            "CES-AUTH-04",
            "sshd ClientAliveInterval x ClientAliveCountMax",
            interval > 0 and count > 0 and interval * count <= budget,
            {"clientaliveinterval": interval, "clientalivecountmax": count},
            f"product 1..{budget}",
        ),
    ]


def check_ssh(exp: dict[str, Any], sshd: dict[str, str]) -> list[Result]:
    out: list[Result] = []
    for key, want in (
        ("passwordauthentication", "no"),
        ("permitemptypasswords", "no"),
        ("pubkeyauthentication", "yes"),
        ("hostbasedauthentication", "no"),
    ):
        out.append(result("CES-AUTH-05", f"sshd {key}", sshd.get(key) == want, sshd.get(key), want))
    for key, allowed in (
        ("ciphers", exp["ssh_ciphers"]),
        ("macs", exp["ssh_macs"]),
        ("kexalgorithms", exp["ssh_kex"]),
    ):
        offered = [a for a in sshd.get(key, "").split(",") if a]
        weak = [a for a in offered if a not in allowed]
        out.append(
            result(
                "CES-AUTH-05",
                f"sshd {key} strong only",
                bool(offered) and not weak,
                offered,
                f"subset of {allowed}",
                f"weak: {weak}" if weak else "",
            )
        )
    small = sorted({
        f[4] for f in (line.split() for line in read("/etc/ssh/moduli").splitlines())
        if len(f) > 4 and not f[0].startswith("#") and f[4].isdigit() and int(f[4]) < 3071
    })
    out.append(
        result("CES-AUTH-05", "no Diffie-Hellman moduli below 3072 bits in /etc/ssh/moduli",
               not small, {"sizes_below_3072": small}, {"sizes_below_3072": []})
    )
    banner = sshd.get("banner", "none")
    out.append(
        result(
            "CES-AUTH-05",
            "sshd banner",
            banner != "none" and bool(read(banner).strip()),
            banner,
            "a non-empty banner file",
        )
    )
    root_any = sshd_effective(["-C", "user=root,host=mlps-probe.invalid,addr=192.0.2.1"])
    out.append(
        result(
            "CES-ACL-02",
            "sshd PermitRootLogin",
            sshd.get("permitrootlogin") == "no",
            sshd.get("permitrootlogin"),
            "no",
        )
    )
    out.append(
        result(
            "CES-ACL-02",
            "sshd PermitRootLogin for root from an arbitrary address",
            root_any.get("permitrootlogin") == "no",
            root_any.get("permitrootlogin"),
            "no",
            "root by key stays allowed only from the controller addresses in a Match block",
        )
    )
    return out


INTS = ("level", "password_min_length", "password_min_classes", "password_history",
        "password_max_age_days", "lockout_attempts", "lockout_unlock_seconds",
        "idle_timeout_seconds", "ssh_port", "uid_min", "uid_max")
BOOLS = ("lock_root_password", "firewall_enabled", "in_container", "time_sync_enabled", "tmp_on_tmpfs",
         "intrusion_detection", "malware_protection")


def normalise(exp: dict[str, Any]) -> dict[str, Any]:
    """Templated values may arrive as strings: make numbers ints and flags bools."""
    out = dict(exp)
    for key in INTS:
        out[key] = int(out[key])
    for key in BOOLS:
        out[key] = out[key] if isinstance(out[key], bool) else str(out[key]).lower() in ("true", "yes", "1")
    return out


def main() -> None:
    module = AnsibleModule(
        argument_spec={"expect": {"type": "dict", "required": True}}, supports_check_mode=True
    )
    try:
        exp = normalise(module.params["expect"])
        exp, bounded = at_floors(exp, exp.get("floors") or {}, exp["level"])
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        module.fail_json(msg=f"expect: {err}")
    sshd = sshd_effective()
    results: list[Result] = list(bounded)
    for part in (
        check_auth(exp),
        check_idle(exp, sshd),
        check_ssh(exp, sshd),
        check_accounts(exp),
        check_roles(exp),
        check_sudo_rules(exp),
        check_admin_tools(exp),
        check_sessions(exp),
        check_files(),
        check_firewall(exp),
        check_minimal(exp),
        check_audit(exp),
        check_time(exp),
        check_residual(exp),
        check_intrusion_detection(exp),
        check_malware(exp),
        check_restricted_tools(exp),
    ):
        results.extend(part)
    module.exit_json(changed=False, results=results)


if __name__ == "__main__":
    main()
