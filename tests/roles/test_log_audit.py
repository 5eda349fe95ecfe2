"""Central log auditing on lab hosts: two audit servers (audit1, audit2) and three forwarding
hosts (fw1..fw3) built by the real roles, real rsyslog with RELP over mutual TLS.

Loss bound asserted when a server is stopped while records flow and a forwarder is restarted
cleanly while that server is down: nothing the server acknowledged is lost (it saves its store
queue on shutdown), nothing queued on a forwarder is lost (its send queue is saved on shutdown,
imfile resumes from its saved position); the restarted forwarder may lose, for the stopped server
only, the records in RELP flight when that server stopped (at most one window); duplicates at
most two RELP windows per host and server (one resend per reconnect)."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlps.ansible_run import PlaybookRun, run_playbook
from mlps.lab import Lab
from mlps.pki import environment_pki, issue
from tests.roles import log_audit_support as support

pytestmark = pytest.mark.lab

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TOPOLOGY = HERE / "topologies" / "log-audit.yml"
SITE = HERE / "playbooks" / "log-audit.yml"
VERIFY = HERE / "playbooks" / "log-audit-verify.yml"
SERVERS = ["audit1", "audit2"]
FORWARDERS = ["fw1", "fw2", "fw3"]
WINDOW = 1024


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Lab:
    built: Lab = lab_factory("mlps-t-logs", topology=TOPOLOGY)
    return built


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki") / "env"
    environment_pki(directory, "mlps test log CA", SERVERS + FORWARDERS)
    return directory


@pytest.fixture(scope="module")
def evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture(scope="module")
def extra_vars(lab: Lab, pki: Path, evidence_dir: Path) -> dict[str, Any]:
    return {
        "log_audit_server_pki_src_dir": str(pki),
        "log_forwarder_pki_src_dir": str(pki),
        "log_forwarder_servers": [{"host": lab.hosts[s].address, "name": s} for s in SERVERS],
        "log_forwarder_extra_files": [{"path": f"{support.SEQ_DIR}/*.log", "tag": "mlps-seq"}],
        "log_forwarder_resume_interval_seconds": 2,
        "log_forwarder_relp_window_size": WINDOW,
        "evidence_dir": str(evidence_dir),
    }


def play(lab: Lab, playbook: Path, extra_vars: dict[str, Any]) -> PlaybookRun:
    return run_playbook(playbook, lab.inventory_path, extra_vars=extra_vars)


@pytest.fixture(scope="module")
def deployed(lab: Lab, extra_vars: dict[str, Any]) -> Iterator[PlaybookRun]:
    first = play(lab, SITE, extra_vars)
    assert first.ok, first.output[-4000:]
    yield first


def evidence(evidence_dir: Path, host: str, role: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((evidence_dir / host / f"{role}.json").read_text())
    schema = json.loads((REPO / "schemas" / "evidence.schema.json").read_text())
    jsonschema.validate(doc, schema)
    return doc


def statuses(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(r["control"], r["check"]): r["status"] for r in doc["results"]}


def by_control(doc: dict[str, Any], control: str) -> list[dict[str, Any]]:
    return [r for r in doc["results"] if r["control"] == control]


def test_second_run_changes_nothing(lab: Lab, deployed: PlaybookRun,
                                    extra_vars: dict[str, Any]) -> None:
    assert deployed.changed > 0
    again = play(lab, SITE, extra_vars)
    assert again.ok, again.output[-4000:]
    assert again.changed == 0, again.output[-4000:]


def test_verify_writes_passing_evidence(lab: Lab, deployed: PlaybookRun,
                                        extra_vars: dict[str, Any], evidence_dir: Path) -> None:
    for host in FORWARDERS:  # a record from each host, so the servers have today's files
        lab.run(host, "logger -t mlps-test 'verify evidence'")
    time.sleep(2)
    run = play(lab, VERIFY, extra_vars)
    assert run.ok, run.output[-4000:]
    for host in SERVERS:
        doc = evidence(evidence_dir, host, "log_audit_server")
        got = {r["control"]: r["status"] for r in doc["results"]
               if r["control"] in ("CNS-TRANS-03", "CNS-TRANS-04", "SMC-CEN-04", "SMC-CEN-05",
                                   "SMC-CEN-07", "SMC-AUD-01", "CES-AUDIT-02")}
        assert set(got.values()) == {"pass"}, doc["results"]
        filing = next(r for r in by_control(doc, "CES-AUDIT-03") if "claim" in r["check"])
        assert filing["status"] == "pass", filing
        # Nothing is sealed before the first day ends: said so, never counted as a pass.
        sealed = by_control(doc, "ABS-AUDIT-03")[0]
        assert (sealed["status"], sealed["detail"]) == ("not_checkable", "no sealed file yet")
    for host in FORWARDERS:
        doc = evidence(evidence_dir, host, "log_forwarder")
        st = statuses(doc)
        for control in ("CNS-TRANS-03", "CNS-TRANS-04", "CES-AUDIT-04", "SMC-CEN-05"):
            assert {s for (c, _), s in st.items() if c == control} == {"pass"}, doc["results"]
        audit = next(r for r in by_control(doc, "CES-AUDIT-01") if "audisp" in r["check"])
        assert audit["status"] == "not_checkable"
        journal = next(r for r in by_control(doc, "CES-AUDIT-01") if "journald" in r["check"])
        assert journal["status"] == "pass"


def test_server_outage_and_forwarder_restart_stay_within_the_loss_bound(
    lab: Lab, deployed: PlaybookRun
) -> None:
    """The stated bound: a host restarted cleanly while a server is down may lose, for that
    server only, the records that were in RELP flight (sent, not yet acknowledged) when the
    server stopped: at most one window, one run of consecutive sequence numbers. librelp keeps
    unacknowledged frames in memory only (rsyslog issue #3820). Every other host and server
    pair loses nothing."""
    run, rate, seconds = f"o{int(time.time())}", 250, 60.0
    expected = int(rate * seconds)
    restarted = ("audit1", "fw2")
    for host in FORWARDERS:
        support.start_generator(lab, host, run, rate, seconds)
    time.sleep(10)
    # Stop the socket too, or the journal's next record starts rsyslog again at once.
    lab.run("audit1", "systemctl stop syslog.socket rsyslog.service")
    time.sleep(10)
    lab.run("fw2", "systemctl restart rsyslog.service")  # clean restart during the outage
    time.sleep(20)
    lab.run("audit1", "systemctl start rsyslog.service")
    deadline = time.monotonic() + 150
    counts: dict[str, dict[str, support.Count]] = {}
    previous: dict[str, dict[str, support.Count]] = {}
    while time.monotonic() < deadline:
        done = all(support.generator_done(lab, h, run) for h in FORWARDERS)
        counts = {s: support.count(lab, s, run, expected) for s in SERVERS}
        complete = all(counts[s].get(h) and (counts[s][h].missing == 0 or (s, h) == restarted)
                       for s in SERVERS for h in FORWARDERS)
        if done and complete and counts == previous:
            break
        previous = counts
        time.sleep(3)
    report = {s: {h: vars(c) for h, c in counts[s].items()} for s in SERVERS}
    print(json.dumps(report, indent=1))
    for server in SERVERS:
        for host in FORWARDERS:
            got = counts[server].get(host)
            assert got is not None, f"{server} has nothing from {host}: {report}"
            if (server, host) == restarted:
                assert got.missing <= WINDOW, f"more lost than one RELP window: {report}"
                gap = got.first_missing
                if gap:
                    assert gap == list(range(gap[0], gap[0] + len(gap))), report
            else:
                assert got.missing == 0, f"{server} lost records of {host}: {report}"
            assert got.distinct == expected - got.missing
            assert got.duplicates <= 2 * WINDOW, f"more duplicates than two RELP windows: {report}"
    # The analysis step de-duplicates: it finds exactly the repeated records of each file.
    dup = json.loads(lab.run("audit1", f"/usr/local/sbin/mlps-logaudit duplicates "
                                       f"--root {support.ROOT}").stdout)
    for host in FORWARDERS:
        repeated = sum(v["duplicates"] for k, v in dup.items() if k.startswith(f"{host}/"))
        assert repeated >= counts["audit1"][host].duplicates


def test_foreign_ca_and_wrong_name_are_refused(lab: Lab, deployed: PlaybookRun, pki: Path,
                                              tmp_path: Path) -> None:
    target = lab.hosts["audit1"].address
    good = support.ProbeCert(pki / "ca.pem", pki / "fw3.pem", pki / "fw3.key")
    support.probe(lab, "fw3", "good", target, good, "audit1")
    assert support.stored_probe(lab, "audit1", "good"), "the probe harness itself does not deliver"

    rogue_dir = tmp_path / "rogue"
    environment_pki(rogue_dir, "another CA", ["fw3"])
    rogue = support.ProbeCert(pki / "ca.pem", rogue_dir / "fw3.pem", rogue_dir / "fw3.key")
    support.probe(lab, "fw3", "foreignca", target, rogue, "audit1")
    assert not support.stored_probe(lab, "audit1", "foreignca")

    intruder = issue(pki, "intruder")  # right CA, name not among the permitted peers
    support.probe(lab, "fw3", "wrongname", target,
                  support.ProbeCert(pki / "ca.pem", intruder.cert, intruder.key), "audit1")
    assert not support.stored_probe(lab, "audit1", "wrongname")


def test_forged_host_name_is_filed_under_the_sender_and_alerted(
    lab: Lab, deployed: PlaybookRun, pki: Path
) -> None:
    """fw1, with its own valid certificate, sends a record claiming to come from fw2."""
    target = lab.hosts["audit1"].address
    own = support.ProbeCert(pki / "ca.pem", pki / "fw1.pem", pki / "fw1.key")
    support.probe(lab, "fw1", "forged", target, own, "audit1", claimed_host="fw2")
    stored = support.probe_files(lab, "audit1", "forged")
    assert [name.split("/")[0] for name in stored] == ["fw1"], stored  # nothing under fw2
    line = next(iter(stored.values()))[0]
    assert " fw1 user.notice mlps-probe" in line, line  # the host column is the sender
    assert f"[mlps-audit sender={lab.hosts['fw1'].address} claimed-host=fw2]" in line, line
    alert = lab.run("audit1", "grep -h 'mlps-audit-forged-host' /var/log/auth.log", check=False)
    assert f"record from {lab.hosts['fw1'].address} (filed under fw1) claims host fw2" in alert.stdout


def test_permitted_certificate_from_an_unbound_address_is_set_apart(
    lab: Lab, deployed: PlaybookRun, pki: Path
) -> None:
    """fw3's key used from another machine (audit2, bound to no sender): nothing lands in fw3's
    files; the record is set apart under _unmapped with the address it came from."""
    target = lab.hosts["audit1"].address
    stolen = support.ProbeCert(pki / "ca.pem", pki / "fw3.pem", pki / "fw3.key")
    support.probe(lab, "audit2", "stolen", target, stolen, "audit1", claimed_host="fw3")
    stored = support.probe_files(lab, "audit1", "stolen")
    assert [name.split("/")[0] for name in stored] == ["_unmapped"], stored
    assert f"sender={lab.hosts['audit2'].address} claimed-host=fw3]" in next(iter(stored.values()))[0]


def test_verify_fails_when_the_store_files_by_claimed_host_name(
    lab: Lab, deployed: PlaybookRun, extra_vars: dict[str, Any], evidence_dir: Path
) -> None:
    conf = "/etc/rsyslog.d/50-mlps-audit-server.conf"
    lab.run("audit2", f"sed -i 's|/%$.mlps_peer:::secpath-replace%/|/%HOSTNAME:::secpath-replace%/|' {conf}")
    assert "%HOSTNAME:::secpath-replace%/%$YEAR%" in lab.run("audit2", f"cat {conf}").stdout
    run = play(lab, VERIFY, extra_vars)
    assert run.ok, run.output[-4000:]
    doc = evidence(evidence_dir, "audit2", "log_audit_server")
    filing = next(r for r in by_control(doc, "CES-AUDIT-03") if "claim" in r["check"])
    assert filing["status"] == "fail", filing
    restored = play(lab, SITE, extra_vars)
    assert restored.ok, restored.output[-4000:]
    run = play(lab, VERIFY, extra_vars)
    doc = evidence(evidence_dir, "audit2", "log_audit_server")
    filing = next(r for r in by_control(doc, "CES-AUDIT-03") if "claim" in r["check"])
    assert filing["status"] == "pass", filing


def test_role_refuses_retention_below_the_level_minimum(
    lab: Lab, deployed: PlaybookRun, extra_vars: dict[str, Any]
) -> None:
    run = run_playbook(SITE, lab.inventory_path, limit="audit1", extra_vars={
        **extra_vars, "log_audit_server_retention_days": 90, "log_audit_server_level": 3})
    assert run.rc != 0
    assert "log_audit_server_retention_days=90 is below the" in run.output
    assert "Refuse a retention shorter than the protection level allows" in run.output


def test_plaintext_is_not_accepted(lab: Lab, deployed: PlaybookRun) -> None:
    target = lab.hosts["audit1"].address
    refused = lab.run("fw3", f"logger --tcp -n {target} -P 514 'plain-tcp-marker'", check=False)
    assert refused.returncode != 0  # nothing listens on 514/tcp
    lab.run("fw3", f"logger --udp -n {target} -P 514 'plain-udp-marker'")
    lab.run("fw3", f"bash -c 'echo plain-raw-marker > /dev/tcp/{target}/{support.RELP_PORT}'",
            check=False)
    support.probe(lab, "fw3", "plainrelp", target, None, "audit1")
    for marker in ("plain-tcp-marker", "plain-udp-marker", "plain-raw-marker"):
        assert lab.run("audit1", f"grep -rsq {marker} {support.ROOT}", check=False).returncode != 0
    assert not support.stored_probe(lab, "audit1", "plainrelp")


def test_changed_byte_in_yesterdays_file_is_detected(
    lab: Lab, deployed: PlaybookRun, extra_vars: dict[str, Any], evidence_dir: Path
) -> None:
    yesterday = lab.run("audit1", "date -d yesterday +%F").stdout.strip()
    manifest = f"/var/lib/mlps-audit/manifests/{yesterday}.json"
    if lab.run("audit1", f"test -e {manifest}", check=False).returncode != 0:
        # Past midnight yesterday's file is real, and perhaps sealed by the hourly timer.
        lab.run("audit1", f"cd {support.ROOT}/fw1 && "
                          f"{{ test -e {yesterday}.log || cp -p $(date +%F).log {yesterday}.log; }}")
        lab.run("audit1", "systemctl start mlps-logaudit-seal.service")
    names = sorted(e["path"] for e in json.loads(lab.run("audit1", f"cat {manifest}").stdout)["files"])
    name = f"fw1/{yesterday}.log" if f"fw1/{yesterday}.log" in names else names[0]
    stored = f"{support.ROOT}/{name}"
    run = play(lab, VERIFY, extra_vars)
    assert run.ok, run.output[-4000:]
    doc = evidence(evidence_dir, "audit1", "log_audit_server")
    chain = by_control(doc, "CES-AUDIT-03")[0]
    assert chain["status"] == "pass", chain
    assert by_control(doc, "ABS-AUDIT-03")[0]["status"] == "pass", doc["results"]

    # The sealed file is immutable; an intruder with root clears the flag first.
    lab.run("audit1", f"chattr -i {stored}", check=False)
    flip = ("python3 -c \"import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); "
            "b[len(b)//2] ^= 1; open(p,'wb').write(bytes(b))\" " + stored)
    lab.run("audit1", flip)
    run = play(lab, VERIFY, extra_vars)
    assert run.ok, run.output[-4000:]
    doc = evidence(evidence_dir, "audit1", "log_audit_server")
    chain = by_control(doc, "CES-AUDIT-03")[0]
    assert chain["status"] == "fail"
    assert f"{name}: content changed" in json.dumps(chain["observed"])
    assert by_control(doc, "ABS-AUDIT-03")[0]["status"] == "fail", "a cleared flag must show"


def test_disk_alarm_raises_an_alert_record(lab: Lab, deployed: PlaybookRun) -> None:
    out = lab.run("audit1", f"/usr/local/sbin/mlps-logaudit disk --root {support.ROOT} --percent 1")
    assert json.loads(out.stdout)["alert"] is True
    time.sleep(1)
    logged = lab.run("audit1", "grep -c 'audit store .* full (alarm at 1.0%)' /var/log/syslog",
                     check=False)
    assert logged.stdout.strip() not in ("", "0"), logged


CADF = "http://schemas.dmtf.org/cloud/audit/1.0/event"


def cadf(action: str, outcome: str, target: str, case: str) -> str:
    """A Keystone-style CADF record as a cloud controller logs it, told apart by ``case``."""
    return "identity " + json.dumps({"typeURI": CADF, "eventType": "activity", "id": case,
                                     "action": action, "outcome": outcome,
                                     "initiator": {"typeURI": "service/security/account/user", "id": case},
                                     "target": {"typeURI": target}})


def alerts(lab: Lab, server: str, case: str, seconds: float) -> list[str]:
    """The cloud-event alerts on ``server`` naming ``case``, waited for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = lab.run(server, f"grep -h 'mlps-cloud-event.* by {case} ' /var/log/auth.log", check=False)
        lines = found.stdout.splitlines()
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.5)


