"""SARIF 2.1.0: one rule per control, one result per finding (waived ones suppressed)."""

from __future__ import annotations

import json
from typing import Any

from mlps.controls import Control
from mlps.report.model import Report

SEVERITY_LEVEL = {"high": "error", "medium": "warning", "low": "note"}


def _rule(control: Control) -> dict[str, Any]:
    return {
        "id": control.id,
        "name": control.id.replace("-", ""),
        "shortDescription": {"text": control.title.en},
        "fullDescription": {"text": f"{control.description.en} / {control.description.zh}"},
        "help": {"text": f"{control.remediation.en} / {control.remediation.zh}"},
        "defaultConfiguration": {"level": SEVERITY_LEVEL[control.severity]},
        "properties": {
            "clause": control.clause,
            "clauses": {str(k): v for k, v in sorted(control.clauses.items())},
            "family": control.family,
            "levels": list(control.levels),
            "title_zh": control.title.zh,
            "tags": ["GB/T 22239-2019", control.family, control.control_point],
        },
    }


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
    results = []
    for section in report.sections:
        for f in section.findings:
            location: dict[str, Any] = {
                "logicalLocations": [{"fullyQualifiedName": f.pointer or "/", "kind": "object"}],
            }
            if f.file:
                physical: dict[str, Any] = {"artifactLocation": {"uri": f.file}}
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
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mlps",
                "version": report.version,
                "informationUri": "https://mlps.dev",
                "rules": [_rule(controls[cid]) for cid in ids],
            }},
            "results": results,
        }],
    }
    return json.dumps(sarif, ensure_ascii=False, indent=2) + "\n"
