"""The reports as the tools that read them see them: JUnit against Jenkins' junit-10.xsd,
SARIF against the OASIS 2.1.0 schema and what code-scanning services need, HTML as an
auditor opens and prints it (headless Chromium)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlps.controls import Catalog, catalog, load_catalog
from mlps.findings import Finding
from mlps.plan_findings import Notice
from mlps.report import Report, build_section, render
from mlps.report.model import STATUSES, InputDigest
from mlps.spec import load_spec
from mlps.validate import validate

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "tests" / "vendor"
XS = "{http://www.w3.org/2001/XMLSchema}"
STARTED = datetime(2026, 11, 25, 8, 0, 0, tzinfo=UTC)
FINISHED = datetime(2026, 11, 25, 8, 0, 3, tzinfo=UTC)


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog(Path(__file__).parent / "catalog_fixture")


def _section(cat: Catalog, path: Path, name: str = "", waive: bool = False) -> Any:
    spec = load_spec(path)
    result = validate(spec, cat=cat)
    findings = list(result.findings)
    if waive:  # one finding of a second control, accepted by a waiver
        findings.append(Finding(
            control="TST-RET-01", clause="8.1.5.3 c", severity="medium", checkpoint="host",
            pointer="host:logaudit-1", message_zh="保存期不足", message_en="retention too short",
            file=str(path.parent / "evidence" / "logaudit-1" / "log_audit.json"),
            status="waived", waiver={"reason": "new disks on order", "approver": "信息科 王工",
                                     "expires": "2026-12-31"}))
    section = build_section(cat, name or spec.name, spec.file, result.level, findings,
                            {"spec": result.checked}, hospital="江南市第一人民医院")
    section.seconds = 0.25
    return section


NOTICE = Notice(control="TST-RET-01", pointer="openstack:compute/instance:Instance::logaudit-1",
                message_zh="日志审计由 log_audit_server 角色承担", message_en="log audit kept by the "
                "log_audit_server role")


@pytest.fixture
def report(cat: Catalog, tmp_path: Path) -> Report:
    """Two environments: one failing (mfa none) with a waived host finding, one compliant."""
    text = (ROOT / "Pulumi.hybrid-prod.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "Pulumi.variant.yaml"
    bad.write_text(text.replace("mfa: totp", "mfa: none"), encoding="utf-8")
    good = tmp_path / "Pulumi.good.yaml"
    good.write_text(text, encoding="utf-8")
    sections = [_section(cat, bad, waive=True), _section(cat, good, name="second")]
    for section in sections:  # the retention control met by a role where the cloud lacks a service
        section.notices.append(NOTICE)
    inputs = [InputDigest(str(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in (bad, good)]
    return Report(sections=sections, started=STARTED, finished=FINISHED, inputs=inputs,
                  bases={"SRCROOT": str(tmp_path), "EVIDENCEROOT": str(tmp_path / "evidence")})


def test_vendored_schemas_are_the_published_bytes() -> None:
    listed = re.findall(r"^([0-9a-f]{64})  (\S+)$",
                        (VENDOR / "README.md").read_text(encoding="utf-8"), re.M)
    assert {name for _, name in listed} == {"junit-10.xsd", "sarif-schema-2.1.0.json"}
    for digest, name in listed:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


# ---------------------------------------------------------------- JUnit / junit-10.xsd

def _local(name: str) -> str:
    return name.split(":")[-1]


class JUnit10:
    """The rules of the vendored junit-10.xsd, read from the file: per element its attributes
    (required or not, with their simple types), the child elements it allows and whether it
    holds text. Every construct that schema uses is read; anything else is refused."""

    def __init__(self, xsd: Path) -> None:
        schema = ET.parse(xsd).getroot()
        self.patterns = {
            str(t.get("name")): re.compile(str(p.get("value")))
            for t in schema.findall(f"{XS}simpleType")
            for p in t.findall(f"{XS}restriction/{XS}pattern")}
        named = {t.get("name"): t for t in schema.findall(f"{XS}complexType")}
        self.rules: dict[str, dict[str, Any]] = {}
        for element in schema.findall(f"{XS}element"):
            kind = element.get("type")
            body = element.find(f"{XS}complexType")
            if body is None and kind is not None and _local(kind) in named:
                body = named[_local(kind)]
            self.rules[str(element.get("name"))] = self._rule(body)

    def _rule(self, body: ET.Element | None) -> dict[str, Any]:
        if body is None:  # xs:string element: text only
            return {"attrs": {}, "required": set(), "children": set(), "text": True}
        children = {str(e.get("ref") or e.get("name")) for e in body.iter(f"{XS}element")}
        attrs = {str(a.get("name")): _local(str(a.get("type"))) for a in body.findall(f"{XS}attribute")}
        required = {str(a.get("name")) for a in body.findall(f"{XS}attribute")
                    if a.get("use") == "required"}
        return {"attrs": attrs, "required": required, "children": children,
                "text": body.get("mixed") == "true"}

    def problems(self, xml: str, root: str = "testsuites") -> list[str]:
        doc = ET.fromstring(xml)
        out = [] if doc.tag == root else [f"root is {doc.tag}, not {root}"]
        self._check(doc, "/" + doc.tag, out)
        return out

    def _check(self, node: ET.Element, where: str, out: list[str]) -> None:
        rule = self.rules.get(node.tag)
        if rule is None:
            out.append(f"{where}: element {node.tag} is not in the schema")
            return
        for name, value in node.attrib.items():
            kind = rule["attrs"].get(name)
            if kind is None:
                out.append(f"{where}: attribute {name} is not allowed")
            elif kind in self.patterns and not self.patterns[kind].fullmatch(value):
                out.append(f"{where}: {name}={value!r} is not a {kind}")
        out += [f"{where}: required attribute {name} missing"
                for name in sorted(rule["required"] - set(node.attrib))]
        if not rule["text"] and (node.text or "").strip():
            out.append(f"{where}: text is not allowed")
        for child in node:
            if child.tag not in rule["children"]:
                out.append(f"{where}: child {child.tag} is not allowed")
            self._check(child, f"{where}/{child.tag}", out)


@pytest.fixture(scope="module")
def junit10() -> JUnit10:
    return JUnit10(VENDOR / "junit-10.xsd")


def test_junit_meets_jenkins_junit_10(report: Report, junit10: JUnit10) -> None:
    xml = render(report, "junit")
    assert junit10.problems(xml) == []
    root = ET.fromstring(xml)
    suites = root.findall("testsuite")
    assert [s.get("errors") for s in suites] == ["0", "0"]
    assert [s.get("time") for s in suites] == ["0.250", "0.250"]
    assert root.get("time") == "3.000"
    assert {s.get("timestamp") for s in suites} == {"2026-11-25T08:00:00"}
    statuses = {c.find("failure") is not None for s in suites for c in s.findall("testcase")}
    assert statuses == {True, False}
    waived = suites[0].find("testcase/system-out")
    assert waived is not None and "new disks on order" in str(waived.text)
    said = [[str(o.text) for o in c.findall("system-out")] for s in suites
            for c in s.findall("testcase") if str(c.get("name")).startswith("TST-RET-01 ")]
    line = f"compensating part: {NOTICE.pointer} {NOTICE.message_en} / {NOTICE.message_zh}"
    assert len(said) == 2 and said[1] == [line]  # one system-out, after the waiver when waived
    assert said[0][0].splitlines()[1:] == [line] and said[0][0].startswith("waived: ")
    props = {p.get("name"): p.get("value") for p in suites[0].findall("properties/property")}
    assert props == {"hospital": "江南市第一人民医院", "level": "3", "mlps.version": report.version}


@pytest.mark.parametrize(("change", "problem"), [
    (lambda r: r.set("skipped", "2"), "/testsuites: attribute skipped is not allowed"),
    (lambda r: r.find("testsuite").attrib.pop("errors"),
     "/testsuites/testsuite: required attribute errors missing"),
    (lambda r: r.find("testsuite").set("time", "1e-05"),
     "/testsuites/testsuite: time='1e-05' is not a SUREFIRE_TIME"),
    (lambda r: ET.SubElement(r, "testcase", name="x"), "/testsuites: child testcase is not allowed"),
])
def test_the_junit_10_check_refuses_what_jenkins_refuses(
        report: Report, junit10: JUnit10, change: Any, problem: str) -> None:
    root = ET.fromstring(render(report, "junit"))
    change(root)
    assert problem in junit10.problems(ET.tostring(root, encoding="unicode"))


@pytest.mark.skipif(shutil.which("xmllint") is None,
                    reason="xmllint (Debian package libxml2-utils) is not installed")
def test_junit_validates_with_xmllint_against_junit_10(report: Report, tmp_path: Path) -> None:
    good = tmp_path / "report.junit.xml"
    good.write_text(render(report, "junit"), encoding="utf-8")
    xsd = str(VENDOR / "junit-10.xsd")
    proc = subprocess.run(["xmllint", "--noout", "--schema", xsd, str(good)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    bad = tmp_path / "old.junit.xml"  # the shape Jenkins refused: skipped on testsuites
    bad.write_text(good.read_text(encoding="utf-8").replace("<testsuites ", '<testsuites skipped="2" ', 1),
                   encoding="utf-8")
    proc = subprocess.run(["xmllint", "--noout", "--schema", xsd, str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "skipped" in proc.stderr


# ---------------------------------------------------------------- SARIF

@pytest.fixture(scope="module")
def sarif_schema() -> jsonschema.protocols.Validator:
    schema = json.loads((VENDOR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_sarif_meets_the_oasis_schema(report: Report, sarif_schema: Any) -> None:
    sarif = json.loads(render(report, "sarif"))
    assert sorted(e.message for e in sarif_schema.iter_errors(sarif)) == []
    broken = json.loads(render(report, "sarif"))
    broken["runs"][0]["invocations"][0]["executionSuccessful"] = "yes"
    del broken["version"]
    assert len(list(sarif_schema.iter_errors(broken))) == 2  # the check can fail


def test_sarif_says_each_compensating_part_as_an_informational_result(report: Report) -> None:
    results = json.loads(render(report, "sarif"))["runs"][0]["results"]
    told = [r for r in results if r.get("kind") == "informational"]
    assert [(r["ruleId"], r["level"], r["properties"]["environment"]) for r in told] == [
        ("TST-RET-01", "none", report.sections[0].name), ("TST-RET-01", "none", "second")]
    assert told[0]["message"]["text"] == (f"compensating part 补偿措施: {NOTICE.message_en} / "
                                          f"{NOTICE.message_zh}")
    assert told[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == NOTICE.pointer


def test_sarif_locations_are_relative_to_named_bases(report: Report) -> None:
    run = json.loads(render(report, "sarif"))["runs"][0]
    bases = run["originalUriBaseIds"]
    assert set(bases) == {"SRCROOT", "EVIDENCEROOT"}
    for base in bases.values():
        assert base["uri"].startswith("file:///") and base["uri"].endswith("/")
    places = [loc["physicalLocation"]["artifactLocation"] for r in run["results"]
              for loc in r["locations"] if "physicalLocation" in loc]
    assert sorted((p["uriBaseId"], p["uri"]) for p in places) == [
        ("EVIDENCEROOT", "logaudit-1/log_audit.json"), ("SRCROOT", "Pulumi.variant.yaml")]
    assert not any(p["uri"].startswith(("/", "file:")) for p in places)


def test_sarif_without_bases_uses_the_spec_directory_and_encodes_names(
        report: Report, tmp_path: Path) -> None:
    section = report.sections[0]
    odd = tmp_path / "sub dir" / "规格.yaml"
    moved = [dataclasses.replace(f, file=str(odd)) for f in section.findings]
    plain = Report(sections=[dataclasses.replace(section, file=str(tmp_path / "x.yaml"),
                                                 findings=moved)])
    run = json.loads(render(plain, "sarif"))["runs"][0]
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": tmp_path.as_uri() + "/"}}
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"] for loc in r["locations"] if "physicalLocation" in loc}
    assert uris == {"sub%20dir/%E8%A7%84%E6%A0%BC.yaml"}
    outside = Report(sections=[dataclasses.replace(section, findings=moved)],
                     bases={"SRCROOT": str(tmp_path / "elsewhere")})
    [loc] = json.loads(render(outside, "sarif"))["runs"][0]["results"][0]["locations"]
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": odd.as_uri()}


def test_sarif_rules_carry_security_severity_and_the_run_its_invocation(report: Report) -> None:
    run = json.loads(render(report, "sarif"))["runs"][0]
    driver = run["tool"]["driver"]
    assert "informationUri" not in driver
    severities = {r["id"]: float(r["properties"]["security-severity"]) for r in driver["rules"]}
    assert severities["TST-MFA-01"] == 8.0  # high
    assert all(0.0 < v <= 10.0 for v in severities.values())
    assert all("security" in r["properties"]["tags"] for r in driver["rules"])
    assert run["invocations"] == [{"executionSuccessful": True,
                                   "startTimeUtc": "2026-11-25T08:00:00Z",
                                   "endTimeUtc": "2026-11-25T08:00:03Z"}]
    levels = {r["ruleId"]: r["level"] for r in run["results"] if "kind" not in r}
    assert levels == {"TST-MFA-01": "error", "TST-RET-01": "warning"}
    [suppressed] = [r for r in run["results"] if "suppressions" in r]
    assert suppressed["suppressions"][0]["status"] == "accepted"


# ---------------------------------------------------------------- HTML

def _first_screen(html: str) -> str:
    """Everything before the first environment's heading."""
    return html.split("<h2>", 1)[0]


