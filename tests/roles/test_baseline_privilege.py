"""三权分立 against the administrators themselves, on one lab host hardened by the baseline role:
each of the system, audit and security administrators tries to become root, to merge the roles
or to stop or erase the audit trail with the sudo rights it has, and is refused; each can still do
its job; and the evidence turns to fail when a wildcard sudo rule is added or audit immutability
and auditd's disk-full actions are removed."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlps.ansible_run import run_playbook
from mlps.lab import Lab
from mlps.lab.pytest_plugin import LabFactory
from tests.roles.baseline_lab import ROLES, SITE, VERIFY, WITHOUT_INTEGRITY, admin_keys, evidence

pytestmark = [pytest.mark.lab, pytest.mark.slow]

LAB_NAME = "mlps-t-priv"
HOST = "h1"
SYSADM, AUDADM, SECADM = "zhangwei", "lina", "wangqiang"
SECADM2 = "liuyang"  # a second security administrator: the one the first may lock and unlock
SLOW_OK = {"ANSIBLE_TIMEOUT": "120"}
TOOLS = "/usr/local/sbin/mlps-admin-"
PROOF = "/root/mlps-pwned"  # only root can create files in /root: its presence proves an escalation


@pytest.fixture(scope="module")
def lab(lab_factory: LabFactory) -> Lab:
    return lab_factory(LAB_NAME, hosts=1)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("privilege")


@pytest.fixture(scope="module")
def inv(lab: Lab, work: Path) -> Path:
    keys = admin_keys(work)
    extra = work / f"id_{SECADM2}"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(extra)], check=True)
    admins = [
        {"name": user, "role": role, "ssh_public_key": keys[user].with_suffix(".pub").read_text().strip()}
        for user, role in ROLES.items()
    ]
    admins.append({"name": SECADM2, "role": "security",
                   "ssh_public_key": extra.with_suffix(".pub").read_text().strip()})
    inventory = yaml.safe_load(lab.inventory_path.read_text(encoding="utf-8"))
    inventory["all"]["vars"].update(
        {
            "baseline_admins": admins,
            **WITHOUT_INTEGRITY,
            "baseline_malware_protection": False,  # not what this module tests either
        }
    )
    path = work / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(inv: Path) -> Iterator[tuple[int, list[str]]]:
    first = run_playbook(SITE, inv, tags="baseline", env=SLOW_OK)
    assert first.ok, first.output[-4000:]
    second = run_playbook(SITE, inv, tags="baseline", env=SLOW_OK)
    assert second.ok, second.output[-4000:]
    yield second.changed, second.changed_tasks()


def as_user(
    lab: Lab, user: str, argv: list[str], tty_input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` as ``user`` on the host (no password: sudo rules are NOPASSWD); with
    ``tty_input`` under a real terminal (script) fed with those keys, so pagers would start."""
    command = shlex.join(argv)
    if tty_input is None:
        return lab.run(HOST, f"runuser -u {user} -- {command}", check=False)
    inner = shlex.join(["script", "-qec", command, "/dev/null"])
    return lab.run(HOST, f"timeout 60 runuser -u {user} -- {inner}", check=False, input=tty_input)


def sudo(lab: Lab, user: str, *argv: str, tty_input: str | None = None) -> subprocess.CompletedProcess[str]:
    return as_user(lab, user, ["sudo", "-n", *argv], tty_input)


def root(lab: Lab, command: str) -> str:
    return lab.run(HOST, command).stdout


def assert_refused(proc: subprocess.CompletedProcess[str], what: str) -> None:
    assert proc.returncode != 0, f"{what} was allowed: {proc.stdout[-500:]}"


def assert_no_escalation(lab: Lab) -> None:
    assert lab.run(HOST, f"test -e {PROOF}*", check=False).returncode != 0, root(lab, f"ls -l {PROOF}*")


def groups(lab: Lab, user: str) -> set[str]:
    return set(root(lab, f"id -nG {user}").split())


