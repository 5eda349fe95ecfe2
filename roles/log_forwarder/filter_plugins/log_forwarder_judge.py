"""The verdicts of log_forwarder's verify, judged on the controller from what the host showed.

Pure Python on the observations the verify tasks read (the forwarding configuration, ``rsyslogd
-N1``, ``ss``, journald and audisp settings), so unit tests feed it canned output.
"""

from __future__ import annotations

import re
from typing import Any

ACTION = re.compile(r'action\(type="omrelp"[^)]*\)')


def _first(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    return found.group(1) if found else ""


def _queue(action: str) -> dict[str, Any]:
    size = _first(r'queue\.size="(\d+)"', action)
    return {
        "target": _first(r'target="([^"]*)"', action),
        "queue_size": int(size) if size else 0,
        "disk_assisted": "queue.filename=" in action,
        "retry_forever": 'action.resumeRetryCount="-1"' in action,
        "save_on_shutdown": 'queue.saveOnShutdown="on"' in action,
    }


def _all(actions: list[str], *patterns: str) -> bool:
    return bool(actions) and all(re.search(p, a) for a in actions for p in patterns)


def log_forwarder_judge(obs: dict[str, Any]) -> list[dict[str, Any]]:
    """One result per check (schemas/evidence.schema.json ``results``).

    ``obs``: conf (text of the forwarding configuration), syntax_rc (exit code of ``rsyslogd
    -N1``, None when the role does not manage rsyslog), ss (lines of ``ss -Htn state
    established``), journald (the ForwardToSyslog line), audit (audisp plugin and ``auditctl -s``
    output), container (bool), level, port, servers ([{host, name}]), bastion_sessions (bool),
    bastion_session_files (path glob).
    """
    conf = str(obs.get("conf") or "")
    actions = ACTION.findall(conf)
    queues = [_queue(a) for a in actions]
    queue_ok = bool(queues) and all(
        q["queue_size"] > 1000 and q["disk_assisted"] and q["retry_forever"] and q["save_on_shutdown"]
        for q in queues)
    servers = list(obs.get("servers") or [])
    needed = 2 if int(obs["level"]) >= 3 else 1
    conns = [line for line in obs.get("ss") or [] if re.search(f":{int(obs['port'])}\\s*$", line)]
    journald = str(obs.get("journald") or "").strip()
    audit = str(obs.get("audit") or "")
    container = bool(obs.get("container"))
    rc = obs.get("syntax_rc")
    sessions = bool(obs.get("bastion_sessions"))
    files = str(obs.get("bastion_session_files") or "")
    return [
        {"control": "CNS-TRANS-03", "check": "every omrelp action sends over TLS 1.2 or later",
         "status": "pass" if _all(actions, 'tls="on"', r"MinProtocol=TLSv1\.2") else "fail",
         "observed": f"{len(actions)} action(s)", "expected": 'tls="on", MinProtocol=TLSv1.2 on each'},
        {"control": "CNS-TRANS-04", "check": "each action authenticates the server by certificate name",
         "status": "pass" if _all(actions, r'tls\.authmode="name"', r'tls\.permittedpeer=\["[^"]+')
         else "fail",
         "expected": 'tls.authmode="name" with a permitted peer'},
        {"control": "CES-AUDIT-04", "check": "sized disk-assisted queue, infinite retry, saved on shutdown",
         "status": "pass" if queue_ok else "fail", "observed": queues,
         "expected": "queue.size > 1000, queue.filename, resumeRetryCount -1, saveOnShutdown on"},
        {"control": "CES-AUDIT-04", "check": "rsyslogd -N1 accepts the whole configuration",
         "status": "not_checkable" if rc is None else ("pass" if int(rc) == 0 else "fail"),
         "observed": "not run" if rc is None else int(rc)},
        {"control": "SMC-CEN-05", "check": "audit servers configured",
         "status": "pass" if len(servers) >= needed else "fail",
         "observed": [s.get("name") for s in servers], "expected": f">= {needed}"},
        {"control": "SMC-CEN-05", "check": "RELP sessions established to the audit servers",
         "status": "pass" if servers and len(conns) >= len(servers) else "fail",
         "observed": len(conns), "expected": len(servers)},
        {"control": "CES-AUDIT-01", "check": "journald forwards to syslog",
         "status": "pass" if journald == "ForwardToSyslog=yes" else "fail",
         "observed": journald, "expected": "ForwardToSyslog=yes"},
        {"control": "CES-AUDIT-01", "check": "kernel audit trail reaches syslog (audisp syslog plugin)",
         "status": "not_checkable" if container
         else ("pass" if "active = yes" in audit and "enabled 1" in audit else "fail"),
         "observed": audit.strip(),
         "detail": "no kernel audit inside a container" if container
         else "auditd with plugins.d/syslog.conf active"},
        {"control": "ABS-AUDIT-04", "check": "bastion session recordings forwarded",
         "status": ("pass" if files and files in conf else "fail") if sessions else "not_applicable",
         "observed": files if sessions else "not a bastion"},
    ]


class FilterModule:
    """Register the role's filters."""

    def filters(self) -> dict[str, Any]:
        return {"log_forwarder_judge": log_forwarder_judge}
