"""The ways into the hosts, attacked on three lab hosts (h1 bastion, h2 internal, h3 central log
audit server): sessions on an internal host reached through the bastion are recorded there and
reach the central log store through both hosts' firewalls, `exec bash -i` and commands
without a terminal do not escape the bastion's recording, start-up files cannot be rewritten,
a removed administrator's key and code are refused everywhere, root logs in only from the
declared controller address, and verify turns to fail when any of that is broken."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mlps.ansible_run import run_playbook
from mlps.lab import Lab
from mlps.lab.pytest_plugin import LabFactory
from mlps.pki import environment_pki
from tests.roles.baseline_lab import (
    BASTION,
    SITE,
    VERIFY,
    WITHOUT_INTEGRITY,
    Workstation,
    evidence,
    failing,
    fresh_code,
    inventory,
    make_workstation,
    totp,
)

pytestmark = [pytest.mark.lab, pytest.mark.slow]

LAB_NAME = "mlps-t-bsec"
INTERNAL = "h2"
AUDIT = "h3"
STORE = "/var/log/mlps-audit"
LEAVER = "lina"
SLOW_OK = {"ANSIBLE_TIMEOUT": "120"}
SESSIONS = "/var/log/mlps/sessions/sessions.log"
# Past journald's default rate limit (10,000 messages per 30 s from one session, raised at most
# fourfold for free journal space, which is capped at 4 GiB).
FLOOD = 50_000
JOURNALD_DROPIN = "/etc/systemd/journald.conf.d/60-mlps-sessions.conf"


@pytest.fixture(scope="module")
def lab(lab_factory: LabFactory) -> Lab:
    return lab_factory(LAB_NAME, hosts=3)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bastion-security")


@pytest.fixture(scope="module")
def ws(lab: Lab, work: Path) -> Workstation:
    return make_workstation(lab, work)


@pytest.fixture(scope="module")
def inv(lab: Lab, ws: Workstation, work: Path) -> Path:
    """The baseline/bastion inventory, with h3 as the central audit server that h1 and h2 forward
    to (mutual TLS with a throwaway environment CA)."""
    path = inventory(lab, ws, work / "inventory.yml")
    pki = work / "pki"
    environment_pki(pki, "mlps test log CA", [BASTION, INTERNAL, AUDIT])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["all"]["children"].update({
        "log_audit_server": {"hosts": {AUDIT: {}}},
        "log_forwarder": {"hosts": {BASTION: {}, INTERNAL: {}}},
    })
    data["all"]["vars"].update({
        "log_forwarder_servers": [{"host": lab.hosts[AUDIT].address, "name": AUDIT}],
        "log_forwarder_level": 2,
        "log_forwarder_pki_src_dir": str(pki),
        "log_audit_server_pki_src_dir": str(pki),
        "log_forwarder_resume_interval_seconds": 2,
        **WITHOUT_INTEGRITY,
    })
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(inv: Path) -> Iterator[int]:
    """site.yml twice (baseline on both hosts, bastion on h1): the second run changes nothing."""
    first = run_playbook(SITE, inv, tags="baseline,bastion", env=SLOW_OK)
    assert first.ok, first.output[-4000:]
    second = run_playbook(SITE, inv, tags="baseline,bastion", env=SLOW_OK)
    assert second.ok, second.output[-4000:]
    assert second.changed == 0, second.changed_tasks()
    yield first.changed


@pytest.fixture(scope="module")
def central(built: int, inv: Path) -> int:
    """The audit server and the forwarders, built after the hosts' firewalls are in place."""
    run = run_playbook(SITE, inv, tags="log_audit_server,log_forwarder", env=SLOW_OK)
    assert run.ok, run.output[-4000:]
    return run.changed


@pytest.fixture(scope="module")
def codes() -> set[str]:
    return set()


def wait_for(lab: Lab, host: str, command: str, marker: str) -> str:
    """Output of ``command`` on ``host`` once it shows ``marker`` (tlog buffers a few seconds)."""
    text = ""
    for _ in range(40):
        text = lab.run(host, command, check=False).stdout
        if marker in text:
            return text
        time.sleep(0.5)
    return text


