"""Checks of the baseline_probe module for who can get in and whether it is recorded: the
administrators' recorded login shell, sudo input/output records, leavers' accounts, and the
addresses root may log in from."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import stat
from typing import Any

from ansible.module_utils.baseline_probe_host import Result, not_applicable, read, result, run

RECORDER = "/usr/bin/tlog-rec-session"
TLOG_CONF = "/etc/tlog/tlog-rec-session.conf"
SSHD_FILES = ("/etc/ssh/sshd_config",)
SSHD_DROPINS = "/etc/ssh/sshd_config.d"
ARBITRARY_ADDR = "192.0.2.1"


def passwd_entries() -> dict[str, list[str]]:
    entries = (line.split(":") for line in read("/etc/passwd").splitlines())
    return {f[0]: f for f in entries if len(f) >= 7}


def tlog_config() -> dict[str, Any]:
    text = re.sub(r"^\s*//.*$", "", read(TLOG_CONF), flags=re.M)
    try:
        loaded = json.loads(text)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def journald_rate_limit(text: str) -> dict[str, str]:
    """The effective ``[Journal]`` RateLimitIntervalSec and RateLimitBurst in ``systemd-analyze
    cat-config systemd/journald.conf`` output: the last setting wins, an empty one restores
    systemd's default."""
    defaults = {"RateLimitIntervalSec": "30s", "RateLimitBurst": "10000"}
    values = dict(defaults)
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        key, sep, value = (part.strip() for part in line.partition("="))
        if section == "[Journal]" and sep and key in values:
            values[key] = value or defaults[key]
    return values


def rate_limit_off(values: dict[str, str]) -> bool:
    """journald rate-limits nothing when either the interval or the burst is zero."""
    zero_interval = re.fullmatch(r"0+(?:\.0*)?\s*[a-z]*", values["RateLimitIntervalSec"]) is not None
    return zero_interval or values["RateLimitBurst"] == "0"


def check_journal_rate_limit() -> Result:
    """tlog writes each session to syslog from the session's own scope: a session that floods
    syslog past journald's rate limit would silence its own recording."""
    rc, text = run(["systemd-analyze", "cat-config", "systemd/journald.conf"])
    values = journald_rate_limit(text) if rc == 0 else {}
    return result(
        "CES-AUDIT-01",
        "journald rate-limits no session (a flood cannot drop the recording)",
        bool(values) and rate_limit_off(values),
        values or "journald configuration unreadable",
        {"RateLimitIntervalSec": "0"},
    )


def check_recorded_shells(exp: dict[str, Any]) -> list[Result]:
    """Every administrator logs in through tlog-rec-session, which records input and output."""
    if not exp["admins"]:
        return [not_applicable("CES-AUDIT-01", "administrators log in through the session recorder",
                               "no administrators")]
    conf = tlog_config()
    log = conf.get("log", {}) if isinstance(conf.get("log"), dict) else {}
    shell = str(conf.get("shell", ""))
    conf_ok = (
        log.get("input") is True
        and log.get("output") is True
        and conf.get("writer") in ("syslog", "journal")
        and bool(shell)
        and "tlog" not in shell
    )
    out = [
        result(
            "CES-AUDIT-01",
            "tlog records input and output of administrator sessions to the system log",
            conf_ok,
            {"input": log.get("input"), "output": log.get("output"), "writer": conf.get("writer"),
             "shell": shell},
            {"input": True, "output": True, "writer": "syslog or journal", "shell": "a real shell"},
        ),
        check_journal_rate_limit(),
    ]
    users = passwd_entries()
    recorder_ok = os.access(RECORDER, os.X_OK)
    for admin in exp["admins"]:
        name = admin["name"]
        login = users[name][6] if name in users else "no account"
        out.append(
            result(
                "CES-AUDIT-01",
                f"{name}: login shell is the session recorder",
                login == RECORDER and recorder_ok,
                login if recorder_ok else f"{login} (recorder missing)",
                RECORDER,
            )
        )
        forced = forced_command(name)
        out.append(
            result(
                "CES-AUDIT-01",
                f"{name}: sshd gives a shell only (commands are typed, so recorded)",
                forced.split(" ")[0] == shell,
                forced,
                f"{shell} -l",
            )
        )
    return out


def forced_command(user: str) -> str:
    _, out = run(["/usr/sbin/sshd", "-T", "-C", f"user={user},host=mlps-probe.invalid,addr={ARBITRARY_ADDR}"])
    value = re.search(r"^forcecommand (.+)$", out, re.M)
    return value.group(1).strip() if value else "none"


def sudo_defaults(user: str) -> tuple[int, str]:
    """``sudo -l -U user``: the Defaults and rules that apply to ``user`` (run as root)."""
    return run(["sudo", "-n", "-l", "-U", user])


