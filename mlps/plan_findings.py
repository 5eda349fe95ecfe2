"""Plan-time findings written by ``mlps synth`` (policy/findings.json), read back for reports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlps.controls import Catalog
from mlps.errors import InputError
from mlps.findings import Finding

FINDINGS_FILE = "findings.json"


@dataclass
class PlanFindings:
    files: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)


def dump_plan_findings(findings: list[Finding], checked: set[str]) -> str:
    """The findings file: sorted, so that a second synth writes the same bytes."""
    data = {"checked": sorted(checked),
            "findings": [f.to_dict() for f in sorted(findings, key=Finding.sort_key)]}
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def load_plan_findings(directory: Path, cat: Catalog, level: int) -> PlanFindings:
    """Read a synth output directory; every file in it goes into the evidence bundle."""
    path = directory / FINDINGS_FILE
    if not path.is_file():
        raise InputError(str(directory), f"has no {FINDINGS_FILE}",
                         "give the directory written by `mlps synth --out DIR`")
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        raw_findings = data["findings"]
        checked = set(data["checked"])
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(str(path), f"not a synth findings file ({exc})",
                         "run `mlps synth` again") from None
    findings = []
    for raw in raw_findings:
        if cat.get(raw.get("control", "")) is None:
            raise InputError(str(path), f"control {raw.get('control')} is not in the catalog",
                             "run `mlps synth` again with this version of mlps")
        findings.append(Finding(**raw))
    applicable = {c.id for c in cat.at_level(level)}
    return PlanFindings(
        files=sorted(p for p in directory.rglob("*") if p.is_file()),
        findings=[f for f in findings if f.control in applicable],
        checked=checked & applicable,
    )
