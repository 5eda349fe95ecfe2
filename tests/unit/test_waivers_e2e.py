"""Waivers through `mlps validate --waivers` and `mlps report`, in every format.

A waived finding stays visible as `waived`, counts as waived (never as pass or fail), leaves a
spec compliant (exit 0) when it was the only failure, is a SARIF suppression and no JUnit
failure. A waiver holds through its `expires` day and not a day longer; its scope matches whole
JSON-pointer segments (or one host, or one resource), never a string prefix.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import mlps.cli.commands  # noqa: F401  (registers the sub-commands)
from mlps import waivers as waivers_module
from mlps.cli import app
from mlps.controls import LEVELS, catalog
from mlps.errors import InputError
from mlps.findings import Checkpoint, Finding
from mlps.report.model import STATUSES
from mlps.spec import load_spec
from mlps.waivers import WAIVER_CONTROL, Waiver, apply_waivers, load_waivers

ROOT = Path(__file__).resolve().parents[2]
EXPIRES = date(2026, 12, 4)
FORMATS = ("text", "json", "sarif", "junit", "html")
MFA = "CES-AUTH-06"
SSH = "CES-AUTH-05"
SPEC = load_spec(ROOT / "Pulumi.hybrid-prod.yaml").effective
"""The example's security administrator is wangqiang, 王强."""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """The compliant example with bastion MFA switched off: one CES-AUTH-06 finding."""
    text = (ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8")
    assert text.count("mfa: totp") == 1
    path = tmp_path / "Pulumi.nomfa.yaml"
    path.write_text(text.replace("mfa: totp", "mfa: none"), encoding="utf-8")
    return path


def waiver_file(tmp_path: Path, *entries: tuple[str, str]) -> Path:
    """A waiver file with one complete entry per (control, scope), all expiring on EXPIRES."""
    lines = ["waivers:"]
    for control, scope in entries:
        lines += [f"  - control: {control}", f"    scope: {json.dumps(scope)}",
                  "    reason: TOTP tokens on order; SSH keys only until delivery",
                  "    approver: 王强 (security administrator)",
                  f"    expires: {EXPIRES.isoformat()}"]
    path = tmp_path / "waivers.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def on_day(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setattr(waivers_module, "current_date", lambda: day)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


def validate_cli(spec: Path, waivers: Path, fmt: str, level: int = 3) -> tuple[int, str]:
    return run("validate", str(spec), "--level", str(level), "--waivers", str(waivers),
               "--format", fmt)


def statuses(json_report: str) -> dict[str, str]:
    return {c["id"]: c["status"] for c in json.loads(json_report)["controls"]}


def junit_cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    return {str(case.get("name")).split()[0]: case for case in root.iter("testcase")}


def html_control_row(html: str, control_id: str) -> str:
    """The row of ``control_id`` in the every-control table (the one with its title)."""
    title = f"<strong>{catalog().controls[control_id].title.zh}</strong>"
    rows = [row for row in html.split("<tr>") if f"<code>{control_id}</code>" in row
            and title in row]
    assert len(rows) == 1, control_id
    return rows[0]


def text_totals(text: str) -> dict[str, int]:
    line = next(li for li in text.splitlines() if li.strip().startswith("total 合计"))
    counts = [int(n) for n in re.findall(r"\d+", line)]
    return dict(zip(STATUSES, counts, strict=True))


# --- the waived finding in every format of `mlps validate` ---------------------------------


def test_validate_without_waiver_fails(spec: Path) -> None:
    code, out = run("validate", str(spec), "--level", "3", "--format", "json")
    assert code == 1
    assert statuses(out)[MFA] == "fail"


def test_validate_json_marks_waived_and_counts_it(spec: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, EXPIRES)
    code, out = validate_cli(spec, waiver_file(tmp_path, (MFA, "/bastion")), "json")
    assert code == 0
    data = json.loads(out)
    [finding] = data["findings"]
    assert (finding["control"], finding["status"], finding["pointer"]) == (MFA, "waived",
                                                                           "/bastion/mfa")
    assert finding["waiver"]["approver"].startswith("王强")
    assert finding["waiver"]["expires"] == EXPIRES.isoformat()
    summary = data["summary"]
    assert summary["compliant"] is True
    assert summary["findings"] == {"fail": 0, "waived": 1}
    [env] = summary["environments"]
    assert env["compliant"] is True
    assert env["controls"]["waived"] == 1 and env["controls"]["fail"] == 0
    family = next(c["family"] for c in data["controls"] if c["id"] == MFA)
    assert env["families"][family]["waived"] == 1
    found = statuses(out)
    assert found[MFA] == "waived"
    assert found[WAIVER_CONTROL] == "pass"
    assert sum(s == "waived" for s in found.values()) == 1


def test_validate_sarif_suppresses_the_waived_result(spec: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, EXPIRES)
    code, out = validate_cli(spec, waiver_file(tmp_path, (MFA, "/bastion")), "sarif")
    assert code == 0
    [result] = json.loads(out)["runs"][0]["results"]
    assert result["ruleId"] == MFA
    [suppression] = result["suppressions"]
    assert suppression["status"] == "accepted" and suppression["kind"] == "external"
    assert "王强" in suppression["justification"]
    assert EXPIRES.isoformat() in suppression["justification"]


def test_validate_sarif_does_not_suppress_a_failing_result(spec: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, EXPIRES)
    code, out = validate_cli(spec, waiver_file(tmp_path, (MFA, "/links")), "sarif")
    assert code == 1
    [result] = json.loads(out)["runs"][0]["results"]
    assert result["ruleId"] == MFA and "suppressions" not in result


def test_validate_junit_has_no_failure_for_the_waived_control(
        spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, EXPIRES)
    code, out = validate_cli(spec, waiver_file(tmp_path, (MFA, "/bastion")), "junit")
    assert code == 0
    root = ET.fromstring(out)
    assert root.get("failures") == "0"
    case = junit_cases(out)[MFA]
    assert case.find("failure") is None and case.find("skipped") is None
    system_out = case.find("system-out")
    assert system_out is not None and "waived" in str(system_out.text)
    assert "王强" in str(system_out.text)


def test_validate_text_and_html_mark_it_waived(spec: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, EXPIRES)
    waivers = waiver_file(tmp_path, (MFA, "/bastion"))
    code, text = validate_cli(spec, waivers, "text")
    assert code == 0
    assert f"{MFA} (8.1.4.1 d) [WAIVED]" in text
    assert "waived by 王强 (security administrator) until 2026-12-04" in text
    assert "compliant 符合" in text and "NOT compliant" not in text
    assert text_totals(text)["waived"] == 1 and text_totals(text)["fail"] == 0
    assert "0 failing, 1 waived" in text
    code, html = validate_cli(spec, waivers, "html")
    assert code == 0
    assert 'class="badge waived"' in html_control_row(html, MFA)
    assert "符合 COMPLIANT" in html and "NOT COMPLIANT" not in html
    assert "0 项不符合 / failing, 1 项已豁免 / waived" in html


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_waiver_does_not_hide_an_unwaived_failure(spec: Path, tmp_path: Path, fmt: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Another control's waiver leaves CES-AUTH-06 failing, exit 1, in every format."""
    on_day(monkeypatch, EXPIRES)
    code, out = validate_cli(spec, waiver_file(tmp_path, ("CES-AUTH-05", "/bastion")), fmt)
    assert code == 1
    if fmt == "json":
        assert statuses(out)[MFA] == "fail"
    elif fmt == "junit":
        assert junit_cases(out)[MFA].find("failure") is not None
    elif fmt == "html":
        assert 'class="badge fail"' in html_control_row(html=out, control_id=MFA)
    elif fmt == "text":
        assert f"{MFA} (8.1.4.1 d) [HIGH]" in out and "NOT compliant" in out
    else:
        assert "suppressions" not in json.loads(out)["runs"][0]["results"][0]


# --- expiry: the expires day is the last day the waiver holds -------------------------------


@pytest.mark.parametrize(("today", "holds"), [
    (EXPIRES - timedelta(days=1), True),
    (EXPIRES, True),
    (EXPIRES + timedelta(days=1), False),
])
def test_waiver_holds_through_its_expiry_day(spec: Path, tmp_path: Path, today: date,
                                             holds: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, today)
    code, out = validate_cli(spec, waiver_file(tmp_path, (MFA, "/bastion")), "json")
    found = statuses(out)
    if holds:
        assert code == 0
        assert (found[MFA], found[WAIVER_CONTROL]) == ("waived", "pass")
    else:
        assert code == 1
        assert (found[MFA], found[WAIVER_CONTROL]) == ("fail", "fail")
        messages = [f["message_en"] for f in json.loads(out)["findings"]
                    if f["control"] == WAIVER_CONTROL]
        assert messages == [f"Exceptions are approved and current: waiver 1 cannot be used "
                            f"(expired on {EXPIRES.isoformat()})"]


def test_the_date_comes_from_current_date_by_default() -> None:
    assert waivers_module.current_date() == date.today()


# --- scope: whole JSON-pointer segments, one host, one resource -----------------------------


def finding(pointer: str, control: str = MFA) -> Finding:
    checkpoint: Checkpoint = "host" if pointer.startswith("host:") else (
        "plan" if "::" in pointer else "spec")
    return Finding(control=control, clause="8.1.4.1 d", severity="high",
                   checkpoint=checkpoint, pointer=pointer, message_zh="x", message_en="x")


def waiver(scope: str, control: str = MFA) -> Waiver:
    return Waiver(index=0, file="w.yaml", line=2, control=control, scope=scope, reason="r",
                  approver="王强", expires=EXPIRES)


@pytest.mark.parametrize(("scope", "pointer", "covered"), [
    ("/bastion", "/bastion", True),
    ("/bastion", "/bastion/mfa", True),
    ("/bastion/", "/bastion/mfa", True),
    ("/bastion", "/bastion_x", False),
    ("/bastion", "/bastion_x/mfa", False),
    ("/bastion/mf", "/bastion/mfa", False),
    ("/bastion/mfa", "/bastion", False),
    ("/bastion/X", "/bastion/mfa", False),
    ("/links/1", "/links/1/bfd", True),
    ("/links/1", "/links/10", False),
    ("/links/1", "/links/10/bfd", False),
    ("/", "/bastion/mfa", True),
    ("", "/bastion/mfa", True),
    ("host:core-1", "host:core-1", True),
    ("host:core-1", "host:core-10", False),
    ("host:core", "host:core-1", False),
    ("alicloud:log/store:Store::logs", "alicloud:log/store:Store::logs", True),
    ("alicloud:log/store:Store::logs", "alicloud:log/store:Store::logs-2", False),
    ("alicloud:log/store:Store::logs", "alicloud:log/store:Store::logs/x", False),
])
def test_scope_matches_whole_segments(scope: str, pointer: str, covered: bool) -> None:
    assert waiver(scope).covers(finding(pointer)) is covered


def test_scope_never_crosses_controls() -> None:
    assert not waiver("/bastion", control="CES-AUTH-05").covers(finding("/bastion/mfa"))


@pytest.mark.parametrize(("scope", "code"), [
    ("/bastion", 0), ("/bastion/mfa", 0), ("/", 0),
    ("/bastion/mf", 1), ("/bastio", 1), ("/bastion/mfa/x", 1), ("/links", 1),
])
def test_validate_applies_scope_by_segment(spec: Path, tmp_path: Path, scope: str, code: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, EXPIRES)
    got, out = validate_cli(spec, waiver_file(tmp_path, (MFA, scope)), "json")
    assert got == code
    assert statuses(out)[MFA] == ("waived" if code == 0 else "fail")


def test_apply_waivers_judges_expiry_on_the_given_day() -> None:
    cat = catalog()
    [kept] = apply_waivers([finding("/bastion/mfa")], [waiver("/bastion")], cat, EXPIRES,
                           level=3, spec=SPEC)
    assert kept.status == "waived"
    out = apply_waivers([finding("/bastion/mfa")], [waiver("/bastion")], cat,
                        EXPIRES + timedelta(days=1), level=3, spec=SPEC)
    assert sorted((f.control, f.status) for f in out) == [(MFA, "fail"), (WAIVER_CONTROL, "fail")]


# --- `mlps report`: spec and host findings waived, every report file ------------------------


def evidence_dir(tmp_path: Path, failing_hosts: list[str]) -> Path:
    directory = tmp_path / "evidence"
    for host in failing_hosts:
        path = directory / host / "baseline.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({
            "host": host, "role": "baseline", "collected_at": "2026-12-01T08:00:00Z",
            "level": 3,
            "results": [{"control": SSH, "check": "sshd PasswordAuthentication",
                         "status": "fail", "observed": "yes", "expected": "no"}],
        }), encoding="utf-8")
    return directory


