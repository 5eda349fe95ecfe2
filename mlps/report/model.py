"""What a report holds: per environment, every applicable control with its status."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlps import __version__
from mlps.controls import FAMILY_TITLES, Catalog, Control
from mlps.findings import Finding
from mlps.plan_findings import Notice

# not_checkable: a host checkpoint ran but could not show the control (e.g. no cluster runs
# there); it never counts as a pass, even when other checks of the control passed.
# not_applicable: the layout has nothing the control is about (the cloud-extension controls in
# an on-prem layout); like not_checkable it never counts as a pass.
STATUSES = ("fail", "waived", "pass", "not_checkable", "not_applicable", "not_checked", "manual")
INAPPLICABLE_FAMILIES = {"onprem": frozenset({"cloud"})}
"""Control families a layout has nothing for, by layout."""


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
    hospital: str = ""
    seconds: float = 0.0
    notices: list[Notice] = field(default_factory=list)
    """Requirements met by a compensating part (plan notices): listed, never failures."""

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

    def verdict_scope(self) -> dict[str, int]:
        """What a verdict covers: controls checked by mlps, manual ones, unchecked ones."""
        c = self.counts()
        return {"automated": c["fail"] + c["waived"] + c["pass"], "manual": c["manual"],
                "not_checked": c["not_checked"] + c["not_checkable"], "total": len(self.controls)}


def now() -> datetime:
    """The current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class InputDigest:
    """One file the report was built from, with its SHA-256."""

    path: str
    sha256: str


@dataclass
class Report:
    """Sections, the times the run started and finished, and the inputs it read.

    ``bases`` names directories (SARIF ``uriBaseId`` → path) that file locations are
    written relative to; without one, the directory holding the specs is ``SRCROOT``.
    """

    sections: list[Section]
    version: str = __version__
    started: datetime = field(default_factory=now)
    finished: datetime = field(default_factory=now)
    inputs: list[InputDigest] = field(default_factory=list)
    bases: dict[str, str] = field(default_factory=dict)

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


def unknowable(result: ControlResult) -> list[str]:
    """``host: check — why`` for each host result of a control that could not be checked."""
    return [f"{e.get('host', '?')}: {e.get('check', '?')} — {e.get('detail') or 'no reason given'}"
            for e in result.evidence if e.get("status") == "not_checkable"]


def build_section(
    cat: Catalog,
    name: str,
    file: str,
    level: int,
    findings: list[Finding],
    checked: dict[str, set[str]],
    evidence: dict[str, list[dict[str, Any]]] | None = None,
    hospital: str = "",
    layout: str = "",
) -> Section:
    """Status of every control at ``level``.

    ``checked`` maps a checkpoint (spec, plan, host) to the control ids it examined;
    ``evidence`` maps a control id to the host results recorded for it; in ``layout`` the
    families of ``INAPPLICABLE_FAMILIES`` are ``not_applicable`` unless a finding fails them.
    """
    inapplicable = INAPPLICABLE_FAMILIES.get(layout, frozenset())
    evidence = evidence or {}
    by_control: dict[str, list[Finding]] = {}
    for f in findings:
        by_control.setdefault(f.control, []).append(f)
    results = []
    for control in cat.at_level(level):
        mine = by_control.get(control.id, [])
        seen = evidence.get(control.id, [])
        ran = tuple(cp for cp in ("spec", "plan", "host") if control.id in checked.get(cp, set()))
        if control.manual and control.family not in inapplicable:
            status = "manual"
        elif any(f.status == "fail" for f in mine):
            status = "fail"
        elif control.family in inapplicable:
            status = "not_applicable"
        elif mine:
            status = "waived"
        elif any(e.get("status") == "not_checkable" for e in seen):
            status = "not_checkable"
        elif ran:
            status = "pass"
        else:
            status = "not_checked"
        results.append(ControlResult(control=control, clause=control.clause_at(level),
                                     status=status, findings=mine,
                                     evidence=seen, checkpoints=ran))
    return Section(name=name, file=file, level=level, controls=results,
                   findings=sorted(findings, key=Finding.sort_key),
                   checkpoints=tuple(cp for cp in ("spec", "plan", "host") if cp in checked),
                   hospital=hospital)
