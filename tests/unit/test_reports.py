"""Report formats: json, sarif, junit, html and text carry the same findings and statuses."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mlps.controls import Catalog, load_catalog
from mlps.report import Report, build_section, render
from mlps.spec import load_spec
from mlps.validate import validate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog(Path(__file__).parent / "catalog_fixture")


@pytest.fixture(scope="module")
def report(cat: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Report:
    text = (ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("spec") / "Pulumi.variant.yaml"
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
    assert env["controls"] == {"fail": 1, "waived": 0, "pass": 2, "not_checked": 1, "manual": 1}


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
