"""What a report holds: per environment, every applicable control with its status."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mlps import __version__
from mlps.controls import FAMILY_TITLES, Catalog, Control
from mlps.findings import Finding

STATUSES = ("fail", "waived", "pass", "not_checked", "manual")


@dataclass
class ControlResult:
    """One control at one level: its status, its findings and the host results behind it."""

    control: Control
    clause: str
    status: str
    findings: list[Finding] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: tuple[str, ...] = ()


@dataclass
class Section:
    """One environment (one spec) at one level."""

    name: str
    file: str
    level: int
    controls: list[ControlResult]
    findings: list[Finding]
    checkpoints: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.controls)
        return {s: c.get(s, 0) for s in STATUSES}

    def by_family(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter[str]] = {}
        for r in self.controls:
            out.setdefault(r.control.family, Counter())[r.status] += 1
        order = list(FAMILY_TITLES)
        return {f: {s: out[f].get(s, 0) for s in STATUSES}
                for f in sorted(out, key=lambda f: order.index(f) if f in order else 99)}

    @property
    def failed(self) -> bool:
        return any(f.status == "fail" for f in self.findings)


@dataclass
class Report:
    sections: list[Section]
    version: str = __version__

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.sections for f in s.findings]

    @property
    def failed(self) -> bool:
        return any(s.failed for s in self.sections)

    def summary(self) -> dict[str, Any]:
        findings = self.findings
        return {
            "compliant": not self.failed,
            "findings": {"fail": sum(f.status == "fail" for f in findings),
                         "waived": sum(f.status == "waived" for f in findings)},
            "environments": [
                {"name": s.name, "file": s.file, "level": s.level, "compliant": not s.failed,
                 "checkpoints": list(s.checkpoints), "controls": s.counts(),
                 "families": s.by_family()}
                for s in self.sections
            ],
        }


def build_section(
    cat: Catalog,
    name: str,
    file: str,
    level: int,
    findings: list[Finding],
    checked: dict[str, set[str]],
    evidence: dict[str, list[dict[str, Any]]] | None = None,
) -> Section:
    """Status of every control at ``level``.

    ``checked`` maps a checkpoint (spec, plan, host) to the control ids it examined;
    ``evidence`` maps a control id to the host results recorded for it.
    """
    evidence = evidence or {}
    by_control: dict[str, list[Finding]] = {}
    for f in findings:
        by_control.setdefault(f.control, []).append(f)
    results = []
    for control in cat.at_level(level):
        mine = by_control.get(control.id, [])
        ran = tuple(cp for cp in ("spec", "plan", "host") if control.id in checked.get(cp, set()))
        if control.manual:
            status = "manual"
        elif any(f.status == "fail" for f in mine):
            status = "fail"
        elif mine:
            status = "waived"
        elif ran:
            status = "pass"
        else:
            status = "not_checked"
        results.append(ControlResult(control=control, clause=control.clause_at(level),
                                     status=status, findings=mine,
                                     evidence=evidence.get(control.id, []), checkpoints=ran))
    return Section(name=name, file=file, level=level, controls=results,
                   findings=sorted(findings, key=Finding.sort_key),
                   checkpoints=tuple(cp for cp in ("spec", "plan", "host") if cp in checked))
