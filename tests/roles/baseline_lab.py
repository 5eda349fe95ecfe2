"""Helpers for the baseline/bastion lab tests and benchmark: an administrator's workstation in
the lab namespace, real OpenSSH client logins (key + TOTP via SSH_ASKPASS), evidence files."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pexpect
import pyotp
import yaml

from mlps.ansible_run import PROJECT_ROOT
from mlps.lab import Lab
from mlps.lab.net import bridge

LAB_NAME = "mlps-t-base"
BASTION = "h1"
INTERNAL = ("h2", "h3")
ROLES = {"zhangwei": "system", "lina": "audit", "wangqiang": "security"}
LOCKOUT_ATTEMPTS = 3
SITE = PROJECT_ROOT / "playbooks" / "site.yml"
VERIFY = PROJECT_ROOT / "playbooks" / "verify.yml"
# Inventory variables of the lab modules that do not test file integrity monitoring: slow to
# build on two shared cores (aide-common's set-up), and test_baseline_bastion builds and attacks it.
WITHOUT_INTEGRITY = {"baseline_intrusion_detection": False}
# Answers ssh's prompts: a password prompt gets $MLPS_TEST_PASSWORD, any other (the bastion's
# verification code) $MLPS_TEST_CODE; each prompt is noted in $MLPS_TEST_PROMPTS when set.
ASKPASS = """#!/bin/sh
if [ -n "$MLPS_TEST_PROMPTS" ]; then printf '%s\\n' "$1" >> "$MLPS_TEST_PROMPTS"; fi
case "$1" in
  *assword*) printf '%s\\n' "$MLPS_TEST_PASSWORD" ;;
  *) printf '%s\\n' "$MLPS_TEST_CODE" ;;
esac
"""


@dataclass
class Workstation:
    """The administrators' network: an extra address in the lab namespace, with their keys."""

    lab: Lab
    address: str
    keys: dict[str, Path]
    askpass: Path
    netns_name: str = ""  # another network namespace than the lab's (a lab host's)

    def netns(self) -> str:
        return str(self.lab.names.netns_path(self.netns_name or self.lab.names.lab_netns))

    def addr(self, host: str) -> str:
        return self.lab.hosts[host].address

    def on_host(self, host: str) -> Workstation:
        """The same client, keys and prompts, run from ``host``'s network (its address, its
        firewall) instead of the administrators' network."""
        return replace(self, address=self.addr(host), netns_name=self.lab.names.host_netns(host))

    def _base(self, user: str, key: Path | None = None, verbose: bool = False) -> list[str]:
        return [
            "ssh",
            "-b",
            self.address,
            "-i",
            str(key or self.keys[user]),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            f"UserKnownHostsFile={self.lab.names.state_dir / 'known_hosts'}",
            "-o",
            "ConnectTimeout=5",
            "-o",
            "NumberOfPasswordPrompts=1",
            "-o",
            "BatchMode=no",
            *(["-v"] if verbose else ["-o", "LogLevel=ERROR"]),
        ]

    def ssh(
        self,
        user: str,
        host: str,
        remote: list[str],
        code: str = "",
        jump: bool = False,
        stdin: str | None = None,
        tty: bool = False,
        *,
        verbose: bool = False,
        key: Path | None = None,
        password: str = "",
        options: tuple[str, ...] = (),
        prompts: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ssh from the workstation; ``code`` answers the bastion's TOTP prompt and
        ``password`` a password prompt. ``verbose`` (-v) shows the authentication exchange of
        the last hop on stderr; ``key`` replaces the user's key there, ``options`` (``-o``
        values) are added there; ``prompts`` collects every prompt shown, one a line."""
        argv = self._base(user, key, verbose)
        for option in options:
            argv += ["-o", option]
        if jump:
            argv += self.proxy(user)
        if tty:
            argv.append("-tt")
        argv += [f"{user}@{self.addr(host)}", *remote]
        env = {
            **os.environ,
            "SSH_ASKPASS": str(self.askpass),
            "SSH_ASKPASS_REQUIRE": "force",
            "MLPS_TEST_CODE": code,
            "MLPS_TEST_PASSWORD": password,
            "MLPS_TEST_PROMPTS": str(prompts or ""),
            "DISPLAY": ":0",
        }
        return subprocess.run(
            ["nsenter", f"--net={self.netns()}", *argv],
            input=stdin or "",
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )

    def proxy(self, user: str) -> list[str]:
        """``ssh`` options that reach an internal host through the bastion (ProxyJump)."""
        hop = " ".join([*self._base(user), "-W", "%h:%p", f"{user}@{self.addr(BASTION)}"])
        return ["-o", f"ProxyCommand={hop}"]

    def type_into_shell(self, user: str, host: str, code: str, lines: list[str], jump: bool = False) -> str:
        """Log in interactively (a real terminal), type ``lines`` at the shell prompt one at a
        time, then ``exit``; return what the terminal showed after the first prompt. ``jump`` goes
        through the bastion."""
        argv = [*self._base(user), *(self.proxy(user) if jump else []), "-tt", f"{user}@{self.addr(host)}"]
        env = {**os.environ, "SSH_ASKPASS": str(self.askpass), "SSH_ASKPASS_REQUIRE": "force",
               "MLPS_TEST_CODE": code, "DISPLAY": ":0", "TERM": "dumb"}
        term = pexpect.spawn("nsenter", [f"--net={self.netns()}", *argv], env=env,
                             encoding="utf-8", timeout=30)
        prompt = r"[$#] $"
        shown: list[str] = []
        try:
            term.expect(prompt)
            for line in [*lines, "exit"]:
                term.sendline(line)
                term.expect([prompt, pexpect.EOF] if line == "exit" else prompt)
                shown.append(str(term.before))
            if not term.eof():
                term.expect(pexpect.EOF)
                shown.append(str(term.before))
            return "".join(shown)
        finally:
            term.close(force=True)


def make_workstation(lab: Lab, tmp: Path) -> Workstation:
    """Add the admins' address to the lab namespace and generate one key pair per admin."""
    address = str(lab.topology.management.cidr.network_address + 200)
    prefix = lab.topology.management.cidr.prefixlen
    subprocess.run(
        [
            "ip",
            "-n",
            lab.names.lab_netns,
            "addr",
            "replace",
            f"{address}/{prefix}",
            "dev",
            bridge(lab.topology, lab.topology.management.name),
        ],
        check=True,
    )
    keys = admin_keys(tmp)
    askpass = tmp / "askpass"
    askpass.write_text(ASKPASS, encoding="utf-8")
    askpass.chmod(0o700)
    return Workstation(lab, address, keys, askpass)