def test_html_first_screen_names_hospital_date_version_and_every_input(report: Report) -> None:
    html = render(report, "html")
    top = _first_screen(html)
    assert "江南市第一人民医院" in top and "2026-11-25 08:00:03 UTC" in top
    assert f"mlps {report.version}" in top
    for item in report.inputs:
        assert item.sha256 in top and item.path in top


def test_html_header_counts_controls_as_the_tables_do(report: Report) -> None:
    html = render(report, "html")
    top = _first_screen(html)
    totals = {s: sum(sec.counts()[s] for sec in report.sections) for s in STATUSES}
    row = re.search(r"控制项 / controls</th><td>(.*?)<span", top, re.S)
    assert row is not None
    assert re.findall(r"(\d+) ", row.group(1)) == [str(totals[s]) for s in totals]
    tables = [re.findall(r'<th class="n">(\d+)</th>',
                         part.split("<tr><th>合计 / total</th>")[1].split("</tr>")[0])
              for part in html.split("<h2>")[1:]]
    assert [sum(int(t[i]) for t in tables) for i in range(len(STATUSES))] == list(totals.values())
    assert "counted per control" in top and "counted per finding" in top


def test_html_verdict_says_what_was_checked(report: Report) -> None:
    html = render(report, "html")
    for section in report.sections:
        scope = section.verdict_scope()
        assert (f"{scope['automated']} of {scope['total']} controls checked automatically; "
                f"{scope['manual']} manual") in html
    verdicts = re.findall(r'(NOT COMPLIANT|符合 COMPLIANT)</span>\s*(<span class="scope">)?', html)
    assert verdicts == [("NOT COMPLIANT", '<span class="scope">'),
                        ("符合 COMPLIANT", '<span class="scope">')]