def io_logging_on(listing: str) -> dict[str, bool]:
    """Effective log_input/log_output in a ``sudo -l`` listing (the last setting wins; any
    negation or NOLOG_ tag counts as off)."""
    state: dict[str, bool] = {"log_input": False, "log_output": False}
    for token in re.split(r"[,\s]+", listing):
        for key in state:
            if token == key:
                state[key] = True
            elif token == f"!{key}":
                state[key] = False
    if "!log_input" in listing or "NOLOG_INPUT" in listing:
        state["log_input"] = False
    if "!log_output" in listing or "NOLOG_OUTPUT" in listing:
        state["log_output"] = False
    return state


def check_sudo_io(exp: dict[str, Any]) -> list[Result]:
    """sudo keeps input and output of every command it runs, in a root-only directory."""
    out: list[Result] = []
    iodir = exp["sudo_iolog_dir"]
    try:
        st = os.stat(iodir)
        mode = stat.S_IMODE(st.st_mode)
        dir_ok = st.st_uid == 0 and not mode & 0o077
        seen: Any = {"owner_uid": st.st_uid, "mode": oct(mode)}
    except OSError:
        dir_ok, seen = False, "missing"
    out.append(
        result("CES-AUDIT-01", f"sudo input/output records in {iodir}, root only", dir_ok, seen,
               {"owner_uid": 0, "mode": "no group/other access"})
    )
    for admin in exp["admins"]:
        rc, listing = sudo_defaults(admin["name"])
        state = io_logging_on(listing) if rc == 0 else {"log_input": False, "log_output": False}
        out.append(
            result(
                "CES-AUDIT-01",
                f"{admin['name']}: sudo records input and output",
                all(state.values()),
                state,
                {"log_input": True, "log_output": True},
            )
        )
    return out


def check_leavers(exp: dict[str, Any]) -> list[Result]:
    """Administrators marked absent have no account, home directory or key left."""
    if not exp["absent_admins"]:
        return [not_applicable("CES-ACL-03", "administrators who left have no account, home or keys",
                               "nobody marked absent")]
    users = passwd_entries()
    left: dict[str, list[str]] = {}
    for name in exp["absent_admins"]:
        traces = []
        if name in users:
            traces.append("account")
        for home in {f"/home/{name}", users[name][5] if name in users else ""} - {""}:
            if os.path.exists(home):
                traces.append(home)
        if traces:
            left[name] = traces
    return [
        result("CES-ACL-03", "administrators who left have no account, home or keys", not left, left, {})
    ]


def match_addresses() -> list[str]:
    """Every address or network named by a ``Match ... Address`` line of the sshd configuration."""
    texts = [read(path) for path in SSHD_FILES]
    if os.path.isdir(SSHD_DROPINS):
        texts += [read(os.path.join(SSHD_DROPINS, f)) for f in sorted(os.listdir(SSHD_DROPINS))]
    found: list[str] = []
    for text in texts:
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if not words or words[0].lower() != "match":
                continue
            for i, word in enumerate(words[:-1]):
                if word.lower() == "address":
                    found += [a.lstrip("!") for a in words[i + 1].split(",") if a]
    return found


def sample(entry: str) -> str | None:
    """An address inside ``entry`` (an address or a CIDR; wildcards are skipped)."""
    try:
        net = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None
    return str(net.network_address + 1) if net.num_addresses > 2 else str(net.network_address)


def root_login(addr: str) -> str:
    _, out = run(["/usr/sbin/sshd", "-T", "-C", f"user=root,host=mlps-probe.invalid,addr={addr}"])
    value = re.search(r"^permitrootlogin (\S+)", out, re.M)
    return value.group(1) if value else "unknown"


def declared(addr: str, sources: list[str]) -> bool:
    ip = ipaddress.ip_address(addr)
    for source in sources:
        try:
            if ip in ipaddress.ip_network(source, strict=False):
                return True
        except ValueError:
            continue
    return False


def check_root_sources(exp: dict[str, Any]) -> list[Result]:
    """Root may log in (by key) only from the declared controller addresses: every address a
    Match block names, the address verify connects from and an arbitrary one are tried."""
    candidates = {ARBITRARY_ADDR}
    candidates |= {a for a in map(sample, match_addresses()) if a}
    if exp.get("connection_address"):
        candidates |= {a for a in [sample(exp["connection_address"])] if a}
    sources = list(exp["root_key_sources"])
    allowed = {a: root_login(a) for a in sorted(candidates)}
    undeclared = {a: v for a, v in allowed.items() if v != "no" and not declared(a, sources)}
    return [
        result(
            "CES-ACL-02",
            "root logs in by key only from the declared controller addresses",
            not undeclared and "unknown" not in allowed.values(),
            {"permitrootlogin_by_address": allowed, "undeclared": sorted(undeclared)},
            {"declared": sources, "elsewhere": "no"},
        )
    ]


def check_sessions(exp: dict[str, Any]) -> list[Result]:
    return check_recorded_shells(exp) + check_sudo_io(exp) + check_leavers(exp) + check_root_sources(exp)
