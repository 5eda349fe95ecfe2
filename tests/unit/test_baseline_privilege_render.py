"""The baseline role's separated-role sudo rules, mlps-admin-* tools and audit rules, rendered by
Ansible from the role's own defaults: exact sudo lines only, every tool refuses what would give
root or touch the audit trail (argument injection, files, other roles' accounts), and the CIS
audit rule set ends with -e 2. The tools' refusals are exercised in-process with the programs
they would start replaced by a recorder; the lab test runs them for real."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from mlps.ansible_run import run_playbook

PLAY = Path(__file__).resolve().parent / "playbooks" / "baseline_privilege_render.yml"
ADMINS = [
    {"name": "zhangwei", "role": "system", "ssh_public_key": "ssh-ed25519 AAAA"},
    {"name": "lina", "role": "audit", "ssh_public_key": "ssh-ed25519 AAAA"},
    {"name": "wangqiang", "role": "security", "ssh_public_key": "ssh-ed25519 AAAA"},
    {"name": "liuyang", "role": "security", "ssh_public_key": "ssh-ed25519 AAAA"},
]
CIS_KEYS = ["sudoers", "user_emulation", "sudo_log_file", "time-change", "system-locale", "privileged",
            "access", "identity", "perm_mod", "mounts", "session", "logins", "delete", "MAC-policy",
            "perm_chng", "usermod", "kernel_modules", "audit_config"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rendered")
    inventory = out / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {}}}))
    run = run_playbook(PLAY, inventory, extra_vars={"out_dir": str(out), "test_admins": ADMINS,
                                                     "ansible_python_interpreter": sys.executable})
    assert run.ok, run.output[-3000:]
    return out


class Recorder:
    """Stands in for the programs a tool would start: records argv, starts nothing."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def run(self, argv: list[str]) -> int:
        self.calls.append(list(argv))
        return 0