def test_a_cloud_management_event_raises_an_alert_on_both_servers_and_a_read_does_not(
    lab: Lab, deployed: PlaybookRun
) -> None:
    """fw1 logs what an OpenStack controller would: a failed sign-in and a read (SMC-CEN-07)."""
    read = cadf("read", "success", "data/security/project", "rd1")
    failed = cadf("authenticate", "failure", "service/security/account/user", "bad1")
    lab.run("fw1", f"logger -t keystone {shlex.quote(read)}")
    lab.run("fw1", f"logger -t keystone {shlex.quote(failed)}")
    for server in SERVERS:
        [line] = alerts(lab, server, "bad1", 30)
        assert "console_login_failure: authenticate failure by bad1 on service/security/account/user, " \
               "recorded by fw1" in line, line
        assert alerts(lab, server, "rd1", 0) == []


def test_verify_fails_when_cadf_records_no_longer_reach_the_classifier(
    lab: Lab, deployed: PlaybookRun, extra_vars: dict[str, Any], evidence_dir: Path
) -> None:
    """The attack: an insider on audit2 points the rule at a program that does nothing. Management
    events then raise no alert there, and verify says so."""
    conf = "/etc/rsyslog.d/50-mlps-audit-server.conf"
    silenced = "s|/usr/local/sbin/mlps-logaudit cloud-events|/bin/true|"
    lab.run("audit2", f"sed -i '{silenced}' {conf} && systemctl restart rsyslog")
    try:
        deleted = cadf("deleted.user", "success", "data/security/account/user", "del1")
        lab.run("fw2", f"logger -t keystone {shlex.quote(deleted)}")
        assert len(alerts(lab, "audit1", "del1", 30)) == 1
        assert alerts(lab, "audit2", "del1", 3) == []
        run = play(lab, VERIFY, extra_vars)
        assert run.ok, run.output[-4000:]
        doc = evidence(evidence_dir, "audit2", "log_audit_server")
        [alarm] = [r for r in by_control(doc, "SMC-CEN-07") if "CADF" in r["check"]]
        assert alarm["status"] == "fail", alarm
    finally:
        restored = play(lab, SITE, extra_vars)
        assert restored.ok, restored.output[-4000:]
    run = play(lab, VERIFY, extra_vars)
    doc = evidence(evidence_dir, "audit2", "log_audit_server")
    [alarm] = [r for r in by_control(doc, "SMC-CEN-07") if "CADF" in r["check"]]
    assert alarm["status"] == "pass", alarm
