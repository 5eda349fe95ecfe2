"""Plan-time findings written by ``mlps synth`` (policy/findings.json), read back for reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mlps.controls import Catalog
from mlps.errors import InputError
from mlps.findings import Finding
from mlps.safe_input import read_json
from mlps.safe_output import MARKER, marked_files

FINDINGS_FILE = "findings.json"
SYNTH = "synth"
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Notice:
    """A requirement the plan meets through a compensating part (a managed service the cloud
    lacks, replaced by one of the project's roles): not a failure, and never left unsaid."""

    control: str
    pointer: str
    message_zh: str
    message_en: str


@dataclass
class PlanFindings:
    files: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    notices: list[Notice] = field(default_factory=list)


def dump_plan_findings(
    findings: list[Finding], checked: set[str], notices: Sequence[Notice] = ()
) -> str:
    """The findings file: sorted, so that a second synth writes the same bytes."""
    data = {"checked": sorted(checked),
            "findings": [f.to_dict() for f in sorted(findings, key=Finding.sort_key)],
            "notices": [asdict(n) for n in sorted(notices, key=lambda n: (n.control, n.pointer))]}
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def load_plan_findings(directory: Path, cat: Catalog, level: int) -> PlanFindings:
    """Read a synth output directory; the files synth wrote there go into the evidence bundle."""
    listed = marked_files(directory, SYNTH)
    if listed is None or FINDINGS_FILE not in listed:
        raise InputError(str(directory), f"was not written by `mlps synth` (no {MARKER} listing "
                         f"{FINDINGS_FILE})", "give the directory written by `mlps synth --out DIR`")
    path = directory / FINDINGS_FILE
    hint = "run `mlps synth` again"
    data = read_json(path, MAX_BYTES, hint, below=directory)
    try:
        raw_findings = data["findings"]
        checked = {str(c) for c in data["checked"]}
        findings = []
        for raw in raw_findings:
            if cat.get(raw.get("control", "")) is None:
                raise InputError(str(path), f"control {raw.get('control')} is not in the catalog",
                                 "run `mlps synth` again with this version of mlps")
            findings.append(Finding(**raw))
        notices = [Notice(**raw) for raw in data.get("notices", [])]
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(str(path), f"not a synth findings file ({exc})", hint) from None
    applicable = {c.id for c in cat.at_level(level)}
    return PlanFindings(
        files=[directory / rel for rel in listed],
        findings=[f for f in findings if f.control in applicable],
        checked=checked & applicable,
        notices=[n for n in notices if n.control in applicable],
    )
