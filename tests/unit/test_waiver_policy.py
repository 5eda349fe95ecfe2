"""Waivers that must not apply: a legal minimum, a life longer than the spec allows, an approver
who is not one of the spec's security administrators. Each is an MLPS-WAIVER-01 finding saying
why, and the finding it aimed at stays failing."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import mlps.cli.commands  # noqa: F401  (registers the sub-commands)
from mlps import waivers as waivers_module
from mlps.cli import app
from mlps.controls import catalog
from mlps.errors import InputError
from mlps.findings import Finding
from mlps.spec import load_spec, spec_from_config
from mlps.waivers import (
    MAX_WAIVER_DAYS,
    WAIVER_CONTROL,
    Waiver,
    apply_waivers,
    approver_key,
    max_waiver_days,
)

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 4)
SPEC = load_spec(ROOT / "Pulumi.hybrid-prod.yaml").effective
MFA = "CES-AUTH-06"
RETENTION = "SMC-CEN-04"
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "wangqiang")
"""wangqiang in full-width Latin letters, as a Chinese input method types it."""


def finding(control: str = MFA, pointer: str = "/bastion/mfa") -> Finding:
    return Finding(control=control, clause="8.1.4.1 d", severity="high", checkpoint="spec",
                   pointer=pointer, message_zh="x", message_en="x")


def waiver(control: str = MFA, scope: str = "/", approver: str = "王强",
           expires: date = TODAY + timedelta(days=30), approved: date | None = None) -> Waiver:
    return Waiver(index=0, file="w.yaml", line=2, control=control, scope=scope, reason="r",
                  approver=approver, expires=expires, approved=approved)


def judge(w: Waiver, target: Finding | None = None,
          spec: dict[str, Any] | None = None) -> tuple[str, str]:
    """(status of the target finding, the waiver finding's English message or "")."""
    target = target or finding(w.control)
    out = apply_waivers([target], [w], catalog(), TODAY, level=3,
                        spec=SPEC if spec is None else spec)
    [kept] = [f for f in out if f.control == target.control]
    messages = [f.message_en for f in out if f.control == WAIVER_CONTROL]
    assert len(messages) <= 1
    return kept.status, messages[0] if messages else ""


def test_a_current_waiver_by_the_security_administrator_applies() -> None:
    assert judge(waiver()) == ("waived", "")


# --- legal minimums ------------------------------------------------------------------------


def test_the_catalog_marks_log_retention_a_legal_minimum() -> None:
    law = catalog().controls[RETENTION].legal_minimum
    assert law is not None and "网络安全法" in law["law"] and "二十一" in law["article"]
    assert catalog().controls[MFA].legal_minimum is None


def test_a_forever_waiver_of_the_180_day_log_retention_is_refused_with_every_reason() -> None:
    w = waiver(RETENTION, "/log_audit", approver="IT director", expires=date(9999, 12, 31))
    status, message = judge(w, finding(RETENTION, "/log_audit/retention_days"))
    assert status == "fail"
    assert "SMC-CEN-04 is a legal minimum (中华人民共和国网络安全法" in message
    assert "art. 21" in message and "cannot be waived" in message
    assert "expires 9999-12-31 is more than 365 days after today (2026-12-04" in message
    assert "approver 'IT director' is not one of the spec's security administrators " \
           "(admins with role security: wangqiang)" in message


def test_a_legal_minimum_stays_unwaivable_even_when_approved_properly() -> None:
    w = waiver(RETENTION, "/log_audit", approved=TODAY, expires=TODAY + timedelta(days=30))
    status, message = judge(w, finding(RETENTION, "/log_audit/retention_days"))
    assert status == "fail"
    assert message == ("Exceptions are approved and current: waiver 1 cannot be used "
                       "(SMC-CEN-04 is a legal minimum (中华人民共和国网络安全法 (Cybersecurity Law "
                       "of the PRC), 第二十一条 (art. 21)) and cannot be waived; fix the finding "
                       "instead)")


@pytest.mark.parametrize(("level", "scope", "refused"), [
    (2, "/", True), (2, "/log_audit", True), (2, "/log_audit/retention_days", True),
    (2, "/log_audit/tamper_evidence", False), (2, "/bastion", False),
    (3, "/log_audit", False),  # at level 3 the retention rule is SMC-CEN-04's
])
def test_a_legal_minimum_rule_refuses_waivers_whose_scope_reaches_it(
        level: int, scope: str, refused: bool) -> None:
    """CES-AUDIT-03 carries the 180 days at level 2 in one rule: a waiver of the control whose
    scope reaches that rule's pointer is refused; one scoped elsewhere in the control is not."""
    w = waiver("CES-AUDIT-03", scope)
    out = apply_waivers([], [w], catalog(), TODAY, level=level, spec=SPEC)
    messages = [f.message_en for f in out if f.control == WAIVER_CONTROL]
    assert bool(messages) is refused
    if refused:
        assert ("CES-AUDIT-03 at /log_audit/retention_days is a legal minimum "
                "(中华人民共和国网络安全法") in messages[0]


def test_every_rule_on_log_retention_is_marked_a_legal_minimum() -> None:
    """Each rule setting a minimum on log_audit.retention_days carries legal_minimum, so none
    can be waived at any level."""
    for control in catalog():
        for rule in control.spec_rules:
            log_audit = rule.schema.get("properties", {}).get("log_audit", {})
            if "retention_days" in log_audit.get("properties", {}):
                assert rule.legal_minimum or control.legal_minimum, control.id


@pytest.mark.parametrize(("control", "law", "article"), [
    ("CLD-LOC-01", "网络安全法", "第三十七条"), ("CLD-LOC-01", "人口健康信息管理办法", "第十条"),
    ("CLD-DATA-01", "个人信息保护法", "第四十条"), ("CLD-DATA-01", "人口健康信息管理办法", "第十条"),
    ("CLD-DATA-01", "个人信息保护法", "第二十八条"), ("CNS-ZONE-03", "个人信息保护法", "第二十八条"),
])
def test_data_localisation_and_sensitive_data_are_legal_minimums(control: str, law: str,
                                                                 article: str) -> None:
    """Keeping health data in China and core records out of the internet's reach are set by
    law, so the catalog names the law and no waiver of them applies."""
    minimum = catalog().controls[control].legal_minimum
    assert minimum is not None and law in minimum["law"] and article in minimum["article"]
    description = catalog().controls[control].description
    assert "不可豁免" in description.zh and "cannot be waived" in description.en


@pytest.mark.parametrize(("control", "pointer"), [
    ("CLD-LOC-01", "/cloud/region"), ("CLD-DATA-01", "/backup/offsite/region"),
    ("CLD-DATA-01", "/buckets/0/placement"), ("CNS-ZONE-03", "/workloads/2/zone"),
])
def test_a_properly_approved_localisation_waiver_is_refused(control: str, pointer: str) -> None:
    w = waiver(control, "/", approved=TODAY, expires=TODAY + timedelta(days=30))
    status, message = judge(w, finding(control, pointer))
    assert status == "fail"
    assert f"{control} is a legal minimum (" in message and "cannot be waived" in message


def test_a_local_copy_of_cloud_data_is_not_a_law_and_stays_waivable() -> None:
    """CLD-BAK-01 (a copy kept on the hospital's site) is the standard's, not a law's: a
    backup outside China fails CLD-DATA-01, which is not waivable."""
    assert catalog().controls["CLD-BAK-01"].legal_minimum is None
    assert judge(waiver("CLD-BAK-01"), finding("CLD-BAK-01", "/backup/offsite/placement")) == (
        "waived", "")


# --- life: at most a year from approval, less when the spec says so --------------------------


@pytest.mark.parametrize(("days", "holds"), [(MAX_WAIVER_DAYS, True),
                                             (MAX_WAIVER_DAYS + 1, False)])
def test_life_from_approval_at_most_a_year(days: int, holds: bool) -> None:
    approved = TODAY - timedelta(days=10)
    status, message = judge(waiver(approved=approved, expires=approved + timedelta(days=days)))
    assert status == ("waived" if holds else "fail")
    if not holds:
        assert (f"is more than 365 days after its approval on {approved.isoformat()}; a waiver "
                "lasts at most 365 days: set an earlier expires") in message


@pytest.mark.parametrize(("days", "holds"), [(365, True), (366, False)])
def test_life_without_approval_date_counts_from_today(days: int, holds: bool) -> None:
    assert judge(waiver(expires=TODAY + timedelta(days=days)))[0] == (
        "waived" if holds else "fail")


@pytest.mark.parametrize(("days", "holds"), [(90, True), (91, False)])
def test_the_spec_can_shorten_the_life(days: int, holds: bool) -> None:
    spec = {**SPEC, "exceptions": {"max_waiver_days": 90}}
    status, message = judge(waiver(approved=TODAY, expires=TODAY + timedelta(days=days)),
                            spec=spec)
    assert status == ("waived" if holds else "fail")
    assert holds or "a waiver lasts at most 90 days" in message


def test_the_spec_cannot_lengthen_the_life() -> None:
    assert max_waiver_days({"exceptions": {"max_waiver_days": 4000}}) == MAX_WAIVER_DAYS
    assert max_waiver_days({"exceptions": {"max_waiver_days": True}}) == MAX_WAIVER_DAYS
    assert max_waiver_days({}) == MAX_WAIVER_DAYS
    data = copy.deepcopy(load_spec(ROOT / "Pulumi.hybrid-prod.yaml").data)
    data["exceptions"] = {"max_waiver_days": 366}
    with pytest.raises(InputError):
        spec_from_config(data, "spec.yaml")


def test_an_approval_in_the_future_is_refused() -> None:
    status, message = judge(waiver(approved=TODAY + timedelta(days=1)))
    assert status == "fail" and "approved 2026-12-05 is a day still to come" in message


# --- approver: one of the spec's security administrators, compared as people read names ------


@pytest.mark.parametrize("approver", [
    "王强", "wangqiang", "WangQiang", " wang qiang ", FULL_WIDTH, "wang\u200bqiang",
    "王\u200d强", "\u202e王强", "王强 (security administrator)", "王强（安全管理员）", "王 强",
])
def test_security_administrator_is_recognised_however_written(approver: str) -> None:
    assert judge(waiver(approver=approver)) == ("waived", "")


@pytest.mark.parametrize("approver", [
    "张伟",  # system administrator
    "lina",  # audit administrator
    "王强强", "wangqiang2", "security administrator", "(王强)", "CISO", "王强 or 张伟",
])
def test_anyone_else_cannot_approve(approver: str) -> None:
    status, message = judge(waiver(approver=approver))
    assert status == "fail"
    assert f"approver {approver!r} is not one of the spec's security administrators" in message


def test_no_security_administrator_no_approval() -> None:
    spec = {**SPEC, "admins": [a for a in SPEC["admins"] if a["role"] != "security"]}
    status, message = judge(waiver(), spec=spec)
    assert status == "fail" and "(admins with role security: none)" in message


def test_approver_key_drops_only_a_trailing_role_note() -> None:
    assert approver_key("王强 (安全管理员)") == approver_key("王强") == "王强"
    assert approver_key("(安全管理员) 王强") == "(安全管理员)王强"


# --- end to end: `mlps validate --waivers` --------------------------------------------------


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


def validated_with(spec: Path, waiver: dict[str, str]) -> dict[str, Any]:
    """``mlps validate --level 3`` of ``spec`` with one waiver beside it: exit 1, the JSON report."""
    waivers = spec.parent / "waivers.yaml"
    waivers.write_text(yaml.safe_dump({"waivers": [waiver]}, allow_unicode=True), encoding="utf-8")
    code, out = run("validate", str(spec), "--level", "3", "--waivers", str(waivers),
                    "--format", "json")
    assert code == 1, out
    data: dict[str, Any] = json.loads(out)
    return data


def test_validate_refuses_a_forever_waiver_of_log_retention(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waivers_module, "current_date", lambda: TODAY)
    text = (ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8")
    assert text.count("      retention_days: 180\n") == 1
    spec = tmp_path / "Pulumi.short.yaml"
    spec.write_text(text.replace("      retention_days: 180\n", "      retention_days: 90\n"),
                    encoding="utf-8")
    data = validated_with(spec, {
        "control": RETENTION, "scope": "/log_audit", "reason": "disk full",
        "approver": "王强", "approved": TODAY.isoformat(), "expires": "9999-12-31"})
    status = {c["id"]: c["status"] for c in data["controls"]}
    assert (status[RETENTION], status[WAIVER_CONTROL]) == ("fail", "fail")
    [message] = [f["message_en"] for f in data["findings"] if f["control"] == WAIVER_CONTROL]
    assert "is a legal minimum" in message and "9999-12-31 is more than 365 days" in message
    [retention] = [f for f in data["findings"] if f["control"] == RETENTION]
    assert "Cybersecurity Law of the PRC, art. 21" in retention["message_en"]


# --- self-approval: the approver is not a person the finding concerns ------------------------


def _conflict_spec(**second: Any) -> dict[str, Any]:
    """The hybrid-prod spec with the audit administrator entry replaced by ``second``."""
    spec = copy.deepcopy(SPEC)
    spec["admins"][1] = {"name": "lina", "role": "audit", **second}
    return spec


def _conflict(spec: dict[str, Any]) -> Finding:
    """CES-ACL-04 as the check reports the security administrator's second role."""
    return Finding(control="CES-ACL-04", clause="8.1.4.2 d", severity="high",
                   checkpoint="spec", pointer="/admins/2/role",
                   message_zh="王强 同时担任 audit（/admins/1，王强）和 security 管理员",
                   message_en="王强 holds both the audit (/admins/1, 王强) and the security "
                              "administrator role")


@pytest.mark.parametrize("second", [
    {"full_name": "王强"}, {"full_name": "Wang Qiang"}, {"full_name": "Qiang Wang"},
    {"full_name": "wang\u200bqiang"}, {"full_name": "王 强"},
])
def test_a_security_administrator_cannot_waive_a_finding_about_himself(
        second: dict[str, Any]) -> None:
    spec = _conflict_spec(**second)
    for approver in ("王强", "wangqiang", "王强 (安全管理员)", FULL_WIDTH):
        status, message = judge(waiver("CES-ACL-04", "/"), _conflict(spec), spec) \
            if approver == "王强" else judge(waiver("CES-ACL-04", "/", approver=approver),
                                            _conflict(spec), spec)
        assert status == "fail", approver
        assert (f"approver {approver!r} is a person the finding at /admins/2/role concerns and "
                "cannot approve a waiver of it; another security administrator must approve"
                ) in message


def test_another_security_administrator_may_approve_the_same_waiver() -> None:
    spec = _conflict_spec(full_name="王强")
    spec["admins"].append({"name": "zhaomin", "full_name": "赵敏", "role": "security",
                           "ssh_public_key": "ssh-ed25519 AAAAother zhaomin@sec"})
    assert judge(waiver("CES-ACL-04", "/", approver="赵敏"), _conflict(spec), spec) == (
        "waived", "")


def test_a_namesake_with_another_employee_id_is_another_person() -> None:
    """The approver is looked up as his admin entry: an entry in the finding with a different
    employee_id is someone else, as CES-ACL-04 itself decides."""
    spec = _conflict_spec(full_name="王强", employee_id="E002")
    spec["admins"][2] = {**spec["admins"][2], "employee_id": "E001"}
    finding_ = Finding(control="CES-ACL-04", clause="8.1.4.2 d", severity="high",
                       checkpoint="spec", pointer="/admins/0/role",
                       message_zh="张伟 同时担任 audit（/admins/1，王强）", message_en=
                       "张伟 holds both the audit (/admins/1, 王强) and the system role")
    status, message = judge(waiver("CES-ACL-04", "/admins/0"), finding_, spec)
    assert "is a person the finding" not in message
    assert status == "waived"


def test_accounts_alike_but_for_their_role_suffix_are_not_one_person() -> None:
    """Account names are identifiers: wang-sec (王强) may waive a finding about wang-sys (王伟),
    whose account differs only in its role suffix; with the full names alike he may not."""
    spec = _conflict_spec(full_name="王伟")
    spec["admins"][1]["name"] = "wang-sys"
    spec["admins"][2] = {**spec["admins"][2], "name": "wang-sec"}
    finding_ = Finding(control="CES-ACL-02", clause="8.1.4.2 b", severity="high",
                       checkpoint="spec", pointer="/admins/1/ssh_public_key",
                       message_zh="wang-sys 的密钥", message_en="key of wang-sys")
    assert judge(waiver("CES-ACL-02", "/admins", approver="wang-sec"), finding_, spec) == (
        "waived", "")
    spec["admins"][1]["full_name"] = "王强"
    status, message = judge(waiver("CES-ACL-02", "/admins", approver="wang-sec"), finding_, spec)
    assert status == "fail" and "another security administrator must approve" in message


def test_an_approver_not_named_in_the_finding_may_approve_it() -> None:
    """A conflict between the system and audit administrators is the security
    administrator's to waive (the audit's c9-acl04-ok case)."""
    spec = _conflict_spec(full_name="张伟")
    finding_ = Finding(control="CES-ACL-04", clause="8.1.4.2 d", severity="high",
                       checkpoint="spec", pointer="/admins/1/role",
                       message_zh="张伟 同时担任 system（/admins/0，张伟）",
                       message_en="张伟 holds both the system (/admins/0, 张伟) and the audit role")
    assert judge(waiver("CES-ACL-04", "/"), finding_, spec) == ("waived", "")


def test_a_waiver_covering_the_approvers_own_account_finding_is_refused() -> None:
    """Not only role conflicts: any finding at the approver's own admin entry."""
    status, message = judge(waiver("CES-ACL-02", "/admins"),
                            finding("CES-ACL-02", "/admins/2/ssh_public_key"))
    assert status == "fail" and "another security administrator must approve" in message


def test_validate_refuses_the_self_approved_waiver_of_the_audit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit's c9-self-approval: the audit administrator entry carries the security
    administrator's name and the security administrator waives the conflict himself."""
    monkeypatch.setattr(waivers_module, "current_date", lambda: TODAY)
    text = (ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8")
    assert text.count("full_name: 李娜") == 1
    spec = tmp_path / "Pulumi.self.yaml"
    spec.write_text(text.replace("full_name: 李娜", "full_name: 王强"), encoding="utf-8")
    data = validated_with(spec, {
        "control": "CES-ACL-04", "scope": "/", "reason": "temporary", "approver": "王强",
        "approved": TODAY.isoformat(), "expires": (TODAY + timedelta(days=90)).isoformat()})
    status = {c["id"]: c["status"] for c in data["controls"]}
    assert (status["CES-ACL-04"], status[WAIVER_CONTROL]) == ("fail", "fail")
    [message] = [f["message_en"] for f in data["findings"] if f["control"] == WAIVER_CONTROL]
    assert "another security administrator must approve" in message