def report_cli(spec: Path, evidence: Path, waivers: Path, out: Path) -> tuple[int, dict[str, str]]:
    code, _ = run("report", "--spec", str(spec), "--evidence", str(evidence), "--waivers",
                  str(waivers), "--out", str(out), "--format", "json")
    names = {"text": "report.txt", "json": "report.json", "sarif": "report.sarif",
             "junit": "report.junit.xml", "html": "report.html"}
    return code, {fmt: (out / name).read_text(encoding="utf-8") for fmt, name in names.items()}


def test_report_host_scope_is_one_host(spec: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Waiving host:core-1 leaves core-10 failing: exit 1, CES-AUTH-05 fail everywhere."""
    on_day(monkeypatch, EXPIRES)
    evidence = evidence_dir(tmp_path, ["core-1", "core-10"])
    waivers = waiver_file(tmp_path, (MFA, "/bastion"), (SSH, "host:core-1"))
    code, files = report_cli(spec, evidence, waivers, tmp_path / "report")
    assert code == 1
    data = json.loads(files["json"])
    by_place = {(f["control"], f["pointer"]): f["status"] for f in data["findings"]}
    assert by_place == {(MFA, "/bastion/mfa"): "waived", (SSH, "host:core-1"): "waived",
                        (SSH, "host:core-10"): "fail"}
    assert data["summary"]["findings"] == {"fail": 1, "waived": 2}
    assert statuses(files["json"])[SSH] == "fail"
    assert statuses(files["json"])[MFA] == "waived"
    failure = junit_cases(files["junit"])[SSH].find("failure")
    assert failure is not None
    assert "core-10" in str(failure.get("message")) and "core-1," not in str(failure.text)
    assert "core-1 " not in str(failure.text).replace("core-10", "")
    assert junit_cases(files["junit"])[MFA].find("failure") is None
    results = json.loads(files["sarif"])["runs"][0]["results"]
    suppressed = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: "suppressions"
                  in r for r in results}
    assert suppressed == {"/bastion/mfa": True, "host:core-1": True, "host:core-10": False}


def test_report_all_failures_waived_is_compliant_in_every_file(
        spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, EXPIRES)
    evidence = evidence_dir(tmp_path, ["core-1", "core-10"])
    waivers = waiver_file(tmp_path, (MFA, "/bastion"), (SSH, "host:core-1"),
                          (SSH, "host:core-10"))
    code, files = report_cli(spec, evidence, waivers, tmp_path / "report")
    assert code == 0
    data = json.loads(files["json"])
    assert data["summary"]["compliant"] is True
    assert data["summary"]["findings"] == {"fail": 0, "waived": 3}
    assert data["summary"]["environments"][0]["controls"]["waived"] == 2
    found = statuses(files["json"])
    assert (found[MFA], found[SSH], found[WAIVER_CONTROL]) == ("waived", "waived", "pass")
    results = json.loads(files["sarif"])["runs"][0]["results"]
    assert len(results) == 3
    assert all(r["suppressions"][0]["status"] == "accepted" for r in results)
    junit = ET.fromstring(files["junit"])
    assert junit.get("failures") == "0"
    for control in (MFA, SSH):
        assert junit_cases(files["junit"])[control].find("failure") is None
        assert 'class="badge waived"' in html_control_row(files["html"], control)
    assert "[WAIVED]" in files["text"] and "[HIGH]" not in files["text"]
    assert text_totals(files["text"])["waived"] == 2


def test_report_expired_waiver_fails_the_day_after(spec: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, EXPIRES + timedelta(days=1))
    evidence = evidence_dir(tmp_path, ["core-1"])
    waivers = waiver_file(tmp_path, (MFA, "/bastion"), (SSH, "host:core-1"))
    code, files = report_cli(spec, evidence, waivers, tmp_path / "report")
    assert code == 1
    found: dict[str, Any] = statuses(files["json"])
    assert (found[MFA], found[SSH], found[WAIVER_CONTROL]) == ("fail", "fail", "fail")
    assert json.loads(files["json"])["summary"]["findings"] == {"fail": 4, "waived": 0}


# --- the waiver file itself ---------------------------------------------------------------------


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_file_that_is_not_a_waiver_file_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "# accepted exceptions\nwaivers:\n  control: CES-AUTH-06\n")
    with pytest.raises(InputError) as caught:
        load_waivers(path)
    err = caught.value
    assert (err.file, err.where) == (str(path), "line 2")
    assert err.message.startswith("not a waiver file: ")
    assert err.hint == ("write `waivers:` with a list of {control, scope, reason, approver, "
                        "expires}")
    with pytest.raises(InputError) as caught:
        load_waivers(write(tmp_path, "- control: CES-AUTH-06\n"))
    assert caught.value.where in ("/", "line 1")


def test_entries_are_read_with_their_line_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, """waivers:
  - control: CES-AUTH-06
    reason: tokens on order
    approver: 王强
    expires: 2026-12-04
  - {control: CES-AUTH-05, scope: "host:core-1", reason: r, approver: a, expires: 2027-01-01}
  - {control: CES-AUTH-05, scope: "alicloud:ecs/instance:Instance::vm", reason: r,
     approver: a, expires: 2027-01-01}
""")
    first, second, third = load_waivers(path)
    assert first == Waiver(index=0, file=str(path), line=2, control="CES-AUTH-06", scope="",
                           reason="tokens on order", approver="王强", expires=EXPIRES)
    assert first.as_dict() == {"control": "CES-AUTH-06", "scope": "/", "reason": "tokens on order",
                               "approver": "王强", "expires": "2026-12-04", "approved": None,
                               "file": str(path), "line": 2}
    assert (second.scope, second.problems, second.line) == ("host:core-1", (), 6)
    assert (third.scope, third.problems) == ("alicloud:ecs/instance:Instance::vm", ())
    assert first.covers(finding("/bastion/mfa")) and first.covers(finding("host:core-1"))


def test_incomplete_entries_name_every_problem(tmp_path: Path) -> None:
    path = write(tmp_path, """waivers:
  - {scope: bastion, owner: x}
  - {control: CES-AUTH-06, scope: host, reason: r, approver: a, expires: soon}
  - {control: CES-AUTH-06, scope: "/bastion", reason: r, approver: a}
""")
    first, second, third = load_waivers(path)
    assert first.problems == (
        "missing 'control'", "missing 'reason'", "missing 'approver'", "missing 'expires'",
        "unknown key 'owner'",
        "scope 'bastion' is neither a JSON pointer (/...), a host (host:NAME) nor a resource "
        "(TYPE::NAME)")
    assert (first.control, first.reason, first.approver, first.expires) == ("", "", "", None)
    assert second.problems == (
        "expires 'soon' is not a date (YYYY-MM-DD)",
        "scope 'host' is neither a JSON pointer (/...), a host (host:NAME) nor a resource "
        "(TYPE::NAME)")
    assert third.problems == ("missing 'expires'",) and third.expires is None
    assert third.as_dict()["expires"] is None


@pytest.mark.parametrize("level", LEVELS)
def test_an_unusable_waiver_is_a_finding_at_the_level_clause(tmp_path: Path,
                                                              level: int) -> None:
    path = write(tmp_path, """waivers:
  - {control: CES-AUTH-06, scope: "/bastion", reason: r, approver: 王强, expires: 2026-12-03}
  - {control: NOPE-XX-01, reason: r, expires: 2026-12-03}
""")
    cat = catalog()
    meta = cat.controls[WAIVER_CONTROL]
    out = apply_waivers([], load_waivers(path), cat, EXPIRES, level=level, spec=SPEC)
    assert [(f.control, f.pointer, f.clause, f.checkpoint, f.status, f.file, f.line)
            for f in out] == [
        (WAIVER_CONTROL, "/waivers/0", meta.clause_at(level), "spec", "fail", str(path), 2),
        (WAIVER_CONTROL, "/waivers/1", meta.clause_at(level), "spec", "fail", str(path), 3),
    ]
    first, second = out
    assert first.message_en == (f"{meta.title.en}: waiver 1 cannot be used "
                                "(expired on 2026-12-03)")
    assert first.message_zh == f"{meta.title.zh}：第 1 条豁免不可用（expired on 2026-12-03）"
    assert second.message_en == (f"{meta.title.en}: waiver 2 cannot be used (missing "
                                 "'approver'; control NOPE-XX-01 is not in the catalog; "
                                 "expired on 2026-12-03)")
    assert (first.remediation_zh, first.remediation_en) == (meta.remediation.zh,
                                                            meta.remediation.en)
    assert first.severity == meta.severity
