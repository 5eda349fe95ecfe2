"""Shared helpers and the host-level checks (packages, time, residual data, files)
of the baseline_probe module."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

Result = dict[str, Any]


def run(argv: list[str]) -> tuple[int, str]:
    """Run a command, returning its exit code and stdout (never raising)."""
    if shutil.which(argv[0]) is None and not os.path.exists(argv[0]):
        return 127, ""
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603  fixed probe argv
    return proc.returncode, proc.stdout


def read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def result(
    control: str, check: str, ok: bool | None, observed: Any, expected: Any, detail: str = ""
) -> Result:
    """One evidence entry; ok=None means the host cannot show it (not_checkable)."""
    status = "not_checkable" if ok is None else ("pass" if ok else "fail")
    entry: Result = {
        "control": control,
        "check": check,
        "status": status,
        "observed": observed,
        "expected": expected,
    }
    if detail:
        entry["detail"] = detail
    return entry


def not_applicable(control: str, check: str, detail: str) -> Result:
    return {"control": control, "check": check, "status": "not_applicable", "detail": detail}


def installed_packages(names: list[str]) -> set[str]:
    """Which of ``names`` are installed (dpkg, else rpm)."""
    _, out = run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *names])
    if not out:
        _, out = run(["rpm", "-q", "--qf", "%{NAME} installed\n", *names])
    found = {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}
    return found & set(names)  # rpm says "package X is not installed" for the others


def check_minimal(exp: dict[str, Any]) -> list[Result]:
    present = sorted(installed_packages(exp["remove_packages"])) if exp["remove_packages"] else []
    active: list[str] = []
    for svc in exp["disable_services"]:
        rc, _ = run(["systemctl", "is-active", "--quiet", svc])
        if rc == 0:
            active.append(svc)
    return [
        result("CES-IPS-01", "unused packages removed", not present, present, []),
        result("CES-IPS-02", "unneeded services stopped", not active, active, []),
    ]


def time_sources(conf: str | None, servers: list[str]) -> Result:
    """SMC-TIME-01: chrony follows exactly the site's time servers (no pool, no other source)."""
    if conf is None:
        return result("SMC-TIME-01", "chrony follows only the site's time servers", False,
                      "no chrony configuration", sorted(servers))
    seen = sorted({line.split()[1] for line in conf.splitlines()
                   if len(line.split()) > 1 and line.split()[0] in ("server", "pool", "peer")})
    ok = bool(servers) and seen == sorted(set(servers))
    return result("SMC-TIME-01", "chrony follows only the site's time servers", ok, seen,
                  sorted(set(servers)))


def check_time(exp: dict[str, Any]) -> list[Result]:
    if not exp["time_sync_enabled"]:
        return [result("CES-AUDIT-02", "time synchronisation", False, "disabled", "chrony running"),
                result("SMC-TIME-01", "time synchronisation", False, "disabled", "chrony running")]
    if exp["in_container"]:
        why = "a container shares the machine's clock and cannot set it"
        return [
            result("CES-AUDIT-02", "chrony synchronises the clock", None, "container", "chrony running", why),
            result("SMC-TIME-01", "chrony follows only the site's time servers", None, "container",
                   sorted(set(exp.get("time_servers") or [])), why),
        ]
    rc, _ = run(["systemctl", "is-active", "--quiet", exp["time_service"]])
    try:
        conf: str | None = Path(exp["time_config"]).read_text(encoding="utf-8", errors="replace")
    except OSError:
        conf = None
    return [
        result(
            "CES-AUDIT-02",
            "chrony synchronises the clock",
            rc == 0,
            "active" if rc == 0 else "inactive",
            "active",
        ),
        time_sources(conf, list(exp.get("time_servers") or [])),
    ]


def check_residual(exp: dict[str, Any]) -> list[Result]:
    _, fstype = run(["findmnt", "-n", "-o", "FSTYPE", "/tmp"])  # noqa: S108  the mount probed
    _, swaps = run(["swapon", "--show=NAME", "--noheadings"])
    areas = swaps.split()
    out: list[Result] = []
    if exp["tmp_on_tmpfs"]:
        out.append(result("CES-RES-02", "/tmp on tmpfs",  # noqa: S108  a check title
                          fstype.strip() == "tmpfs", fstype.strip(), "tmpfs"))
    else:
        out.append(not_applicable("CES-RES-02", "/tmp on tmpfs",  # noqa: S108  a check title
                                  f"level {exp['level']}"))
    if exp["in_container"] and areas:
        out.append(
            result(
                "CES-RES-01",
                "swap off or encrypted",
                None,
                areas,
                "none",
                "swap belongs to the machine, not to the container",
            )
        )
    elif exp["swap_policy"] == "off":
        out.append(result("CES-RES-01", "swap off", not areas, areas, []))
    else:
        plain = [a for a in areas if not a.startswith("/dev/mapper/") and not a.startswith("/dev/dm-")]
        out.append(
            result("CES-RES-01", "swap encrypted (dm-crypt)", not plain, areas, "dm-crypt devices only")
        )
    return out


def check_files() -> list[Result]:
    out: list[Result] = []
    for path, max_mode in (
        ("/etc/ssh/sshd_config", 0o600),
        ("/etc/sudoers", 0o440),
        ("/etc/shadow", 0o640),
        ("/etc/sudoers.d", 0o750),
        ("/etc/audit/rules.d", 0o750),
    ):
        try:
            st = os.stat(path)
        except OSError:
            out.append(result("CES-ACL-05", f"permissions of {path}", None, "missing", oct(max_mode)))
            continue
        mode = stat.S_IMODE(st.st_mode)
        out.append(
            result(
                "CES-ACL-05",
                f"permissions of {path}",
                st.st_uid == 0 and not mode & ~max_mode,
                {"mode": oct(mode), "uid": st.st_uid},
                {"mode": f"<= {oct(max_mode)}", "uid": 0},
            )
        )
    return out