def admin_keys(tmp: Path) -> dict[str, Path]:
    """A fresh SSH key pair per administrator of ROLES (private key paths)."""
    keys = {}
    for user in ROLES:
        key = tmp / f"id_{user}"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{user}@lab", "-f", str(key)], check=True
        )
        keys[user] = key
    return keys


def admins(keys: dict[str, Path]) -> list[dict[str, str]]:
    """``baseline_admins``: the administrators of ROLES with their public keys."""
    return [
        {"name": user, "role": role, "ssh_public_key": keys[user].with_suffix(".pub").read_text().strip()}
        for user, role in ROLES.items()
    ]


def inventory(lab: Lab, ws: Workstation, path: Path) -> Path:
    """The lab inventory plus the groups and variables of this test (bastion h1, admins)."""
    inv = yaml.safe_load(lab.inventory_path.read_text(encoding="utf-8"))
    inv["all"]["vars"].update(
        {
            "baseline_admins": admins(ws.keys),
            "baseline_lockout_attempts": LOCKOUT_ATTEMPTS,
            "bastion_allowed_sources": [f"{ws.address}/32"],
        }
    )
    inv["all"]["children"] = {"bastion": {"hosts": {BASTION: {}}}}
    path.write_text(yaml.safe_dump(inv), encoding="utf-8")
    return path


def totp(lab: Lab, user: str) -> pyotp.TOTP:
    """The user's TOTP generator, from the secret generated on the bastion (read as root)."""
    secret = lab.run(BASTION, f"head -n 1 /var/lib/mlps-bastion/totp/{user}").stdout.strip()
    return pyotp.TOTP(secret)


def fresh_code(gen: pyotp.TOTP, used: set[str], margin: float = 15) -> str:
    """A code the bastion accepts and has not seen yet (reuse is refused). The bastion accepts
    the last, current and next step: the current and next codes stay good for at least one
    more step, the last one only until the current step ends, so it is offered only while
    ``margin`` seconds of the step remain; otherwise wait for the next step (bounded)."""
    for _ in range(4):
        now = time.time()
        left = gen.interval - now % gen.interval
        steps = (0, gen.interval, -gen.interval) if left > margin else (0, gen.interval)
        for step in steps:
            code = gen.at(now + step)
            if code not in used:
                used.add(code)
                return code
        time.sleep(left + 0.5)
    raise AssertionError("no unused TOTP code within four steps")


def methods_offered(stderr: str) -> list[str]:
    """Each list of methods the server said authentication can continue with, in order
    (``ssh -v`` output)."""
    return re.findall(r"Authentications that can continue: (\S+)", stderr)


def refused_with(stderr: str) -> str:
    """The methods of ssh's final ``Permission denied (...)`` ('' when it was not refused)."""
    found = re.findall(r"Permission denied \(([^)]*)\)\.", stderr)
    return found[-1] if found else ""


def journal_cursor(lab: Lab, host: str) -> str:
    """Where ``host``'s journal ends now (``journal_after`` reads what comes next)."""
    out = lab.run(host, "journalctl -n 1 --show-cursor --no-pager -o cat").stdout
    return out.rsplit("-- cursor: ", 1)[1].strip()


def journal_after(lab: Lab, host: str, cursor: str, marker: str, seconds: float = 10) -> str:
    """sshd's journal lines on ``host`` after ``cursor``, once ``marker`` is among them (or the
    time is up: journald may take a moment)."""
    text = ""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = lab.run(host, f"journalctl --no-pager -o cat --after-cursor={shlex.quote(cursor)}"
                             " SYSLOG_IDENTIFIER=sshd").stdout
        if marker in text:
            break
        time.sleep(0.3)
    return text


def evidence(root: Path, host: str, role: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / host / f"{role}.json").read_text(encoding="utf-8"))
    return data


def failing(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["control"], r["check"]) for r in doc["results"] if r["status"] == "fail"]
