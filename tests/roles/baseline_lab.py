"""Helpers for the baseline/bastion lab tests and benchmark: an administrator's workstation in
the lab namespace, real OpenSSH client logins (key + TOTP via SSH_ASKPASS), evidence files."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
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
ASKPASS = "#!/bin/sh\nprintf '%s\\n' \"$MLPS_TEST_CODE\"\n"


@dataclass
class Workstation:
    """The administrators' network: an extra address in the lab namespace, with their keys."""

    lab: Lab
    address: str
    keys: dict[str, Path]
    askpass: Path

    def netns(self) -> str:
        return str(self.lab.names.netns_path(self.lab.names.lab_netns))

    def addr(self, host: str) -> str:
        return self.lab.hosts[host].address

    def _base(self, user: str) -> list[str]:
        return [
            "ssh",
            "-b",
            self.address,
            "-i",
            str(self.keys[user]),
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
            "-o",
            "LogLevel=ERROR",
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
    ) -> subprocess.CompletedProcess[str]:
        """Run ssh from the workstation; ``code`` answers the bastion's TOTP prompt."""
        argv = self._base(user)
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


def fresh_code(gen: pyotp.TOTP, used: set[str]) -> str:
    """A code the bastion accepts and has not seen yet (reuse is refused): now, next or last step."""
    now = time.time()
    for step in (0, 30, -30):
        code = gen.at(now + step)
        if code not in used:
            used.add(code)
            return code
    time.sleep(31)
    return fresh_code(gen, used)


def evidence(root: Path, host: str, role: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / host / f"{role}.json").read_text(encoding="utf-8"))
    return data


def failing(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["control"], r["check"]) for r in doc["results"] if r["status"] == "fail"]
