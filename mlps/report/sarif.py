"""SARIF 2.1.0 as code-scanning services read it: one rule per control (with a numeric
``security-severity``), one result per finding (waived ones suppressed), one ``review`` result per control the
hosts could not show (``not_checkable``), one ``informational`` result per control met by a
compensating part (a plan notice), file locations
relative to a named base directory, and the run's invocation with its times."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mlps.controls import Control
from mlps.report.model import Report, unknowable

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SEVERITY_LEVEL = {"high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning reads 9.0+ as critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"high": "8.0", "medium": "5.0", "low": "3.0"}
SRCROOT = "SRCROOT"


def _rule(control: Control) -> dict[str, Any]:
    return {
        "id": control.id,
        "name": control.id.replace("-", ""),
        "shortDescription": {"text": control.title.en},
        "fullDescription": {"text": f"{control.description.en} / {control.description.zh}"},
        "help": {"text": f"{control.remediation.en} / {control.remediation.zh}"},
        "defaultConfiguration": {"level": SEVERITY_LEVEL[control.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[control.severity],
            "clause": control.clause,
            "clauses": {str(k): v for k, v in sorted(control.clauses.items())},
            "family": control.family,
            "levels": list(control.levels),
            "title_zh": control.title.zh,
            "tags": ["security", "GB/T 22239-2019", control.family, control.control_point],
        },
    }


def _bases(report: Report) -> dict[str, Path]:
    """Base directories by id: the report's own, else the directory holding every spec."""
    if report.bases:
        return {name: Path(os.path.abspath(path)) for name, path in report.bases.items()}
    dirs = [os.path.dirname(os.path.abspath(s.file)) for s in report.sections]
    return {SRCROOT: Path(os.path.commonpath(dirs))} if dirs else {}


def _dir_uri(path: Path) -> str:
    uri = path.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def artifact_location(file: str, bases: dict[str, Path]) -> dict[str, str]:
    """``file`` relative to the deepest base holding it; an absolute file URI otherwise."""
    path = Path(os.path.abspath(file))
    holding = [(name, base) for name, base in bases.items() if path.is_relative_to(base)]
    if not holding:
        return {"uri": path.as_uri()}
    name, base = max(holding, key=lambda item: len(item[1].parts))
    return {"uri": quote(path.relative_to(base).as_posix()), "uriBaseId": name}


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_sarif(report: Report) -> str:
    controls: dict[str, Control] = {}
    for section in report.sections:
        for r in section.controls:
            controls.setdefault(r.control.id, r.control)
    for f in report.findings:
        if f.control not in controls:
            raise KeyError(f"finding for unknown control {f.control}")
    ids = sorted(controls)
    index = {cid: i for i, cid in enumerate(ids)}
    bases = _bases(report)
    results = []
    for section in report.sections:
        for f in section.findings:
            location: dict[str, Any] = {
                "logicalLocations": [{"fullyQualifiedName": f.pointer or "/", "kind": "object"}],
            }
            if f.file:
                physical: dict[str, Any] = {"artifactLocation": artifact_location(f.file, bases)}
                if f.line:
                    physical["region"] = {"startLine": f.line}
                location["physicalLocation"] = physical
            result: dict[str, Any] = {
                "ruleId": f.control,
                "ruleIndex": index[f.control],
                "level": SEVERITY_LEVEL[f.severity],
                "message": {"text": f"{f.message_en} / {f.message_zh}"},
                "locations": [location],
                "properties": {"clause": f.clause, "checkpoint": f.checkpoint,
                               "environment": section.name, "level": section.level},
            }
            if f.status == "waived" and f.waiver:
                result["suppressions"] = [{
                    "kind": "external", "status": "accepted",
                    "justification": f"{f.waiver['reason']} (approved by {f.waiver['approver']}, "
                                     f"expires {f.waiver['expires']})",
                }]
            results.append(result)
        for r in section.controls:  # a human must check what the hosts could not show
            if r.status == "not_checkable":
                results.append({
                    "ruleId": r.control.id, "ruleIndex": index[r.control.id], "kind": "review",
                    "level": "none",
                    "message": {"text": "not checkable 无法核验: " + "; ".join(unknowable(r))},
                    "properties": {"clause": r.clause, "checkpoint": "host",
                                   "environment": section.name, "level": section.level},
                })
            elif r.status == "not_applicable":  # SARIF 2.1.0 result.kind notApplicable
                results.append({
                    "ruleId": r.control.id, "ruleIndex": index[r.control.id],
                    "kind": "notApplicable", "level": "none",
                    "message": {"text": "not applicable 不适用: the layout has no part this "
                                        "control is about / 当前部署方式不涉及本控制项"},
                    "properties": {"clause": r.clause, "environment": section.name,
                                   "level": section.level},
                })
        for n in section.notices:  # met by a compensating part: said, never a failure
            results.append({
                "ruleId": n.control, "ruleIndex": index[n.control], "kind": "informational",
                "level": "none",
                "message": {"text": f"compensating part 补偿措施: {n.message_en} / {n.message_zh}"},
                "locations": [{"logicalLocations": [{"fullyQualifiedName": n.pointer or "/",
                                                     "kind": "object"}]}],
                "properties": {"checkpoint": "plan", "environment": section.name,
                               "level": section.level},
            })
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mlps",
                "version": report.version,
                "rules": [_rule(controls[cid]) for cid in ids],
            }},
            "invocations": [{
                "executionSuccessful": True,
                "startTimeUtc": _time(report.started),
                "endTimeUtc": _time(report.finished),
            }],
            "originalUriBaseIds": {name: {"uri": _dir_uri(base)} for name, base in bases.items()},
            "results": results,
        }],
    }
    return json.dumps(sarif, ensure_ascii=False, indent=2) + "\n"
