"""Checks of the baseline_probe module for intrusion detection (AIDE), malware scanning and the
tools only root may run."""

from __future__ import annotations

import os
import stat
from typing import Any

from ansible.module_utils.baseline_probe_host import (
    Result,
    installed_packages,
    not_applicable,
    read,
    result,
    run,
)


def timer_running(unit: str) -> tuple[bool, str]:
    """Whether a systemd timer is enabled and active, and what systemctl said."""
    _, enabled = run(["systemctl", "is-enabled", unit])
    _, active = run(["systemctl", "is-active", unit])
    state = f"{enabled.strip() or 'unknown'}/{active.strip() or 'unknown'}"
    return state == "enabled/active", state


def check_intrusion_detection(exp: dict[str, Any]) -> list[Result]:
    if not exp["intrusion_detection"]:
        return [not_applicable("CES-IPS-06", "file integrity monitoring",
                               "baseline_intrusion_detection is false")]
    try:
        size = os.stat(exp["aide_database"]).st_size
    except OSError:
        size = 0
    running, state = timer_running(exp["aide_timer"])
    return [
        result("CES-IPS-06", "file integrity database built", size > 0,
               {"path": exp["aide_database"], "bytes": size}, "a non-empty database"),
        result("CES-IPS-06", "daily integrity check scheduled", running,
               {"timer": exp["aide_timer"], "state": state}, "enabled/active"),
    ]


def check_malware(exp: dict[str, Any]) -> list[Result]:
    if not exp["malware_protection"]:
        return [not_applicable("CES-MAL-01", "malware scanner", "baseline_malware_protection is false")]
    wanted = sorted(exp["malware_packages"])
    present = sorted(installed_packages(wanted)) if wanted else []
    running, state = timer_running(exp["malware_timer"]) if exp["malware_timer"] else (False, "none")
    off = [
        s["path"] for s in exp["malware_settings"]
        if s["line"] not in read(s["path"]).splitlines()
    ]
    return [
        result("CES-MAL-01", "malware scanner installed", bool(wanted) and present == wanted,
               present, wanted),
        result("CES-MAL-01", "daily malware scan scheduled", running and not off,
               {"timer": exp["malware_timer"], "state": state, "daily_run_disabled_in": off},
               "enabled/active"),
    ]


def check_restricted_tools(exp: dict[str, Any]) -> list[Result]:
    open_to_users: dict[str, str] = {}
    for tool in exp["restricted_tools"]:
        real = os.path.realpath(tool)
        try:
            st = os.stat(real)
        except OSError:
            continue
        if st.st_uid != 0 or stat.S_IMODE(st.st_mode) & 0o007:
            open_to_users[real] = oct(stat.S_IMODE(st.st_mode))
    return [result("CES-IPS-01", "assembler and compilers runnable by root only", not open_to_users,
                   open_to_users, {})]