def test_session_on_internal_host_through_the_bastion_is_recorded_there(
    built: int, lab: Lab, ws: Workstation, codes: set[str]
) -> None:
    marker = f"mlps-internal-{secrets.token_hex(4)}"
    # Any sudo rule will do: the I/O record comes from the Defaults, whatever the command.
    lab.run(INTERNAL, "printf 'zhangwei ALL=(root) NOPASSWD: /usr/bin/id\\n' > /etc/sudoers.d/90-probe"
                      " && chmod 0440 /etc/sudoers.d/90-probe")
    code = fresh_code(totp(lab, "zhangwei"), codes)
    try:
        ws.type_into_shell("zhangwei", INTERNAL, code, [f"echo {marker}", "sudo -n /usr/bin/id"], jump=True)
    finally:
        lab.run(INTERNAL, "rm -f /etc/sudoers.d/90-probe")
    journal = wait_for(lab, INTERNAL, "journalctl -o cat --no-pager SYSLOG_FACILITY=10", marker)
    record = next((line for line in journal.splitlines() if marker in line and '"in_txt"' in line), "")
    assert record, f"no tlog record of the typed command on {INTERNAL}"
    assert '"user":"zhangwei"' in record
    replay = lab.run(INTERNAL, "sudoreplay -d /var/log/sudo-io -l user zhangwei").stdout
    assert "/usr/bin/id" in replay, replay
    mode = lab.run(INTERNAL, "stat -c '%U %a' /var/log/sudo-io").stdout.split()
    assert mode == ["root", "700"]


def stored_under(lab: Lab, marker: str, sender: str) -> str:
    """The lines of the central store holding ``marker`` in the files of ``sender`` (waits)."""
    text = ""
    for _ in range(60):
        text = lab.run(AUDIT, f"grep -rh -- {marker} {STORE}/{sender} || true").stdout
        if text:
            return text
        time.sleep(0.5)
    return text


def test_commands_typed_through_the_bastion_reach_the_central_store(
    central: int, lab: Lab, ws: Workstation, codes: set[str]
) -> None:
    """The internal host's own session record (ProxyJump: the bastion only relays the encrypted
    stream) and the bastion's record of a session on itself both reach h3 over RELP/TLS, through
    default-deny firewalls on all three hosts, each filed under its sender's name only."""
    inside = f"mlps-central-{secrets.token_hex(4)}"
    on_bastion = f"mlps-central-{secrets.token_hex(4)}"
    ws.type_into_shell("zhangwei", INTERNAL, fresh_code(totp(lab, "zhangwei"), codes), [f"echo {inside}"],
                       jump=True)
    ws.type_into_shell("zhangwei", BASTION, fresh_code(totp(lab, "zhangwei"), codes), [f"echo {on_bastion}"])
    for marker, sender in ((inside, INTERNAL), (on_bastion, BASTION)):
        record = stored_under(lab, marker, sender)
        assert '"user":"zhangwei"' in record and '"in_txt"' in record, (sender, record[-2000:])
        files = lab.run(AUDIT, f"grep -rl -- {marker} {STORE}").stdout.split()
        assert {f.removeprefix(STORE + "/").split("/")[0] for f in files} == {sender}, files
    for host in (BASTION, INTERNAL, AUDIT):
        assert "policy drop" in lab.run(host, "nft list chain inet mlps_filter output").stdout, host
    inbound = lab.run(AUDIT, "nft list chain inet mlps_filter input").stdout
    assert "policy drop" in inbound and "tcp dport 2514" in inbound, inbound


def flood_then_type(ws: Workstation, host: str, code: str, marker: str) -> None:
    """In an administrator's session on ``host`` (through the bastion unless it is the bastion),
    send FLOOD lines to syslog, then type a command carrying ``marker``."""
    ws.type_into_shell("zhangwei", host, code, [f"seq {FLOOD} | logger -t mlps-flood", f"echo {marker}"],
                       jump=host != BASTION)


def test_a_session_flooding_syslog_is_still_recorded_centrally(
    central: int, lab: Lab, ws: Workstation, codes: set[str]
) -> None:
    """The session's own flood cannot use up a rate limit and silence its recording: the command
    typed right after it reaches the central store."""
    marker = f"mlps-flood-{secrets.token_hex(4)}"
    flood_then_type(ws, BASTION, fresh_code(totp(lab, "zhangwei"), codes), marker)
    record = stored_under(lab, marker, BASTION)
    assert '"user":"zhangwei"' in record and '"in_txt"' in record, record[-2000:]


def test_exec_bash_on_the_bastion_does_not_escape_the_recording(
    built: int, lab: Lab, ws: Workstation, codes: set[str]
) -> None:
    marker = f"mlps-escape-{secrets.token_hex(4)}"
    code = fresh_code(totp(lab, "zhangwei"), codes)
    ws.type_into_shell("zhangwei", BASTION, code, ["exec bash -i", f"echo {marker}"])
    text = wait_for(lab, BASTION, f"cat {SESSIONS}", marker)
    typed = [line for line in text.splitlines() if marker in line and '"in_txt"' in line]
    assert typed, "a command typed after exec bash -i was not recorded"