def tool(rendered: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, Recorder]:
    path = rendered / f"mlps-admin-{name}"
    loader = importlib.machinery.SourceFileLoader(f"mlps_admin_{name}", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    recorder = Recorder()
    monkeypatch.setattr(module, "run", recorder.run)

    def fake_subprocess_run(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        recorder.calls.append(list(argv))
        candidate = "(none)" if argv[-1] in ("evil", "nosuchpkg") else "1.0-1"
        # apt reads a name that matches no package as a regular expression: it answers with
        # the packages it matched instead.
        matched = {"r.h-server": ["rsh-server"], "a.e": ["abe", "ace"]}.get(argv[-1], [argv[-1]])
        policy = "".join(f"{name}:\n  Candidate: {candidate}\n" for name in matched)
        return subprocess.CompletedProcess(argv, 0, stdout=policy, stderr="")

    monkeypatch.setattr(module.subprocess, "run", fake_subprocess_run)
    monkeypatch.setattr(module.syslog, "syslog", lambda *a: None)
    return module, recorder


def call(module: ModuleType, args: list[str], monkeypatch: pytest.MonkeyPatch, caller: str = "x") -> int:
    monkeypatch.setattr(sys, "argv", ["tool", *args])
    monkeypatch.setenv("SUDO_USER", caller)
    try:
        return int(module.main())
    except SystemExit as exc:
        return int(exc.code or 0)


def test_sudoers_has_exact_lines_and_tools_only(rendered: Path) -> None:
    text = (rendered / "sudoers").read_text()
    rules = [line for line in text.splitlines() if line.startswith("%")]
    assert rules == [
        "%sysadm ALL=(root) NOPASSWD:EXEC: MLPS_SYSTEM_TOOLS",
        "%sysadm ALL=(root) NOPASSWD:NOEXEC: MLPS_SYSTEM_CMDS",
        "%audadm ALL=(root) NOPASSWD:EXEC: MLPS_AUDIT_TOOLS",
        "%audadm ALL=(root) NOPASSWD:NOEXEC: MLPS_AUDIT_CMDS",
        "%secadm ALL=(root) NOPASSWD:EXEC: MLPS_SECURITY_TOOLS",
        "%secadm ALL=(root) NOPASSWD:NOEXEC: MLPS_SECURITY_CMDS",
    ]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert "*" not in body and "sudoedit" not in body and " ALL\n" not in body
    assert "/usr/sbin/nft list ruleset" in body and "/usr/bin/journalctl" not in body


@pytest.mark.parametrize(
    ("name", "args", "caller"),
    [
        ("service", ["stop", "auditd"], "zhangwei"),
        ("service", ["restart", "rsyslog"], "zhangwei"),
        ("service", ["stop", "nftables.service"], "zhangwei"),
        ("service", ["stop", "systemd-journald"], "zhangwei"),
        ("service", ["restart", "ssh;id"], "zhangwei"),
        ("service", ["restart", "--", "ssh"], "zhangwei"),
        ("service", ["restart", "*"], "zhangwei"),
        ("service", ["kill", "ssh"], "zhangwei"),
        ("service", ["restart", "ssh", "extra"], "zhangwei"),
        ("patch", ["install", "./evil.deb"], "zhangwei"),
        ("patch", ["install", "/tmp/evil.deb"], "zhangwei"),
        ("patch", ["install", "evil.deb"], "zhangwei"),
        ("patch", ["install", "-oDpkg::Pre-Invoke::=sh", "tree"], "zhangwei"),
        ("patch", ["install", "--", "tree"], "zhangwei"),
        ("patch", ["install", "tree=1.0"], "zhangwei"),
        ("patch", ["install", "tree/bookworm"], "zhangwei"),
        ("patch", ["install", "evil"], "zhangwei"),
        ("patch", ["install", "telnetd"], "zhangwei"),
        ("patch", ["install", "auditd-"], "zhangwei"),
        ("patch", ["install", "rsyslog+"], "zhangwei"),
        ("patch", ["install", "tree:amd64"], "zhangwei"),
        ("patch", ["upgrade", "-o", "APT::x=1"], "zhangwei"),
        ("account", ["lock", "root"], "wangqiang"),
        ("account", ["lock", "zhangwei"], "wangqiang"),
        ("account", ["unlock", "lina"], "wangqiang"),
        ("account", ["reset-faillock", "zhangwei"], "wangqiang"),
        ("account", ["unlock", "wangqiang"], "wangqiang"),
        ("account", ["lock", "-aG sysadm liuyang"], "wangqiang"),
        ("account", ["lock", "--", "liuyang"], "wangqiang"),
        ("account", ["lock", "liuyang,root"], "wangqiang"),
        ("account", ["lock", "daemon"], "wangqiang"),
        ("account", ["delete", "liuyang"], "wangqiang"),
        ("logs", ["journal", "--vacuum-time=1s"], "lina"),
        ("logs", ["journal", "--rotate"], "lina"),
        ("logs", ["journal", "--unit=ssh --vacuum-time=1s"], "lina"),
        ("logs", ["journal", "--file=/etc/shadow"], "lina"),
        ("logs", ["journal", "-D", "/etc"], "lina"),
        ("logs", ["journal", "--unit=-x"], "lina"),
        ("logs", ["audit", "--key=x -if /etc/shadow"], "lina"),
        ("logs", ["audit", "--input-logs"], "lina"),
        ("logs", ["session", "../../etc/shadow"], "lina"),
        ("logs", ["sudo-replay", "../../../etc/shadow"], "lina"),
        ("logs", ["sudo-replay", "-d", "/etc", "shadow"], "lina"),
        ("logs", [], "lina"),
        ("patch", ["install", "r.h-server"], "zhangwei"),
        ("patch", ["install", "a.e"], "zhangwei"),
    ],
)
def test_tools_refuse_what_would_give_root_or_touch_the_trail(
    rendered: Path, monkeypatch: pytest.MonkeyPatch, name: str, args: list[str], caller: str
) -> None:
    module, recorder = tool(rendered, name, monkeypatch)
    monkeypatch.setattr(module.pwd, "getpwnam", fake_getpwnam)
    monkeypatch.setattr(module, "groups_of", lambda user: {"zhangwei": {"sysadm"}, "lina": {"audadm"}}.get(
        user, {"secadm"}))
    assert call(module, args, monkeypatch, caller) == 2
    assert [c for c in recorder.calls if c[:2] != ["apt-cache", "policy"]] == []


def fake_getpwnam(user: str) -> Any:
    uids = {"root": 0, "daemon": 1, "zhangwei": 1001, "lina": 1002, "wangqiang": 1003, "liuyang": 1004}
    if user not in uids:
        raise KeyError(user)
    return type("pw", (), {"pw_uid": uids[user], "pw_gid": uids[user]})()


@pytest.mark.parametrize(
    ("name", "args", "caller", "expected"),
    [
        ("service", ["restart", "ssh"], "zhangwei",
         ["systemctl", "--no-pager", "--no-ask-password", "--full", "restart", "--", "ssh.service"]),
        ("patch", ["install", "tree"], "zhangwei",
         ["apt-get", "-q", "-y", "--no-remove", "-o", "Dpkg::Options::=--force-confdef", "-o",
          "Dpkg::Options::=--force-confold", "install", "tree"]),
        ("account", ["lock", "liuyang"], "wangqiang",
         ["usermod", "--lock", "--expiredate", "1", "--", "liuyang"]),
        ("account", ["reset-faillock", "liuyang"], "wangqiang", ["faillock", "--user", "liuyang", "--reset"]),
        ("logs", ["journal", "--unit=ssh", "--since=-1h", "--grep=a b"], "lina",
         ["journalctl", "--no-pager", "--quiet", "--output=short-iso",
          "--unit=ssh", "--since=-1h", "--grep=a b"]),
        ("logs", ["audit", "--key=identity", "--since=today"], "lina",
         ["ausearch", "--interpret", "--key", "identity", "--start", "today"]),
    ],
)
def test_tools_do_each_role_s_job(
    rendered: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    args: list[str],
    caller: str,
    expected: list[str],
) -> None:
    module, recorder = tool(rendered, name, monkeypatch)
    monkeypatch.setattr(module.pwd, "getpwnam", fake_getpwnam)
    monkeypatch.setattr(module, "groups_of", lambda user: {"secadm"})
    assert call(module, args, monkeypatch, caller) == 0
    assert recorder.calls[-1] == expected


def test_tool_environment_starts_no_pager_or_prompt(rendered: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module, _ = tool(rendered, "logs", monkeypatch)
    assert module.ENV["SYSTEMD_PAGER"] == "cat" and module.ENV["PAGER"] == "cat"
    assert module.ENV["DEBIAN_FRONTEND"] == "noninteractive"
    assert (rendered / "mlps-admin-logs").read_text().startswith("#!/usr/bin/python3 -I\n")


def test_audit_rules_cover_cis_and_end_immutable(rendered: Path) -> None:
    rules = (rendered / "audit-mlps.rules").read_text()
    assert [k for k in CIS_KEYS if f"-k {k}" not in rules] == []
    chsh = "-a always,exit -F path=/usr/bin/chsh -F perm=x -F auid>=1000 -F auid!=unset -k privileged"
    assert chsh in rules
    assert "-w /var/log/sudo.log -p wa -k sudo_log_file" in rules
    assert not [ln for ln in rules.splitlines() if ln.startswith("-e")]
    final = [ln for ln in (rendered / "audit-finalize.rules").read_text().splitlines() if ln and ln[0] != "#"]
    assert final == ["-e 2"]


def test_session_listing_reads_only_what_the_recorder_wrote(
    rendered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anyone may log JSON to authpriv; only records whose sender journald saw as the recorder count."""
    module, recorder = tool(rendered, "logs", monkeypatch)
    call(module, ["sessions"], monkeypatch, "lina")
    journal = [c for c in recorder.calls if c[:1] == ["journalctl"]]
    assert journal, recorder.calls
    assert "_EXE=/usr/bin/tlog-rec-session" in journal[0], journal[0]
