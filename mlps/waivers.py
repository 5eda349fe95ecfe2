"""Accepted exceptions: waived findings stay visible; expired or malformed waivers fail."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from mlps.controls import Catalog
from mlps.errors import InputError
from mlps.findings import Finding
from mlps.resources import load_schema
from mlps.schema_engine import compile_schema
from mlps.spec.yamlsource import parse, read_text

WAIVER_CONTROL = "MLPS-WAIVER-01"
FIELDS = ("control", "scope", "reason", "approver", "expires")


@dataclass(frozen=True)
class Waiver:
    """One entry of a waiver file, with the problems found in it (if any)."""

    index: int
    file: str
    line: int | None
    control: str = ""
    scope: str = ""
    reason: str = ""
    approver: str = ""
    expires: date | None = None
    problems: tuple[str, ...] = ()

    def covers(self, finding: Finding) -> bool:
        """Same control, and the finding at or under the scope: a JSON pointer covers whole
        segments below it (``/bastion`` covers ``/bastion/mfa``, not ``/bastion_x``); a host
        (``host:NAME``) or resource (``TYPE::NAME``) scope covers exactly that one."""
        if finding.control != self.control:
            return False
        if not self.scope.startswith("/") and self.scope:
            return finding.pointer == self.scope
        scope = self.scope.rstrip("/")
        return not scope or finding.pointer == scope or finding.pointer.startswith(scope + "/")

    def as_dict(self) -> dict[str, Any]:
        return {"control": self.control, "scope": self.scope or "/", "reason": self.reason,
                "approver": self.approver,
                "expires": self.expires.isoformat() if self.expires else None,
                "file": self.file, "line": self.line}


def load_waivers(path: str | Path) -> list[Waiver]:
    """Read a waiver file; a file that is not a waiver file at all is an InputError."""
    name = str(path)
    data, lines = parse(read_text(Path(path)), name)
    errors = list(compile_schema(load_schema("waivers")).iter_errors(data))
    if errors:
        err = errors[0]
        line = lines.get(err.pointer)
        raise InputError(name, f"not a waiver file: {err.message}",
                         "write `waivers:` with a list of {control, scope, reason, approver, "
                         "expires}", where=f"line {line}" if line else err.pointer or "/")
    return [_entry(i, raw, name, lines.get(f"/waivers/{i}")) for i, raw in
            enumerate(data["waivers"])]


def _entry(index: int, raw: dict[str, Any], file: str, line: int | None) -> Waiver:
    problems = [f"missing '{key}'" for key in FIELDS if not str(raw.get(key, "")).strip()
                and key != "scope"]
    problems += [f"unknown key '{key}'" for key in raw if key not in FIELDS]
    expires: date | None = None
    if raw.get("expires"):
        try:
            expires = date.fromisoformat(str(raw["expires"]))
        except ValueError:
            problems.append(f"expires {raw['expires']!r} is not a date (YYYY-MM-DD)")
    scope = str(raw.get("scope", "") or "")
    if scope and not (scope.startswith(("/", "host:")) or "::" in scope):
        problems.append(f"scope {scope!r} is neither a JSON pointer (/...), a host (host:NAME) "
                        "nor a resource (TYPE::NAME)")
    return Waiver(index=index, file=file, line=line, control=str(raw.get("control", "")),
                  scope=scope, reason=str(raw.get("reason", "")),
                  approver=str(raw.get("approver", "")), expires=expires,
                  problems=tuple(problems))


def current_date() -> date:
    """The day waivers are judged on: a waiver holds through its ``expires`` day."""
    return date.today()


def apply_waivers(findings: list[Finding], waivers: list[Waiver], cat: Catalog,
                  today: date | None = None, *, level: int) -> list[Finding]:
    """Mark covered findings waived and add a finding for every unusable waiver, citing the
    clause of ``level``."""
    today = current_date() if today is None else today
    meta = cat.controls[WAIVER_CONTROL]
    usable: list[Waiver] = []
    out: list[Finding] = []
    for waiver in waivers:
        problems = list(waiver.problems)
        if waiver.control and cat.get(waiver.control) is None:
            problems.append(f"control {waiver.control} is not in the catalog")
        if waiver.expires and waiver.expires < today:
            problems.append(f"expired on {waiver.expires.isoformat()}")
        if problems:
            text = "; ".join(problems)
            out.append(Finding(
                control=meta.id, clause=meta.clause_at(level), severity="medium", checkpoint="spec",
                pointer=f"/waivers/{waiver.index}",
                message_zh=f"{meta.title.zh}：第 {waiver.index + 1} 条豁免不可用（{text}）",
                message_en=f"{meta.title.en}: waiver {waiver.index + 1} cannot be used ({text})",
                remediation_zh=meta.remediation.zh, remediation_en=meta.remediation.en,
                file=waiver.file, line=waiver.line))
        else:
            usable.append(waiver)
    for finding in findings:
        match = next((w for w in usable if w.covers(finding)), None)
        out.append(dataclasses.replace(finding, status="waived", waiver=match.as_dict())
                   if match else finding)
    return sorted(out, key=Finding.sort_key)