def test_commands_sent_without_a_terminal_are_recorded_too(
    built: int, lab: Lab, ws: Workstation, codes: set[str]
) -> None:
    marker = f"mlps-notty-{secrets.token_hex(4)}"
    code = fresh_code(totp(lab, "zhangwei"), codes)
    # Piped in, no terminal, and the command line itself ignored (the shell is forced): what
    # runs is what was sent, and that is recorded as input.
    proc = ws.ssh("zhangwei", BASTION, [f"touch /tmp/{marker}-argv"], code=code, stdin=f"echo {marker}\n")
    assert proc.returncode == 0, proc.stderr
    text = wait_for(lab, BASTION, f"cat {SESSIONS}", marker)
    recorded = [line for line in text.splitlines()
                if f"echo {marker}" in line and '"in_txt"' in line and '"user":"zhangwei"' in line]
    assert recorded, (proc.stdout, proc.stderr, text[-3000:])
    assert lab.run(BASTION, f"test -e /tmp/{marker}-argv", check=False).returncode == 1


def test_start_up_files_cannot_be_rewritten_to_skip_the_recorder(
    built: int, lab: Lab, ws: Workstation, codes: set[str]
) -> None:
    code = fresh_code(totp(lab, "zhangwei"), codes)
    shown = ws.type_into_shell(
        "zhangwei", BASTION, code, ["echo exec bash >> ~/.bashrc", "echo exec bash > ~/.bash_profile"]
    )
    assert ".bashrc: Permission denied" in shown and ".bash_profile: Permission denied" in shown, shown
    for host in (BASTION, INTERNAL):
        assert "exec bash" not in lab.run(host, "cat /home/zhangwei/.bashrc").stdout
        assert lab.run(host, "test -e /home/zhangwei/.bash_profile", check=False).returncode != 0
        owners = lab.run(host, "cd /home/zhangwei && stat -c '%U' . .bashrc .profile").stdout
        assert owners.split() == ["root", "root", "root"]


