"""Levels, generated from the catalog: what runs at each level and which clause it cites.

- Every named check runs at each level its control lists it for, and its finding cites the
  clause of that level (7.x at level 2, 8.x at 3, 9.x at 4); the failing input comes from the
  fixture corpus, found by running the check itself over every fixture.
- Host evidence: a failing result cites the clause of the level asked for (also through
  `mlps report --level N`); evidence for a control outside the level is dropped; a control whose
  only host results are `not_checkable` is `not_checkable` (never `pass`) in every format.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import mlps.cli.commands  # noqa: F401  (registers the sub-commands)
from mlps import levels
from mlps.checks import REGISTRY
from mlps.cli import app
from mlps.controls import LEVELS, Catalog, Control, catalog
from mlps.evidence import load_evidence
from mlps.report import Report, build_section, render
from mlps.report.model import STATUSES
from mlps.spec import LoadedSpec
from mlps.validate import validate
from tests.corpus_support import Fixture, fixtures, materialise

ROOT = Path(__file__).resolve().parents[2]
CAT = catalog()
CHAPTER = {2: "7.", 3: "8.", 4: "9."}
NAMED = [(c, k.name, level) for c in CAT for k in c.spec_checks for level in k.levels]
HOST_CONTROLS = [c for c in CAT if c.host_roles]


@cache
def corpus() -> tuple[tuple[Fixture, LoadedSpec], ...]:
    return tuple((f, materialise(f)) for f in fixtures() if not f.error)


@cache
def trigger(name: str, level: int) -> tuple[LoadedSpec, frozenset[str]]:
    """A corpus spec on which the named check reports at ``level``, and its pointers."""
    for _, spec in corpus():
        pointers = frozenset(p for p, _, _ in REGISTRY[name](spec.effective, level))
        if pointers:
            return spec, pointers
    raise AssertionError(f"no corpus fixture makes the check {name} report at level {level}; "
                         "add a failing fixture under tests/corpus/")


def test_catalog_clauses_follow_the_chapter_of_each_level() -> None:
    wrong = [(c.id, level, c.clause_at(level)) for c in CAT for level in c.levels
             if not c.clause_at(level).startswith(CHAPTER[level])]
    assert wrong == []
    missing = [(c.id, level) for c in CAT for level in c.levels if level not in c.clauses]
    assert missing == []


def test_every_named_check_of_the_catalog_is_registered_and_leveled() -> None:
    assert {name for _, name, _ in NAMED} <= set(REGISTRY)
    for control, name, level in NAMED:
        assert level in control.levels, (control.id, name, level)
        assert (control, name) in CAT.named_checks(level)
    for control in CAT:
        for k in control.spec_checks:  # a check runs at every level its control applies to
            assert k.levels and set(k.levels) == set(control.levels), (control.id, k.name)


@pytest.mark.parametrize(("control", "name", "level"), NAMED,
                         ids=[f"{c.id}-{n}-L{lv}" for c, n, lv in NAMED])
def test_named_check_runs_at_its_level_and_cites_that_levels_clause(
        control: Control, name: str, level: int) -> None:
    spec, pointers = trigger(name, level)
    found = {(f.pointer, f.clause) for f in validate(spec, level=level).findings
             if f.control == control.id and f.status == "fail"}
    assert {p for p, _ in found} >= pointers, f"{name} did not report for {control.id}"
    assert {c for _, c in found} == {control.clause_at(level)}


@pytest.mark.parametrize("level", LEVELS)
def test_controls_outside_a_level_never_report_there(level: int) -> None:
    allowed = {c.id for c in CAT.at_level(level)}
    for _, spec in corpus():
        stray = {f.control for f in validate(spec, level=level).findings} - allowed
        assert not stray, f"{spec.file} at level {level}: {sorted(stray)}"


# --- host evidence --------------------------------------------------------------------------


def write_evidence(directory: Path, controls: list[Control], status: str) -> Path:
    """One evidence file per role, with one ``status`` result for every given control."""
    by_role: dict[str, list[dict[str, Any]]] = {}
    for c in controls:
        by_role.setdefault(c.host_roles[0], []).append(
            {"control": c.id, "check": f"probe of {c.id}", "status": status,
             "observed": "x", "expected": "y"})
    for role, results in by_role.items():
        path = directory / "host-a" / f"{role}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"host": "host-a", "role": role, "level": 3,
                                    "collected_at": "2026-12-01T08:00:00Z",
                                    "results": results}), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def failing_evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_evidence(tmp_path_factory.mktemp("ev-fail"), HOST_CONTROLS, "fail")


@pytest.fixture(scope="module")
def unknowable_evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_evidence(tmp_path_factory.mktemp("ev-nc"), HOST_CONTROLS, "not_checkable")


@pytest.mark.parametrize("level", LEVELS)
def test_host_findings_cite_the_clause_of_the_level(failing_evidence: Path, level: int) -> None:
    host = load_evidence(failing_evidence, CAT, level)
    got = {f.control: f.clause for f in host.findings}
    assert got == {c.id: c.clause_at(level) for c in HOST_CONTROLS if c.applies(level)}
    assert set(host.by_control) == set(got) and host.checked == set(got)


@pytest.mark.parametrize("level", LEVELS)
def test_not_checkable_is_never_checked(unknowable_evidence: Path, level: int) -> None:
    host = load_evidence(unknowable_evidence, CAT, level)
    assert host.findings == [] and host.checked == set()
    assert set(host.by_control) == {c.id for c in HOST_CONTROLS if c.applies(level)}


def only_by_host(level: int) -> list[Control]:
    """Host controls at ``level`` that no spec rule or check examines."""
    spec_checked = CAT.spec_checked(level)
    return [c for c in HOST_CONTROLS if c.applies(level) and c.id not in spec_checked]


@pytest.mark.parametrize("level", LEVELS)
def test_not_checkable_only_is_never_a_pass_in_every_format(unknowable_evidence: Path,
                                                            level: int) -> None:
    targets = only_by_host(level)
    assert targets, f"no control at level {level} is checked on hosts alone"
    host = load_evidence(unknowable_evidence, CAT, level)
    section = build_section(CAT, "env", "env.yaml", level, [], {"spec": set(), "host": host.checked},
                            host.by_control)
    report = Report(sections=[section])
    statuses = {c["id"]: c["status"] for c in json.loads(render(report, "json"))["controls"]}
    for c in targets:
        assert statuses[c.id] == "not_checkable", c.id
    cases = {str(t.get("name")).split()[0]: t for t in
             ET.fromstring(render(report, "junit")).iter("testcase")}
    for c in targets:
        skipped = cases[c.id].find("skipped")
        assert skipped is not None and "not checkable" in str(skipped.get("message")), c.id
    results = json.loads(render(report, "sarif"))["runs"][0]["results"]
    assert {r["kind"] for r in results} == {"review"}
    assert {c.id for c in targets} <= {r["ruleId"] for r in results}
    html = render(report, "html")
    for c in targets:
        row = next(r for r in html.split("<tr>") if f"<code>{c.id}</code>" in r)
        assert 'class="badge not_checkable"' in row.split("<td>")[-1], c.id
    text = render(report, "text")
    total = next(li for li in text.splitlines() if li.strip().startswith("total 合计"))
    counts = section.counts()
    assert counts["pass"] == 0 and counts["not_checkable"] >= len(targets)
    assert [int(n) for n in re.findall(r"\d+", total)] == [counts[s] for s in STATUSES]


@pytest.mark.parametrize("level", LEVELS)
def test_passing_host_evidence_alone_makes_a_control_pass(tmp_path: Path, level: int) -> None:
    targets = only_by_host(level)
    host = load_evidence(write_evidence(tmp_path, targets, "pass"), CAT, level)
    section = build_section(CAT, "env", "env.yaml", level, [], {"host": host.checked},
                            host.by_control)
    statuses = {r.control.id: r.status for r in section.controls}
    assert {statuses[c.id] for c in targets} == {"pass"}


def _report(evidence: Path, out: Path, level: int) -> Result:
    """``mlps report`` of the example spec with ``evidence`` at ``level`` into ``out``."""
    return CliRunner().invoke(app, [
        "report", "--spec", str(ROOT / "Pulumi.hybrid-prod.yaml"), "--level", str(level),
        "--evidence", str(evidence), "--out", str(out), "--format", "json"])


@pytest.mark.parametrize("level", LEVELS)
def test_report_cli_host_findings_cite_the_level_clause(failing_evidence: Path, tmp_path: Path,
                                                        level: int) -> None:
    result = _report(failing_evidence, tmp_path / "r", level)
    assert result.exit_code == 1, result.output
    data = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    host = {f["control"]: f["clause"] for f in data["findings"] if f["checkpoint"] == "host"}
    assert host == {c.id: c.clause_at(level) for c in HOST_CONTROLS if c.applies(level)}
    listed = {c["id"]: c for c in data["controls"]}
    for c in HOST_CONTROLS:
        if c.applies(level):
            assert listed[c.id]["status"] == "fail" and listed[c.id]["clause"] == c.clause_at(level)
            assert "host" in listed[c.id]["checkpoints"]
        else:
            assert c.id not in listed, f"{c.id} does not apply at level {level}"
    sarif = json.loads((tmp_path / "r" / "report.sarif").read_text(encoding="utf-8"))
    clauses = {r["ruleId"]: r["properties"]["clause"] for r in sarif["runs"][0]["results"]
               if r["properties"]["checkpoint"] == "host"}
    assert clauses == host


@pytest.mark.parametrize("level", LEVELS)
def test_report_cli_not_checkable_is_never_a_pass(unknowable_evidence: Path, tmp_path: Path,
                                                  level: int) -> None:
    result = _report(unknowable_evidence, tmp_path / "r", level)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    data = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    listed = {c["id"]: c for c in data["controls"]}
    for c in only_by_host(level):
        assert listed[c.id]["status"] == "not_checkable", c.id
        assert listed[c.id]["checkpoints"] == [] and listed[c.id]["evidence"], c.id
    assert not [f for f in data["findings"] if f["checkpoint"] == "host"]


# --- the level schemas: generated from the catalog, one allOf entry per rule ----------------------


@pytest.mark.parametrize("level", LEVELS)
def test_level_schema_is_the_committed_file(level: int) -> None:
    committed = (ROOT / "schemas" / f"level-{level}.schema.json").read_text(encoding="utf-8")
    assert levels.render(levels.level_schema(CAT, level)) == committed
    assert committed.endswith("}\n") and "\\u" not in committed  # readable Chinese, one newline


@pytest.mark.parametrize("level", LEVELS)
def test_each_rule_is_one_entry_carrying_its_control_and_clause(level: int) -> None:
    schema = levels.level_schema(CAT, level)
    assert schema["$id"] == f"https://mlps.dev/schemas/level-{level}.schema.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert levels.LEVEL_NAMES[level] in schema["title"] and "mlps schemas build" in schema[
        "description"]
    expected = [(c.id, c.clause_at(level), i, r.pointer) for c in CAT.at_level(level)
                for i, r in enumerate(c.rules_at(level))]
    assert [(e["x-mlps-control"], e["x-mlps-clause"], e["x-mlps-rule"], e.get("x-mlps-pointer", ""))
            for e in schema["allOf"]] == expected
    for entry in schema["allOf"]:
        control = CAT.controls[entry["x-mlps-control"]]
        assert entry["$comment"] == f"{control.id} {control.clause_at(level)}: {control.title.en}"
        rule = control.rules_at(level)[entry["x-mlps-rule"]]
        assert {k: v for k, v in entry.items() if not k.startswith(("x-", "$"))} == rule.schema


def test_build_writes_stale_schemas_and_check_only_reports_them(tmp_path: Path) -> None:
    names = [tmp_path / f"level-{level}.schema.json" for level in LEVELS]
    assert levels.build(CAT, tmp_path, check=True) == names
    assert list(tmp_path.iterdir()) == []
    assert levels.build(CAT, tmp_path) == names
    for level, path in zip(LEVELS, names, strict=True):
        assert path.read_text(encoding="utf-8") == (
            ROOT / "schemas" / f"level-{level}.schema.json").read_text(encoding="utf-8")
    assert {path.stat().st_mode & 0o777 for path in names} == {0o644}  # readable by all
    assert levels.build(CAT, tmp_path, check=True) == []
    assert levels.build(CAT, tmp_path) == []
    names[1].write_text("{}\n", encoding="utf-8")
    assert levels.build(CAT, tmp_path, check=True) == [names[1]]
    assert names[1].read_text(encoding="utf-8") == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in names)


def test_an_empty_level_has_no_allof() -> None:
    empty = Catalog(controls={})
    assert "allOf" not in levels.level_schema(empty, 3)
