"""Report formats: json, sarif, junit, html and text carry the same findings and statuses."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mlps.controls import Catalog, load_catalog
from mlps.report import Report, build_section, render
from mlps.spec import load_spec
from mlps.validate import validate

ROOT = Path(__file__).resolve().parents[2]
UNSEEN = {"not_checkable": 0, "not_applicable": 0}  # statuses this fixture never reaches


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog(Path(__file__).parent / "catalog_fixture")


@pytest.fixture
def report(cat: Catalog, tmp_path: Path) -> Report:
    """Built for each test, so that mutation testing ties the report code to every test."""
    text = (ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8")
    path = tmp_path / "Pulumi.variant.yaml"
    path.write_text(text.replace("mfa: totp", "mfa: none"), encoding="utf-8")
    spec = load_spec(path)
    result = validate(spec, cat=cat)
    section = build_section(cat, spec.name, spec.file, result.level, result.findings,
                            {"spec": result.checked})
    return Report(sections=[section])


def test_statuses_per_control(report: Report) -> None:
    statuses = {r.control.id: r.status for r in report.sections[0].controls}
    assert statuses == {
        "MLPS-WAIVER-01": "not_checked",
        "TST-CARRIER-01": "pass",
        "TST-MFA-01": "fail",
        "TST-RET-01": "pass",
        "TST-ROOM-01": "manual",
    }


def test_json_has_findings_and_summary(report: Report) -> None:
    data = json.loads(render(report, "json"))
    assert [f["control"] for f in data["findings"]] == ["TST-MFA-01"]
    assert data["findings"][0]["line"] > 0 and data["findings"][0]["pointer"] == "/bastion/mfa"
    env = data["summary"]["environments"][0]
    assert data["summary"]["compliant"] is False
    assert env["controls"] == {"fail": 1, "waived": 0, "pass": 2, **UNSEEN, "not_checked": 1, "manual": 1}


def test_sarif_has_one_rule_per_control_and_located_results(report: Report) -> None:
    sarif = json.loads(render(report, "sarif"))
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r.control.id for r in report.sections[0].controls)
    [result] = run["results"]
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == "TST-MFA-01"
    assert result["level"] == "error"
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("Pulumi.variant.yaml")
    assert location["physicalLocation"]["region"]["startLine"] == report.findings[0].line
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "/bastion/mfa"


def test_junit_has_one_testcase_per_applicable_control(report: Report) -> None:
    root = ET.fromstring(render(report, "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 5
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "1", "2")
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["TST-MFA-01 8.1.4.1 d Two-factor login"]


def test_html_is_self_contained_and_bilingual(report: Report) -> None:
    html = render(report, "html")
    assert "<script src" not in html and "<link" not in html and "http://" not in html
    for text in ("TST-ROOM-01", "机房门禁", "Machine-room access control", "不符合", "manual"):
        assert text in html


def test_text_names_file_line_control_and_fix(report: Report) -> None:
    text = render(report, "text")
    finding = report.findings[0]
    assert f"{finding.file}:{finding.line}: TST-MFA-01 (8.1.4.1 d) [HIGH]" in text
    assert "fix: Set bastion.mfa to totp." in text


def test_sarif_rule_and_result_in_full(report: Report, cat: Catalog) -> None:
    text = render(report, "sarif")
    assert text.endswith("}\n") and "双因素登录" in text and '\n  "runs": [' in text
    sarif = json.loads(text)
    assert sarif["$schema"] == ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/"
                                "schemas/sarif-schema-2.1.0.json")
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver == {"name": "mlps", "version": report.version, "rules": driver["rules"]}
    control = cat.controls["TST-MFA-01"]
    rule = next(r for r in driver["rules"] if r["id"] == "TST-MFA-01")
    assert rule == {
        "id": "TST-MFA-01", "name": "TSTMFA01",
        "shortDescription": {"text": "Two-factor login"},
        "fullDescription": {"text": f"{control.description.en} / {control.description.zh}"},
        "help": {"text": "Set bastion.mfa to totp. / 设置 bastion.mfa 为 totp。"},
        "defaultConfiguration": {"level": "error"},
        "properties": {"security-severity": "8.0",
                       "clause": "8.1.4.1 d", "clauses": {"3": "8.1.4.1 d", "4": "9.1.4.1 d"},
                       "family": "computing_environment", "levels": [3, 4],
                       "title_zh": "双因素登录",
                       "tags": ["security", "GB/T 22239-2019", "computing_environment",
                                "identification_authentication"]},
    }
    [result] = sarif["runs"][0]["results"]
    finding = report.findings[0]
    assert result == {
        "ruleId": "TST-MFA-01", "ruleIndex": [r["id"] for r in driver["rules"]].index("TST-MFA-01"),
        "level": "error",
        "message": {"text": f"{finding.message_en} / {finding.message_zh}"},
        "locations": [{
            "logicalLocations": [{"fullyQualifiedName": "/bastion/mfa", "kind": "object"}],
            "physicalLocation": {"artifactLocation": {"uri": "Pulumi.variant.yaml",
                                                      "uriBaseId": "SRCROOT"},
                                 "region": {"startLine": finding.line}}}],
        "properties": {"clause": "8.1.4.1 d", "checkpoint": "spec",
                       "environment": report.sections[0].name,
                       "level": 3},
    }


def test_sarif_refuses_a_finding_of_a_control_outside_the_report(report: Report) -> None:
    stray = dataclasses.replace(report.findings[0], control="TST-NONE-01")
    section = dataclasses.replace(report.sections[0], findings=[stray])
    with pytest.raises(KeyError, match="finding for unknown control TST-NONE-01"):
        render(Report(sections=[section]), "sarif")


def test_sarif_result_without_file_or_line(report: Report) -> None:
    bare = dataclasses.replace(report.findings[0], file=None, line=None, pointer="",
                               status="waived", waiver=None)
    section = dataclasses.replace(report.sections[0], findings=[bare])
    [result] = json.loads(render(Report(sections=[section]), "sarif"))["runs"][0]["results"]
    assert result["locations"] == [{"logicalLocations": [{"fullyQualifiedName": "/",
                                                          "kind": "object"}]}]
    assert "suppressions" not in result


def test_junit_in_full(report: Report) -> None:
    root = ET.fromstring(render(report, "junit"))
    section = report.sections[0]
    assert (root.tag, root.get("name"), root.get("tests"), root.get("failures"),
            root.get("errors"), root.get("skipped")) == ("testsuites", "mlps", "5", "1", "0", None)
    [suite] = root.findall("testsuite")
    assert (suite.get("name"), suite.get("file")) == (f"{section.name} (等保 level 3)", section.file)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"),
            suite.get("skipped")) == ("5", "1", "0", "2")
    assert suite.get("timestamp") == report.started.strftime("%Y-%m-%dT%H:%M:%S")
    cases = {str(c.get("name")).split()[0]: c for c in suite.findall("testcase")}
    assert cases["TST-MFA-01"].get("classname") == "mlps.computing_environment"
    failure = cases["TST-MFA-01"].find("failure")
    assert failure is not None
    finding = report.findings[0]
    assert (failure.get("message"), failure.get("type")) == (finding.message_en, "high")
    assert failure.text == (f"{finding.file}:{finding.line} /bastion/mfa {finding.message_en} / "
                            f"{finding.message_zh}\nfix: Set bastion.mfa to totp.")
    manual = cases["TST-ROOM-01"].find("skipped")
    unchecked = cases["MLPS-WAIVER-01"].find("skipped")
    assert manual is not None and unchecked is not None
    assert manual.get("message") == "manual: checked by the auditor, not by mlps"
    assert unchecked.get("message") == "not checked: no checkpoint that covers it ran"
    assert list(cases["TST-RET-01"]) == []


def test_junit_counts_add_up_over_sections(report: Report) -> None:
    bare = dataclasses.replace(report.findings[0], file=None, line=None)
    second = dataclasses.replace(report.sections[0], name="two", findings=[bare])
    second.controls = [dataclasses.replace(r, findings=[bare] if r.findings else [])
                       for r in second.controls]
    root = ET.fromstring(render(Report(sections=[report.sections[0], second]), "junit"))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("10", "2", "0")
    assert [s.get("skipped") for s in root.findall("testsuite")] == ["2", "2"]
    failure = root.findall("testsuite")[1].find("testcase/failure")
    assert failure is not None and str(failure.text).startswith(": /bastion/mfa ")


TEXT_REPORT = (
    'hybrid-prod ({file}) — 等保 level 3: NOT compliant 不符合 (3 of 5 controls checked '
    'automatically, 1 manual, 1 not checked)\n'
    'checkpoints: spec\n'
    'family 类别                             ┃ '
    'fail ┃ waived ┃ pass ┃ not_checkable ┃ not_applicable ┃ not_checked ┃ manual\n'
    '━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
    '╇━━━━━━╇━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━\n'
    'Communication network 安全通信网络      │    0'
    ' │      0 │    1 │             0 │              0 │           0 │      0\n'
    'Computing environment 安全计算环境      │    1'
    ' │      0 │    0 │             0 │              0 │           0 │      0\n'
    'Security management centre 安全管理中心 │    0'
    ' │      0 │    1 │             0 │              0 │           0 │      0\n'
    'Physical environment 安全物理环境       │    0'
    ' │      0 │    0 │             0 │              0 │           0 │      1\n'
    'Security management 安全管理            │   '
    ' 0 │      0 │    0 │             0 │              0 │           1 │      0\n'
    'total 合计                              │ '
    '   1 │      0 │    2 │             0 │              0 │           1 │      1\n'
    '  {file}:133: TST-MFA-01 (8.1.4.1 d) [HIGH] Two-factor login: /bastion/mfa is "none"; required: "totp"\n'
    '      双因素登录：/bastion/mfa 为 "none"，要求为 "totp"\n'
    '      fix: Set bastion.mfa to totp.\n'
    '\n'
    '1 failing, 0 waived finding(s) in 1 environment(s)\n'
)


def test_text_in_full(report: Report) -> None:
    """The whole text report, byte for byte: header, family table, findings, totals."""
    assert render(report, "text") == TEXT_REPORT.format(file=report.sections[0].file)


def test_text_places_a_finding_by_file_and_line_else_file_else_pointer(report: Report) -> None:
    f = report.findings[0]
    variants = [dataclasses.replace(f, line=None), dataclasses.replace(f, file=None),
                dataclasses.replace(f, file=None, line=None)]
    section = dataclasses.replace(report.sections[0], findings=variants, checkpoints=())
    text = render(Report(sections=[section]), "text")
    assert f"  {f.file}: TST-MFA-01 (8.1.4.1 d) [HIGH] " in text
    assert text.count("  /bastion/mfa: TST-MFA-01 (8.1.4.1 d) [HIGH] ") == 2
    assert "checkpoints: none\n" in text


def test_html_escapes_what_comes_from_the_spec(report: Report) -> None:
    evil = dataclasses.replace(report.findings[0], message_en="<script>alert(1)</script>",
                               pointer="/x/<b>")
    section = dataclasses.replace(report.sections[0], findings=[evil])
    html = render(Report(sections=[section]), "html")
    assert "<script>alert(1)</script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "/x/&lt;b&gt;" in html


def test_json_in_full(report: Report) -> None:
    text = render(report, "json")
    assert text.startswith('{\n  "controls": [\n    {\n') and text.endswith("}\n")
    assert "双因素登录" in text
    data = json.loads(text)
    section = report.sections[0]
    assert list(data) == ["controls", "findings", "notices", "summary"]
    assert data["summary"] == {
        "compliant": False, "findings": {"fail": 1, "waived": 0},
        "environments": [{
            "name": section.name, "file": section.file, "level": 3, "compliant": False,
            "checkpoints": ["spec"],
            "controls": {"fail": 1, "waived": 0, "pass": 2, **UNSEEN, "not_checked": 1, "manual": 1},
            "families": {
                "communication_network": {"fail": 0, "waived": 0, "pass": 1, **UNSEEN, "not_checked": 0,
                                          "manual": 0},
                "computing_environment": {"fail": 1, "waived": 0, "pass": 0, **UNSEEN, "not_checked": 0,
                                          "manual": 0},
                "management_centre": {"fail": 0, "waived": 0, "pass": 1, **UNSEEN, "not_checked": 0,
                                      "manual": 0},
                "physical": {"fail": 0, "waived": 0, "pass": 0, **UNSEEN, "not_checked": 0, "manual": 1},
                "organisation": {"fail": 0, "waived": 0, "pass": 0, **UNSEEN, "not_checked": 1,
                                 "manual": 0}}}]}
    assert list(section.by_family()) == [
        "communication_network", "computing_environment", "management_centre", "physical",
        "organisation"]
    mfa = next(c for c in data["controls"] if c["id"] == "TST-MFA-01")
    assert mfa == {"environment": section.name, "id": "TST-MFA-01", "clause": "8.1.4.1 d",
                   "status": "fail", "family": "computing_environment",
                   "title": {"zh": "双因素登录", "en": "Two-factor login"},
                   "checkpoints": ["spec"], "evidence": []}


def test_families_outside_the_known_order_come_last(report: Report) -> None:
    section = report.sections[0]
    odd = dataclasses.replace(section.controls[0].control, family="zz_custom")
    controls = [dataclasses.replace(section.controls[0], control=odd), *section.controls]
    families = list(dataclasses.replace(section, controls=controls).by_family())
    assert families[-1] == "zz_custom" and families[0] == "communication_network"


def test_plan_and_host_checkpoints_count_as_ran(report: Report, cat: Catalog) -> None:
    section = build_section(cat, "e", "e.yaml", 3, [], {"plan": {"TST-RET-01"},
                                                         "host": {"TST-MFA-01"}})
    ran = {r.control.id: (r.status, r.checkpoints) for r in section.controls}
    assert ran["TST-RET-01"] == ("pass", ("plan",)) and ran["TST-MFA-01"] == ("pass", ("host",))
    assert section.checkpoints == ("plan", "host")


def test_junit_counts_every_failing_control_and_lists_every_failing_finding(cat: Catalog) -> None:
    spec = load_spec(ROOT / "Pulumi.hybrid-prod.yaml")
    spec.effective["bastion"]["mfa"] = "none"
    spec.effective["log_audit"]["retention_days"] = 30
    result = validate(spec, cat=cat)
    mfa = next(f for f in result.findings if f.control == "TST-MFA-01")
    findings = [*result.findings, dataclasses.replace(mfa, pointer="/bastion/zz", line=None)]
    section = build_section(cat, spec.name, spec.file, 3, findings, {"spec": result.checked})
    xml = render(Report(sections=[section]), "junit")
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None and suite.get("failures") == "2"
    failure = next(c for c in suite.findall("testcase")
                   if str(c.get("name")).startswith("TST-MFA-01")).find("failure")
    assert failure is not None
    lines = str(failure.text).split("\n")
    assert len(lines) == 3 and lines[-1] == "fix: Set bastion.mfa to totp."
    assert [line.split(" ")[1] for line in lines[:2]] == ["/bastion/mfa", "/bastion/zz"]
    assert lines[1] == f"{spec.file}: /bastion/zz {mfa.message_en} / {mfa.message_zh}"


def test_family_counts_add_up_to_the_totals() -> None:
    from mlps.controls import catalog

    real = catalog()
    section = build_section(real, "e", "e.yaml", 3, [], {"spec": set(real.spec_checked(3))})
    families = section.by_family()
    for status, total in section.counts().items():
        assert sum(counts[status] for counts in families.values()) == total
    assert max(counts["manual"] for counts in families.values()) > 1


def test_text_header_of_a_compliant_section_and_unknown_family(report: Report) -> None:
    section = report.sections[0]
    odd = dataclasses.replace(section.controls[0].control, family="zz_custom")
    controls = [dataclasses.replace(section.controls[0], control=odd)]
    clean = dataclasses.replace(section, findings=[], controls=controls,
                                checkpoints=("spec", "host"))
    text = render(Report(sections=[clean]), "text")
    assert text.startswith(f"{clean.name} ({clean.file}) — 等保 level 3: compliant 符合 (0 of 1 "
                           "controls checked automatically, 0 manual, 1 not checked)\n"
                           "checkpoints: spec, host\n")
    assert "zz_custom zz_custom" in text


def test_html_summary_table_has_every_status_and_the_totals(report: Report) -> None:
    html = render(report, "html")
    assert ("<tr><th>类别 / family</th><th>不符合 / fail</th><th>已豁免 / waived</th>"
            "<th>符合 / pass</th><th>无法核验 / not checkable</th><th>不适用 / not applicable</th>"
            "<th>未检查 / not checked</th><th>人工核查 / manual</th></tr>") in html
    totals = html.split("<tr><th>合计 / total</th>")[1].split("</tr>")[0]
    assert re.findall(r'<th class="n">(\d+)</th>', totals) == ["1", "0", "2", "0", "0", "1", "1"]