def test_root_key_is_refused_from_an_undeclared_address(built: int, lab: Lab, ws: Workstation) -> None:
    """The controller's own key, from the administrators' network (not the declared controller)."""
    argv = [
        "ssh", "-b", ws.address, "-i", str(lab.names.state_dir / "id_ed25519"), "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "ConnectTimeout=5", f"root@{ws.addr(BASTION)}", "true",
    ]
    proc = subprocess.run(["nsenter", f"--net={ws.netns()}", *argv], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 255 and "Permission denied" in proc.stderr, proc.stderr


def test_a_run_from_an_undeclared_controller_is_refused_before_sshd_changes(
    built: int, lab: Lab, inv: Path
) -> None:
    before = lab.run(INTERNAL, "sha256sum /etc/ssh/sshd_config").stdout
    run = run_playbook(
        SITE, inv, tags="CES-AUTH-05", limit=INTERNAL, env=SLOW_OK,
        extra_vars={"baseline_firewall_controller_sources": [], "baseline_ssh_max_sessions": 3},
    )
    assert not run.ok
    assert "not a declared controller address" in run.output
    assert lab.run(INTERNAL, "sha256sum /etc/ssh/sshd_config").stdout == before


def journal_has(lab: Lab, host: str, marker: str) -> bool:
    """Whether ``host``'s journal holds a session record of ``marker``, once a line logged
    after the session (same socket, so in order) has arrived."""
    done = f"mlps-after-{secrets.token_hex(4)}"
    lab.run(host, f"logger -t mlps-after {done}")
    wait_for(lab, host, "journalctl -o cat --no-pager -t mlps-after", done)
    journal = lab.run(host, "journalctl -o cat --no-pager SYSLOG_FACILITY=10").stdout
    return any(marker in line and '"in_txt"' in line for line in journal.splitlines())


def test_verify_fails_on_an_unrecorded_shell_sudo_without_io_log_a_rate_limit_and_a_root_source(
    built: int, lab: Lab, ws: Workstation, inv: Path, work: Path, codes: set[str]
) -> None:
    """Each break verify must see; with journald's rate limit back, a session's flood silences
    the command typed after it (what the baseline's setting prevents)."""
    lab.run(INTERNAL, f"sed -i 's/^RateLimitIntervalSec=0$/RateLimitIntervalSec=30s/' {JOURNALD_DROPIN}"
                      " && systemctl restart systemd-journald")
    marker = f"mlps-silenced-{secrets.token_hex(4)}"
    flood_then_type(ws, INTERNAL, fresh_code(totp(lab, "zhangwei"), codes), marker)
    assert not journal_has(lab, INTERNAL, marker)
    lab.run(INTERNAL, "usermod -s /bin/bash zhangwei")
    lab.run(INTERNAL, "printf 'Defaults !log_output\\n' > /etc/sudoers.d/99-quiet"
                      " && chmod 0440 /etc/sudoers.d/99-quiet")
    lab.run(INTERNAL, "printf 'Match User root Address 203.0.113.0/24\\n"
                      "    PermitRootLogin prohibit-password\\n' >> /etc/ssh/sshd_config")
    ev = work / "evidence-broken"
    run = run_playbook(VERIFY, inv, extra_vars={"evidence_dir": str(ev)}, tags="baseline", limit=INTERNAL,
                       env=SLOW_OK)
    assert run.ok, run.output[-4000:]
    broken = set(failing(evidence(ev, INTERNAL, "baseline")))
    expected = {
        ("CES-AUDIT-01", "zhangwei: login shell is the session recorder"),
        ("CES-AUDIT-01", "zhangwei: sudo records input and output"),
        ("CES-AUDIT-01", "lina: sudo records input and output"),
        ("CES-ACL-02", "root logs in by key only from the declared controller addresses"),
        ("CES-AUDIT-01", "journald rate-limits no session (a flood cannot drop the recording)"),
    }
    assert expected <= broken, broken
    lab.run(INTERNAL, "rm -f /etc/sudoers.d/99-quiet")
    repaired = run_playbook(SITE, inv, tags="baseline", limit=INTERNAL, env=SLOW_OK)
    assert repaired.ok, repaired.output[-4000:]
    again = work / "evidence-repaired"
    run = run_playbook(VERIFY, inv, extra_vars={"evidence_dir": str(again)}, tags="baseline", limit=INTERNAL,
                       env=SLOW_OK)
    assert run.ok
    left = {c for c in failing(evidence(again, INTERNAL, "baseline")) if c in expected}
    assert not left, left


def test_a_removed_administrator_is_refused_everywhere(
    built: int, lab: Lab, ws: Workstation, inv: Path, work: Path, codes: set[str]
) -> None:
    gen = totp(lab, LEAVER)
    lab.run(BASTION, f"faillock --user {LEAVER} --reset")
    assert ws.ssh(LEAVER, INTERNAL, ["true"], code=fresh_code(gen, codes), jump=True).returncode == 0
    data = yaml.safe_load(inv.read_text(encoding="utf-8"))
    for admin in data["all"]["vars"]["baseline_admins"]:
        if admin["name"] == LEAVER:
            admin["state"] = "absent"
    gone = work / "inventory-leaver.yml"
    gone.write_text(yaml.safe_dump(data), encoding="utf-8")
    run = run_playbook(SITE, gone, tags="baseline,bastion", env=SLOW_OK)
    assert run.ok, run.output[-4000:]

    assert ws.ssh(LEAVER, INTERNAL, ["true"], code=fresh_code(gen, codes), jump=True).returncode == 255
    assert ws.ssh(LEAVER, BASTION, ["true"], code=fresh_code(gen, codes)).returncode == 255
    for host in (BASTION, INTERNAL):
        assert lab.run(host, f"getent passwd {LEAVER}", check=False).returncode == 2
        assert lab.run(host, f"test -e /home/{LEAVER}", check=False).returncode == 1
    assert lab.run(BASTION, f"test -e /var/lib/mlps-bastion/totp/{LEAVER}", check=False).returncode == 1

    again = run_playbook(SITE, gone, tags="baseline,bastion", env=SLOW_OK)
    assert again.ok and again.changed == 0, again.changed_tasks()

    ev = work / "evidence-leaver"
    run = run_playbook(VERIFY, gone, extra_vars={"evidence_dir": str(ev)}, tags="baseline,bastion",
                       env=SLOW_OK)
    assert run.ok, run.output[-4000:]
    assert ("CES-ACL-03", "administrators who left have no bastion account or TOTP secret") not in failing(
        evidence(ev, BASTION, "bastion")
    )
    lab.run(BASTION, f"install -m 0600 /dev/null /var/lib/mlps-bastion/totp/{LEAVER}")
    lab.run(INTERNAL, f"useradd -m {LEAVER}")
    ev = work / "evidence-leaver-back"
    run = run_playbook(VERIFY, gone, extra_vars={"evidence_dir": str(ev)}, tags="baseline,bastion",
                       env=SLOW_OK)
    assert run.ok, run.output[-4000:]
    assert ("CES-ACL-03", "administrators who left have no bastion account or TOTP secret") in failing(
        evidence(ev, BASTION, "bastion")
    )
    assert ("CES-ACL-03", "administrators who left have no account, home or keys") in failing(
        evidence(ev, INTERNAL, "baseline")
    )