def test_html_ids_and_clauses_do_not_wrap(report: Report) -> None:
    html = render(report, "html")
    css = html.split("<style>")[1].split("</style>")[0]
    rule = re.search(r"([^{}]*)\{\s*white-space:\s*nowrap;\s*\}", css)
    assert rule is not None and {"td.id", "td.clause"} <= {s.strip() for s in rule.group(1).split(",")}
    cells = re.findall(r'<td class="(id|clause)">', html)
    assert cells.count("clause") == sum(len(s.controls) + len(s.findings) for s in report.sections)
    assert cells.count("id") == cells.count("clause") + sum(len(s.notices) for s in report.sections)


def test_html_refers_to_nothing_outside_the_file(report: Report) -> None:
    html = render(report, "html")
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(|@import|https?://", html, re.I)


def _real_report(tmp_path: Path) -> str:
    """The built-in hospital at level 3 with the real catalog: every family collapsed."""
    cat = catalog()
    spec = load_spec(ROOT / "Pulumi.hybrid-prod.yaml")
    result = validate(spec, cat=cat)
    section = build_section(cat, spec.name, spec.file, result.level, result.findings,
                            {"spec": result.checked}, hospital="江南市第一人民医院")
    assert not section.failed  # so that every family section starts closed
    return render(Report(sections=[section]), "html")


def _print_text(html: str, tmp_path: Path, name: str) -> str:
    page, pdf = tmp_path / f"{name}.html", tmp_path / f"{name}.pdf"
    page.write_text(html, encoding="utf-8")
    proc = subprocess.run(
        [str(shutil.which("chromium")), "--headless", "--no-sandbox", "--disable-gpu",
         f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr[-2000:]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, timeout=60, check=True).stdout
    return re.sub(r"\s+", " ", text)


@pytest.mark.skipif(shutil.which("chromium") is None or shutil.which("pdftotext") is None,
                    reason="needs the Debian packages chromium and poppler-utils")
def test_html_prints_every_section_expanded_in_chromium(tmp_path: Path) -> None:
    html = _real_report(tmp_path)
    cat = catalog()
    text = _print_text(html, tmp_path, "report")
    level3 = cat.at_level(3)
    missing_ids = [c.id for c in level3 if c.id not in text]
    assert missing_ids == []  # every family's table printed
    assert text.count("remediation:") == len(level3)  # every control's own details printed
    # The same page without its print support prints the closed sections closed.
    bare = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    bare = re.sub(r"@media print \{.*?\n  \}\n", "", bare, flags=re.S)
    assert bare != html and "beforeprint" not in bare and "details-content" not in bare
    closed = _print_text(bare, tmp_path, "bare")
    assert "remediation:" not in closed and sum(c.id in closed for c in level3) < len(level3) // 10