# Attacks every administrator tries, whatever its role.
COMMON_ATTACKS: list[list[str]] = [
    ["cat", "/etc/shadow"],
    ["-s"],
    ["-i"],
    ["-e", "/etc/sudoers"],
    ["sudoedit", "/etc/sudoers.d/50-mlps-admin-roles"],
    ["/usr/sbin/visudo"],
    ["tee", "/etc/sudoers.d/90-mine"],
    ["/usr/bin/systemctl", "stop", "rsyslog"],
    ["/usr/bin/systemctl", "stop", "auditd"],
    ["/usr/bin/systemctl", "stop", "nftables"],
    ["/usr/bin/journalctl", "--vacuum-time=1s"],
    ["/usr/bin/journalctl"],
    ["/usr/sbin/auditctl", "-D"],
    ["/usr/sbin/usermod", "-aG", "sysadm,audadm,secadm", "zhangwei"],
    ["/usr/sbin/usermod", "-s", "/tmp/evil", "root"],
    ["/usr/bin/apt-get", "install", "/tmp/evil.deb"],
    ["/bin/bash", "-c", f"touch {PROOF}"],
]


@pytest.mark.parametrize("user", [SYSADM, AUDADM, SECADM])
def test_no_admin_gets_root_or_touches_the_trail_with_sudo(built: Any, lab: Lab, user: str) -> None:
    before = groups(lab, user)
    root_entry = root(lab, "getent passwd root")
    for attack in COMMON_ATTACKS:
        assert_refused(sudo(lab, user, *attack), f"{user}: sudo {' '.join(attack)}")
    assert groups(lab, user) == before
    assert lab.run(HOST, "ls /etc/sudoers.d/90-mine", check=False).returncode != 0
    assert root(lab, "getent passwd root") == root_entry
    assert "table inet mlps_filter" in root(lab, "nft list ruleset")
    assert_no_escalation(lab)


def test_each_role_reaches_only_its_own_tools(built: Any, lab: Lab) -> None:
    mine = {SYSADM: ("service", "patch"), AUDADM: ("logs",), SECADM: ("account",)}
    for user, own in mine.items():
        for tool in ("service", "patch", "logs", "account"):
            proc = sudo(lab, user, f"{TOOLS}{tool}", "help")
            said = proc.stderr + proc.stdout
            if tool in own:  # sudo starts the tool, which refuses the unknown verb
                assert proc.returncode == 2 and f"usage: mlps-admin-{tool}" in said, (user, tool, said)
            else:  # sudo asks for a password (there is none) before it says no
                refused = proc.returncode == 1 and ("not allowed" in said or "password is required" in said)
                assert refused, (user, tool, said)


def test_system_admin_cannot_stop_the_trail_or_install_a_file(built: Any, lab: Lab) -> None:
    control = "Package: evil\nVersion: 1\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: x\n"
    lab.run(HOST, "rm -rf /tmp/evil && mkdir -p /tmp/evil/DEBIAN && cat > /tmp/evil/DEBIAN/control",
            input=control)
    lab.run(HOST, "cat > /tmp/evil/DEBIAN/postinst", input=f"#!/bin/sh\ntouch {PROOF}-deb\n")
    lab.run(HOST, "chmod 755 /tmp/evil/DEBIAN/postinst && dpkg-deb -b /tmp/evil /tmp/evil.deb >/dev/null "
                  "&& chmod 644 /tmp/evil.deb")
    attacks = [
        ["service", "stop", "auditd"],
        ["service", "stop", "rsyslog"],
        ["service", "stop", "nftables"],
        ["service", "stop", "systemd-journald"],
        ["service", "restart", "nftables.service"],
        ["service", "restart", "ssh;id"],
        ["service", "restart", "--", "ssh"],
        ["service", "restart", "*"],
        ["service", "kill", "ssh"],
        ["patch", "install", "/tmp/evil.deb"],
        ["patch", "install", "./evil.deb"],
        ["patch", "install", "evil"],
        ["patch", "install", "-oAPT::Update::Pre-Invoke::=touch /root/x", "tree"],
        ["patch", "install", "--", "/tmp/evil.deb"],
        ["patch", "install", "telnetd"],
        ["patch", "install", "auditd-"],
        ["patch", "install", "nftables-"],
        ["patch", "upgrade", "-o", "Dpkg::Pre-Invoke::=touch /root/x"],
    ]
    for attack in attacks:
        line = shlex.join([TOOLS + attack[0], *attack[1:]])
        proc = as_user(lab, SYSADM, ["sh", "-c", f"cd /tmp && sudo -n {line}"])
        assert proc.returncode == 2, (attack, proc.returncode, proc.stderr)
    assert root(lab, "dpkg-query -W -f '${db:Status-Status}' evil 2>/dev/null || true") != "installed"
    # A repository package that conflicts with the log daemon would remove it: apt must stop instead.
    rsyslog = "dpkg-query -W -f '${db:Status-Status}' rsyslog 2>/dev/null || true"
    if root(lab, rsyslog) == "installed":
        swap = lab.run(HOST, f"runuser -u {SYSADM} -- sudo -n {TOOLS}patch install syslog-ng-core",
                       check=False, timeout=600)
        assert swap.returncode != 0 and root(lab, rsyslog) == "installed", swap.stdout[-1000:]
    # A pager would give a root shell: the tools never start one, even on a terminal with PAGER set.
    sudo(lab, SYSADM, f"{TOOLS}service", "status", "ssh", tty_input=f"!touch {PROOF}-pager\nq\n")
    pager = ["env", "SYSTEMD_PAGER=less", "PAGER=less", "sudo", "-n"]
    as_user(lab, SYSADM, [*pager, f"{TOOLS}service", "status", "ssh"], tty_input=f"!touch {PROOF}-pager\nq\n")
    keep_env = as_user(lab, SYSADM, [*pager, "-E", f"{TOOLS}service", "status", "ssh"])
    assert keep_env.returncode == 1, "sudo -E must be refused (the caller's environment never reaches root)"
    assert_no_escalation(lab)
    assert root(lab, "systemctl is-active nftables").strip() == "active"


