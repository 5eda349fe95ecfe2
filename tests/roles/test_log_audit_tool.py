"""The audit store's seal/verify tool (roles/log_audit_server/files/mlps-logaudit) on a store
built in a temporary directory (nothing outside it is touched; the flags are exercised on a real
ext4 filesystem by test_log_audit_ext4.py, the role's retention floor on lab hosts)."""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.machinery
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "roles" / "log_audit_server" / "files" / "mlps-logaudit"


def load_tool() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("mlps_logaudit", str(TOOL))
    spec = importlib.util.spec_from_loader("mlps_logaudit", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


tool = load_tool()


TODAY = dt.date(2026, 6, 15)  # every run judges the store as of this day: no midnight race


def day(offset: int) -> str:
    return (TODAY - dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, Path]:
    root, manifests = tmp_path / "root", tmp_path / "manifests"
    for host in ("web-1", "db-1"):
        for offset in (0, 1, 3):
            path = root / host / f"{day(offset)}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"2026-01-01T00:00:00.1+00:00 {host} auth.info sshd[1]: day {offset}\n")
    return root, manifests


def seal(root: Path, manifests: Path, *extra: str) -> int:
    return int(tool.main(["seal", "--root", str(root), "--manifests", str(manifests),
                          "--today", TODAY.isoformat(),
                          "--retention-days", "180", *extra]))


def verify(root: Path, manifests: Path, capsys: pytest.CaptureFixture[str],
           retention: int = 180) -> tuple[int, list[str]]:
    capsys.readouterr()
    rc = tool.main(["verify", "--root", str(root), "--manifests", str(manifests),
                    "--retention-days", str(retention), "--today", TODAY.isoformat()])
    return int(rc), list(json.loads(capsys.readouterr().out)["problems"])


def test_seal_chains_finished_days_only(store: tuple[Path, Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    root, manifests = store
    assert seal(root, manifests) == 0
    assert sorted(p.name for p in manifests.iterdir()) == [f"{day(3)}.json", f"{day(1)}.json"]
    older = json.loads((manifests / f"{day(3)}.json").read_text())
    newer = json.loads((manifests / f"{day(1)}.json").read_text())
    assert older["previous"] == tool.GENESIS
    assert newer["previous"] == older["head"]
    assert [f["path"] for f in newer["files"]] == [f"db-1/{day(1)}.log", f"web-1/{day(1)}.log"]
    assert verify(root, manifests, capsys) == (0, [])


def test_one_changed_byte_is_reported_with_its_file(store: tuple[Path, Path],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root, manifests = store
    seal(root, manifests)
    path = root / "web-1" / f"{day(1)}.log"
    data = bytearray(path.read_bytes())
    data[5] ^= 0x01
    path.write_bytes(bytes(data))
    rc, problems = verify(root, manifests, capsys)
    assert rc == 1
    assert problems == [f"web-1/{day(1)}.log: content changed since {day(1)} was sealed"]


def test_removed_added_and_rewritten_manifest_are_reported(
    store: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, manifests = store
    seal(root, manifests)
    next((root / "db-1").glob(f"{day(3)}.log*")).unlink()
    (root / "forged").mkdir()
    (root / "forged" / f"{day(1)}.log").write_text("inserted\n")
    rewritten = json.loads((manifests / f"{day(3)}.json").read_text())
    rewritten["files"] = rewritten["files"][1:]  # drop an entry, keep the old head
    (manifests / f"{day(3)}.json").write_text(json.dumps(rewritten))
    rc, problems = verify(root, manifests, capsys)
    assert rc == 1
    assert f"{day(3)}: manifest head does not match its entries" in problems
    assert f"forged/{day(1)}.log: not in the manifest of {day(1)}" in problems


def test_compressed_files_still_verify_and_expired_days_go(
    store: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, manifests = store
    seal(root, manifests)
    assert seal(root, manifests, "--compress-after-days", "2") == 0
    packed = root / "web-1" / f"{day(3)}.log.gz"
    assert packed.exists() and not packed.with_suffix("").exists()
    assert b"day 3" in gzip.decompress(packed.read_bytes())
    assert (root / "web-1" / f"{day(1)}.log").exists()  # yesterday stays as written
    assert verify(root, manifests, capsys) == (0, [])
    assert seal(root, manifests, "--retention-days", "2") == 0  # the later option wins
    assert not packed.exists()
    assert verify(root, manifests, capsys, retention=2) == (0, [])
    assert verify(root, manifests, capsys, retention=180)[0] == 1  # gone before its time


def test_sm3_chain(store: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, manifests = store
    seal(root, manifests, "--algorithm", "sm3")
    assert json.loads((manifests / f"{day(1)}.json").read_text())["algorithm"] == "sm3"
    assert verify(root, manifests, capsys) == (0, [])


def test_duplicates_are_counted_per_file(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "web-1" / f"{day(0)}.log"
    path.parent.mkdir()
    path.write_text("a 1\nb 2\na 1\nc 3\na 1\n")
    tool.main(["duplicates", "--root", str(tmp_path)])
    report = json.loads(capsys.readouterr().out)
    assert report == {f"web-1/{day(0)}.log": {"records": 5, "unique": 3, "duplicates": 2}}


def test_expiry_threshold_on_both_sides_with_a_fixed_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, manifests = tmp_path / "root", tmp_path / "manifests"
    now = dt.date(2026, 7, 1)
    ages = (1, 179, 180, 181)
    for age in ages:
        path = root / "web-1" / f"{now - dt.timedelta(days=age)}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"age {age}\n")
    assert seal(root, manifests, "--today", now.isoformat()) == 0
    kept = sorted(p.name for p in (root / "web-1").iterdir())
    assert kept == sorted([f"{now - dt.timedelta(days=1)}.log"]
                          + [f"{now - dt.timedelta(days=a)}.log.gz" for a in (179, 180)])
    capsys.readouterr()
    rc = tool.main(["verify", "--root", str(root), "--manifests", str(manifests),
                    "--retention-days", "180", "--today", now.isoformat(),
                    "--compress-after-days", "2"])
    report = json.loads(capsys.readouterr().out)
    assert (rc, report["problems"], report["overdue_expiry"]) == (0, [], [])


def test_a_bad_day_is_refused_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(["python3", str(TOOL), "verify", "--root", str(tmp_path),
                           "--manifests", str(tmp_path), "--retention-days", "180",
                           "--today", "2026-13-01"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "'2026-13-01' is not a day (YYYY-MM-DD)" in done.stderr
    assert "Traceback" not in done.stderr


def test_tool_runs_as_a_script(tmp_path: Path) -> None:
    done = subprocess.run(["python3", str(TOOL), "disk", "--root", str(tmp_path),
                           "--percent", "100"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["alert"] is False


# The cloud's management events in CADF records (SMC-CEN-07, for a cloud without event alerts).
KEYSTONE_FAILED = json.dumps({  # Keystone's notification through oslo.messaging's log driver
    "message_id": "5d5b", "publisher_id": "identity.ctl-1", "event_type": "identity.authenticate",
    "priority": "INFO", "timestamp": "2026-06-15 08:00:00.1",
    "payload": {"typeURI": tool.CADF_EVENT, "eventType": "activity", "action": "authenticate",
                "outcome": "failure", "initiator": {"typeURI": "service/security/account/user",
                                                    "id": "9a1f", "host": {"address": "10.60.0.5"}},
                "target": {"typeURI": "service/security/account/user", "id": "9a1f"}}})
AUDIT_SG = json.dumps({  # keystonemiddleware's audit of a Neutron call
    "typeURI": tool.CADF_EVENT, "eventType": "activity", "action": "create", "outcome": "success",
    "initiator": {"typeURI": "service/security/account/user", "name": "netadm"},
    "target": {"typeURI": "service/network/security-group-rules", "id": "r1"},
    "requestPath": "/v2.0/security-group-rules"})


@pytest.mark.parametrize(("message", "kind"), [
    (f"oslo.messaging.notification.identity.authenticate {KEYSTONE_FAILED}", "console_login_failure"),
    (f"neutron-server audit: {AUDIT_SG}", "security_group_change"),
    (json.dumps({"typeURI": tool.CADF_EVENT, "action": "authenticate", "outcome": "success",
                 "initiator": {"id": "admin-id"}}), "root_login"),
    (json.dumps({"typeURI": tool.CADF_EVENT, "action": "deleted.project", "outcome": "success",
                 "target": {"typeURI": "data/security/project"}}), "ram_change"),
    (json.dumps({"typeURI": tool.CADF_EVENT, "action": "delete", "outcome": "success",
                 "target": {"typeURI": "service/security/keymanager/secrets"}}), "kms_key_change"),
    (json.dumps({"typeURI": tool.CADF_EVENT, "action": "create", "outcome": "success",
                 "target": {"typeURI": "service/compute/servers"}}), "instance_start"),
    (json.dumps({"typeURI": tool.CADF_EVENT, "action": "update/os-start", "outcome": "pending",
                 "target": {"typeURI": "service/compute/servers/action"}}), "instance_start"),
    # none of them: a user's sign-in, a read, a refused change, a key created, a server stopped,
    # not CADF, not JSON
    (json.dumps({"typeURI": tool.CADF_EVENT, "action": "update/os-stop", "outcome": "success",
                 "target": {"typeURI": "service/compute/servers/action"}}), None),
    (json.dumps({"typeURI": tool.CADF_EVENT, "action": "authenticate", "outcome": "success",
                 "initiator": {"name": "nurse"}}), None),
    (json.dumps({"typeURI": tool.CADF_EVENT, "action": "read/list", "outcome": "success",
                 "target": {"typeURI": "service/network/security-groups"}}), None),
    (json.dumps({"typeURI": tool.CADF_EVENT, "action": "update", "outcome": "failure",
                 "target": {"typeURI": "data/security/account/user"}}), None),
    (json.dumps({"typeURI": tool.CADF_EVENT, "action": "create", "outcome": "success",
                 "target": {"typeURI": "service/security/keymanager/secrets"}}), None),
    (json.dumps({"typeURI": "http://example/other", "action": "authenticate", "outcome": "failure"}), None),
    (f'{{"typeURI": "{tool.CADF_EVENT}", "action": "authenticate", "outcome": "fail', None),
    ("sshd[1]: Accepted publickey for root", None),
])
def test_each_management_event_is_told_from_the_rest(message: str, kind: str | None) -> None:
    event = tool.cadf_event(message)
    found = tool.management_event(event, frozenset({"admin", "admin-id"})) if event is not None else None
    assert found == kind


def test_cloud_events_raise_one_alert_per_management_event(monkeypatch: pytest.MonkeyPatch) -> None:
    raised: list[tuple[int, str]] = []
    monkeypatch.setattr(tool.syslog, "openlog", lambda *a: None)
    monkeypatch.setattr(tool.syslog, "syslog", lambda level, text: raised.append((level, text)))
    lines = [f"ctl-1\toslo {KEYSTONE_FAILED}\n", f"net-1\t{AUDIT_SG}\n", "net-1\tnot an event\n", "\n"]
    monkeypatch.setattr(tool.sys, "stdin", iter(lines))
    assert tool.main(["cloud-events", "--admin", "admin"]) == 0
    assert raised == [
        (tool.syslog.LOG_ALERT, "console_login_failure: authenticate failure by 9a1f on "
                                "service/security/account/user, recorded by ctl-1"),
        (tool.syslog.LOG_ALERT, "security_group_change: create success by netadm on "
                                "service/network/security-group-rules, recorded by net-1"),
    ]
    assert all(tool.CADF_EVENT not in text for _, text in raised), "an alert must not re-trigger the rule"


FAILED = {"typeURI": tool.CADF_EVENT, "action": "authenticate", "outcome": "failure"}
FAILED_SIGN_IN = f"ctl-1\t{json.dumps(FAILED)}\n"


@pytest.mark.parametrize("poison", [
    json.dumps({"typeURI": tool.CADF_EVENT, "action": "authenticate", "outcome": "failure",
                "initiator": {"name": "\ud800"}}),  # a lone surrogate in the name
    f'{{"typeURI": "{tool.CADF_EVENT}", "x": ' + "[" * 100000,  # nested past the recursion limit
    f'{{"typeURI": "{tool.CADF_EVENT}", "action": "authenticate", "outcome": "fail',  # cut short
])
def test_a_poisoned_record_is_alarmed_and_the_events_behind_it_still_are(
    monkeypatch: pytest.MonkeyPatch, poison: str
) -> None:
    raised: list[str] = []
    monkeypatch.setattr(tool.syslog, "openlog", lambda *a: None)
    monkeypatch.setattr(tool.syslog, "syslog",
                        lambda level, text: raised.append(text.encode("ascii").decode()))
    monkeypatch.setattr(tool.sys, "stdin", iter([f"evil\t{poison}\n", *[FAILED_SIGN_IN] * 3]))
    assert tool.main(["cloud-events"]) == 0
    assert len(raised) == 4 and sum(t.startswith("console_login_failure:") for t in raised) >= 3, raised


def test_the_alarm_survives_undecodable_bytes_in_a_real_process(tmp_path: Path) -> None:
    """As omprog runs it: bytes that are no UTF-8 in a record do not end the program."""
    fake = tmp_path / "syslog.py"  # records the alarms instead of sending them to the journal
    fake.write_text("import sys\nLOG_AUTHPRIV = LOG_ALERT = 0\ndef openlog(*a): pass\n"
                    "def syslog(level, text): sys.stdout.write(text + '\\n')\n")
    evil = f"evil\t{{\"typeURI\": \"{tool.CADF_EVENT}\", \"action\": \"authenticate\", " \
           '"outcome": "failure", "initiator": {"name": "\xff\xfe"}}\n'
    data = evil.encode("latin-1") + FAILED_SIGN_IN.encode() * 2
    run = subprocess.run([sys.executable, str(TOOL), "cloud-events"], input=data, capture_output=True,
                         env={"PYTHONPATH": str(tmp_path), "LC_ALL": "C"}, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().count("console_login_failure:") == 3, run.stdout


@pytest.mark.parametrize("message", [
    # oslo.log with use_json: the notification a string inside "message"
    json.dumps({"message": json.dumps({"payload": {"typeURI": tool.CADF_EVENT, "action": "authenticate",
                                                   "outcome": "failure"}})}),
    # a prefix with braces of its own before the record
    "keystone[812]: {req-5d5b} " + json.dumps({"typeURI": tool.CADF_EVENT, "action": "authenticate",
                                               "outcome": "failure"}),
    # pretty-printed, as rsyslog escapes its newlines and tabs
    json.dumps({"typeURI": tool.CADF_EVENT, "action": "authenticate", "outcome": "failure"},
               indent=1).replace("\n", "#012").replace(" ", "#011"),
])
def test_the_event_is_found_however_the_service_wrapped_it(message: str) -> None:
    assert tool.alert_text(f"ctl\t{message}", frozenset()) is not None
    assert (tool.alert_text(f"ctl\t{message}", frozenset()) or "").startswith("console_login_failure:")


def test_keystone_names_the_administrator_by_username_or_user_id() -> None:
    for initiator in ({"username": "admin"}, {"user_id": "0a1b"}):
        event = {"typeURI": tool.CADF_EVENT, "action": "authenticate", "outcome": "success",
                 "initiator": initiator}
        assert tool.management_event(event, frozenset({"admin", "0a1b"})) == "root_login"
    assert tool.management_event({"typeURI": tool.CADF_EVENT, "action": "authenticate", "outcome": "success",
                                  "initiator": {"username": ""}}, frozenset({""})) is None


def test_a_record_cut_short_is_an_alarm_of_its_own() -> None:
    """An attacker padding the user agent past rsyslog's message size hides no failed sign-in."""
    whole = json.dumps({"typeURI": tool.CADF_EVENT, "action": "authenticate", "outcome": "failure",
                        "initiator": {"host": {"agent": "x" * 9000}}})
    text = tool.alert_text(f"ctl\t{whole[:8096]}", frozenset())
    assert text is not None and text.startswith("unreadable_cadf_record: 8096 characters, cut or malformed")


BINARY = "/usr/local/sbin/mlps-logaudit cloud-events --admin admin"
RULE = (f'  if $msg contains "{tool.CADF_EVENT}" then {{\n'
        '    action(type="omprog" name="mlps_cloud_event_alert" template="mlps_cloud_event"\n'
        f'           binary="{BINARY}" queue.type="LinkedList")\n  }}\n')
STORE = 'ruleset(name="mlps_audit_store" queue.type="LinkedList") {{\n  set $.m = "{{";\n{rule}' \
        '  action(type="omfile" dynaFile="f")\n  stop\n{after}}}\n{extra}' \
        'input(type="imrelp" port="2514" ruleset="mlps_audit_store")\n'


def conf(rule: str = RULE, after: str = "", extra: str = "") -> str:
    return STORE.format(rule=rule, after=after, extra=extra)


@pytest.mark.parametrize(("text", "why"), [
    (conf(), None),
    (conf(rule="", after=RULE), "the CADF rule comes after stop: no record reaches it"),
    (conf(rule="", extra='ruleset(name="never_bound") {\n' + RULE + "}\n"),
     "no rule on the CADF marker alone in the ruleset"),
    (conf(rule='  if $fromhost-ip == "192.0.2.1" then {\n' + RULE + "  }\n"),
     "the CADF rule is nested inside another condition"),
    (conf(rule="".join("# " + line + "\n" for line in RULE.splitlines())),
     "no rule on the CADF marker alone in the ruleset"),
    (conf(rule=RULE.replace(BINARY, BINARY + " --no-such-option")),
     f"the CADF rule runs {BINARY + ' --no-such-option'!r}, not {BINARY!r}"),
    (conf(rule=RULE.replace("/usr/local/sbin/mlps-logaudit cloud-events", "/bin/true")),
     f"the CADF rule runs {'/bin/true --admin admin'!r}, not {BINARY!r}"),
    (conf().replace('ruleset="mlps_audit_store"', 'ruleset="other"'),
     "no input is bound to ruleset mlps_audit_store"),
    (conf(rule=RULE.replace('type="omprog"', 'type="omfile"')), "the CADF rule runs no program"),
])
def test_the_rule_feeding_the_alarm_is_judged_where_it_stands(text: str, why: str | None) -> None:
    assert tool.rule_in_place(text, BINARY) == why


def test_self_test_checks_the_whole_path_and_the_rule(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert tool.main(["self-test"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    good = tmp_path / "good.conf"
    good.write_text(conf())
    assert tool.main(["self-test", "--conf", str(good), "--binary", BINARY]) == 0
    assert json.loads(capsys.readouterr().out) | {"classified": None, "expected": None} == {
        "classified": None, "expected": None, "rule": None, "ok": True}
    bad = tmp_path / "bad.conf"
    bad.write_text(conf(rule="", after=RULE))
    assert tool.main(["self-test", "--conf", str(bad), "--binary", BINARY]) == 1
    after_stop = "the CADF rule comes after stop: no record reaches it"
    assert json.loads(capsys.readouterr().out)["rule"] == after_stop
    monkeypatch.setattr(tool, "cadf_event", lambda message: None)  # the reading half broken
    assert tool.main(["self-test"]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False