def test_system_admin_restarts_an_allowed_unit_and_patches(built: Any, lab: Lab) -> None:
    pid = root(lab, "systemctl show -p MainPID --value ssh").strip()
    proc = sudo(lab, SYSADM, f"{TOOLS}service", "restart", "ssh")
    assert proc.returncode == 0, proc.stderr
    assert root(lab, "systemctl show -p MainPID --value ssh").strip() != pid
    lab.run(HOST, "apt-get -q -y purge tree >/dev/null 2>&1 || true")
    # dpkg must run under the tool (NOEXEC on apt-get would stop it): install a package for real.
    install = f"runuser -u {SYSADM} -- sudo -n {TOOLS}patch install tree"
    proc = lab.run(HOST, install, check=False, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert root(lab, "dpkg-query -W -f '${db:Status-Status}' tree") == "installed"
    proc = lab.run(HOST, f"runuser -u {SYSADM} -- sudo -n {TOOLS}patch upgrade", check=False, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_security_admin_cannot_merge_roles_wipe_the_firewall_or_read_secrets(built: Any, lab: Lab) -> None:
    before = {u: groups(lab, u) for u in (SYSADM, AUDADM, SECADM, SECADM2)}
    shadow = root(lab, "sha256sum /etc/shadow")
    for attack in (
        ["/usr/sbin/nft", "list", "ruleset; flush ruleset"],
        ["/usr/sbin/nft", "list", 'ruleset; include "/etc/shadow"'],
        ["/usr/sbin/nft", "-f", "/etc/shadow"],
        ["/usr/sbin/usermod", "-L", "-aG", "sysadm,audadm", SECADM],
        ["/usr/sbin/usermod", "-L", SYSADM],
        ["/usr/sbin/faillock", "--dir", "/etc", "--user", "shadow", "--reset"],
        ["/usr/sbin/faillock", "--user", "root", "--reset"],
        ["/usr/bin/chage", "-l", "root"],
        ["/usr/sbin/sshd", "-T", "-f", "/etc/shadow"],
    ):
        assert_refused(sudo(lab, SECADM, *attack), f"secadm: {attack}")
    for attack in (
        ["lock", "root"],
        ["lock", SYSADM],
        ["unlock", AUDADM],
        ["reset-faillock", SYSADM],
        ["unlock", SECADM],
        ["lock", f"-aG sysadm {SECADM2}"],
        ["lock", "--", SECADM2],
        ["lock", f"{SECADM2},root"],
        ["lock", "daemon"],
        ["show", "/etc/shadow"],
    ):
        proc = sudo(lab, SECADM, f"{TOOLS}account", *attack)
        assert proc.returncode == 2, (attack, proc.returncode, proc.stdout, proc.stderr)
    assert {u: groups(lab, u) for u in before} == before
    assert root(lab, "sha256sum /etc/shadow") == shadow
    assert "table inet mlps_filter" in root(lab, "nft list ruleset")
    assert_no_escalation(lab)


def test_security_admin_locks_unlocks_reads_rules_resets_faillock(built: Any, lab: Lab) -> None:
    ruleset = sudo(lab, SECADM, "/usr/sbin/nft", "list", "ruleset")
    assert ruleset.returncode == 0 and "table inet mlps_filter" in ruleset.stdout
    assert sudo(lab, SECADM, "/usr/sbin/faillock").returncode == 0
    assert sudo(lab, SECADM, "/usr/sbin/sshd", "-T").returncode == 0
    assert sudo(lab, SECADM2, "/usr/sbin/faillock").returncode == 0
    assert sudo(lab, SECADM, f"{TOOLS}account", "lock", SECADM2).returncode == 0
    entry = root(lab, f"getent shadow {SECADM2}").split(":")
    assert entry[1].startswith("!") and entry[7] == "1", entry
    assert sudo(lab, SECADM2, "/usr/sbin/faillock").returncode != 0, "a locked account must lose sudo"
    assert sudo(lab, SECADM, f"{TOOLS}account", "unlock", SECADM2).returncode == 0
    assert sudo(lab, SECADM2, "/usr/sbin/faillock").returncode == 0
    assert sudo(lab, SECADM, f"{TOOLS}account", "reset-faillock", SECADM2).returncode == 0
    show = sudo(lab, SECADM, f"{TOOLS}account", "show", SYSADM)
    assert show.returncode == 0 and SYSADM in show.stdout


def test_audit_admin_reads_but_cannot_erase_or_escape(built: Any, lab: Lab) -> None:
    journals = root(lab, "journalctl --list-boots --no-pager | wc -l")
    for attack in (
        ["journal", "--vacuum-time=1s"],
        ["journal", "--rotate"],
        ["journal", "--unit=ssh --vacuum-time=1s"],
        ["journal", "--since=today", "--file=/etc/shadow"],
        ["journal", "--directory=/etc"],
        ["journal", "-D", "/etc"],
        ["audit", "--key=x -if /etc/shadow"],
        ["audit", "--input=/etc/shadow"],
        ["session", "../../etc/shadow"],
        ["sudo-replay", "../../../etc/shadow"],
        ["sudo-replay", "-d", "/etc", "shadow"],
    ):
        proc = sudo(lab, AUDADM, f"{TOOLS}logs", *attack)
        assert proc.returncode == 2, (attack, proc.returncode, proc.stderr)
    assert_refused(sudo(lab, AUDADM, "/usr/bin/lastb", "-f", "/etc/shadow"), "lastb -f")
    sudo(lab, AUDADM, f"{TOOLS}logs", "journal", tty_input=f"!touch {PROOF}-pager\nq\n")
    as_user(lab, AUDADM, ["env", "SYSTEMD_PAGER=less", "PAGER=less", "sudo", "-n", f"{TOOLS}logs", "journal"],
            tty_input=f"!touch {PROOF}-pager\nq\n")
    assert root(lab, "journalctl --list-boots --no-pager | wc -l") == journals
    assert_no_escalation(lab)


def test_audit_admin_reads_the_journal_sudo_records_and_session_recordings(built: Any, lab: Lab) -> None:
    marker = "mlps-priv-marker"
    lab.run(HOST, f"logger -t mlps-test {marker}")
    # A real recorded session: the admin's login shell is the recorder (under a terminal).
    said = "mlps-priv-session"
    lab.run(HOST, shlex.join(["script", "-qec", f"runuser -l {SYSADM} -c 'echo {said}'", "/dev/null"]))
    # A forged one: anybody may log tlog-shaped JSON to authpriv; it must not pass for a recording.
    forged = "0123456789abcdef0123456789abcdef-1a2b-3c4d"
    record = json.dumps({"ver": "2.3", "host": HOST, "rec": forged, "user": SYSADM, "term": "xterm",
                         "session": 7, "id": 1, "pos": 0, "timing": "+0>5", "in_txt": "", "in_bin": [],
                         "out_txt": "forged\n", "out_bin": []}, separators=(",", ":"))
    as_user(lab, AUDADM, ["logger", "-p", "authpriv.info", "-t", "tlog-rec-session", record])
    sudo(lab, SYSADM, f"{TOOLS}service", "status", "ssh")
    proc = sudo(lab, AUDADM, f"{TOOLS}logs", "journal", "--identifier=mlps-test", "--since=-1h")
    assert proc.returncode == 0 and marker in proc.stdout, proc.stderr
    assert sudo(lab, AUDADM, "/usr/bin/lastb", "--time-format", "iso").returncode == 0
    listing = sudo(lab, AUDADM, f"{TOOLS}logs", "sudo-sessions")
    assert listing.returncode == 0, listing.stderr
    ids = [line.rsplit("TSID=", 1)[1].split()[0] for line in listing.stdout.splitlines()
           if f" {SYSADM} " in line and "TSID=" in line]
    assert ids, listing.stdout[-2000:]
    replay = sudo(lab, AUDADM, f"{TOOLS}logs", "sudo-replay", ids[-1])
    assert replay.returncode == 0, replay.stderr
    listed: list[list[str]] = []
    for _ in range(20):  # journald may take a moment to store the recorder's last record
        recordings = sudo(lab, AUDADM, f"{TOOLS}logs", "sessions")
        assert recordings.returncode == 0, recordings.stderr
        listed = [line.split()[:2] for line in recordings.stdout.splitlines()]
        if any(user == SYSADM for _, user in listed):
            break
        time.sleep(0.5)
    assert forged not in [rec for rec, _ in listed], recordings.stdout
    recs = [rec for rec, user in listed if user == SYSADM]
    assert recs, recordings.stdout
    one = sudo(lab, AUDADM, f"{TOOLS}logs", "session", recs[-1])
    assert one.returncode == 0 and said in one.stdout, one.stdout[-1000:]
    assert all(json.loads(line)["rec"] == recs[-1] for line in one.stdout.splitlines())
    assert sudo(lab, AUDADM, f"{TOOLS}logs", "session", forged).stdout == ""


def result_of(doc: dict[str, Any], control: str, check: str) -> str:
    found = [
        str(r["status"]) for r in doc["results"] if r["control"] == control and r["check"].startswith(check)
    ]
    assert found, (control, check)
    return found[0]


def statuses(doc: dict[str, Any], prefix: str) -> dict[str, str]:
    return {r["check"]: r["status"] for r in doc["results"] if r["check"].startswith(prefix)}


def test_idempotent(built: tuple[int, list[str]]) -> None:
    changed, tasks = built
    assert changed == 0, tasks


def test_evidence_fails_on_a_wildcard_rule_and_on_a_mutable_or_silent_audit(
    built: Any, lab: Lab, inv: Path, work: Path
) -> None:
    def verify(name: str) -> dict[str, Any]:
        run = run_playbook(
            VERIFY, inv, extra_vars={"evidence_dir": str(work / name)}, tags="baseline", env=SLOW_OK
        )
        assert run.ok, run.output[-4000:]
        return evidence(work / name, HOST, "baseline")

    wildcard = ("CES-ACL-04", "no sudo rule with a wildcard")
    immutable = ("CES-AUDIT-01", "audit rules made immutable")
    coverage = ("CES-AUDIT-01", "audit rules cover the CIS rule groups")
    disk = ("CES-AUDIT-04", "auditd alerts as its disk fills")
    good = verify("evidence")
    for control, check in (wildcard, immutable, coverage, disk, ("CES-ACL-04", "mlps-admin-* tools")):
        assert result_of(good, control, check) == "pass", (check, good["results"])
    for user in (SYSADM, AUDADM, SECADM, SECADM2):
        assert set(statuses(good, f"{user}:").values()) == {"pass"}, statuses(good, f"{user}:")

    extra = "%sysadm ALL=(root) NOPASSWD: /usr/bin/journalctl *\n%audadm ALL=(root) NOPASSWD: /usr/bin/less\n"
    lab.run(HOST, "cat > /etc/sudoers.d/60-extra && chmod 440 /etc/sudoers.d/60-extra", input=extra)
    lab.run(HOST, "rm /etc/audit/rules.d/99-mlps-finalize.rules")
    lab.run(HOST, "sed -i 's/^space_left_action.*/space_left_action = ignore/; /^disk_full_action/d' "
                  "/etc/audit/auditd.conf")
    broken = verify("evidence-broken")
    for control, check in (wildcard, immutable, disk):
        assert result_of(broken, control, check) == "fail", (check, broken["results"])
    assert result_of(broken, "CES-ACL-04", f"{SYSADM}: sudo grants only") == "fail"
    assert result_of(broken, "CES-ACL-04", f"{AUDADM}: sudo grants only") == "fail"
    assert result_of(broken, *coverage) == "pass"
    lab.run(HOST, "rm -f /etc/sudoers.d/60-extra")
