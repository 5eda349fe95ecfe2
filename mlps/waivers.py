"""Accepted exceptions: waived findings stay visible; a waiver that is expired, malformed,
longer than the spec allows, not approved by one of the spec's security administrators,
approved by a person a finding it covers concerns, or aimed at a legal minimum does not apply
and is itself a finding (MLPS-WAIVER-01)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from mlps.controls import Catalog
from mlps.errors import InputError
from mlps.findings import Finding
from mlps.normalise import fold, same_person_name
from mlps.resources import load_schema
from mlps.schema_engine import compile_schema
from mlps.spec.yamlsource import parse, read_text

WAIVER_CONTROL = "MLPS-WAIVER-01"
FIELDS = ("control", "scope", "reason", "approver", "expires")
OPTIONAL = ("scope", "approved")
MAX_WAIVER_DAYS = 365
"""A waiver lives at most a year from its approval; a spec may set less
(``exceptions.max_waiver_days``)."""
_ROLE_NOTE = re.compile(r"\([^()]*\)$")
_ADMIN_POINTER = re.compile(r"/admins/(\d+)(?![\d])")


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
    approved: date | None = None

    def covers(self, finding: Finding) -> bool:
        """Same control, and the finding at or under the scope: a JSON pointer covers whole
        segments below it (``/bastion`` covers ``/bastion/mfa``, not ``/bastion_x``); a host
        (``host:NAME``) or resource (``TYPE::NAME``) scope covers exactly that one."""
        return finding.control == self.control and self.covers_pointer(finding.pointer)

    def covers_pointer(self, pointer: str) -> bool:
        """The scope reaches ``pointer`` (whole segments, or exactly one host or resource)."""
        if not self.scope.startswith("/") and self.scope:
            return pointer == self.scope
        scope = self.scope.rstrip("/")
        return not scope or pointer == scope or pointer.startswith(scope + "/")

    def as_dict(self) -> dict[str, Any]:
        return {"control": self.control, "scope": self.scope or "/", "reason": self.reason,
                "approver": self.approver,
                "expires": self.expires.isoformat() if self.expires else None,
                "approved": self.approved.isoformat() if self.approved else None,
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
                and key not in OPTIONAL]
    problems += [f"unknown key '{key}'" for key in raw if key not in FIELDS + OPTIONAL]
    expires, approved = _date(raw, "expires", problems), _date(raw, "approved", problems)
    scope = str(raw.get("scope", "") or "")
    if scope and not (scope.startswith(("/", "host:")) or "::" in scope):
        problems.append(f"scope {scope!r} is neither a JSON pointer (/...), a host (host:NAME) "
                        "nor a resource (TYPE::NAME)")
    return Waiver(index=index, file=file, line=line, control=str(raw.get("control", "")),
                  scope=scope, reason=str(raw.get("reason", "")),
                  approver=str(raw.get("approver", "")), expires=expires, approved=approved,
                  problems=tuple(problems))


def _date(raw: dict[str, Any], key: str, problems: list[str]) -> date | None:
    if not raw.get(key):
        return None
    try:
        return date.fromisoformat(str(raw[key]))
    except ValueError:
        problems.append(f"{key} {raw[key]!r} is not a date (YYYY-MM-DD)")
        return None


def security_administrators(spec: Mapping[str, Any]) -> dict[str, str]:
    """Normalised account and full names of the spec's security administrators → account."""
    out: dict[str, str] = {}
    admins = spec.get("admins")
    for admin in admins if isinstance(admins, list) else []:
        if isinstance(admin, dict) and admin.get("role") == "security":
            for key in ("name", "full_name"):
                if str(admin.get(key, "")).strip():
                    out[fold(admin[key])] = str(admin.get("name"))
    return out


def approver_key(approver: str) -> str:
    """The approver's normalised name, a trailing role note in brackets (``王强 (安全管理员)``)
    left out."""
    return fold(_ROLE_NOTE.sub("", fold(approver)))


def _admin_entries(spec: Mapping[str, Any]) -> list[Any]:
    admins = spec.get("admins")
    return admins if isinstance(admins, list) else []


def concerned_admins(finding: Finding, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The administrator entries a finding is about: the entry at (or above) its pointer and
    every ``/admins/N`` its message names (a role conflict names the other entry)."""
    admins = _admin_entries(spec)
    found = _ADMIN_POINTER.findall(" ".join((finding.pointer + "/", finding.message_en,
                                              finding.message_zh)))
    indexes = sorted({int(i) for i in found if int(i) < len(admins)})
    return [admins[i] for i in indexes if isinstance(admins[i], dict)]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _same_person(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """One person: the same account, the same employee_id, or (unless both give different
    employee_ids) full names alike in hanzi or pinyin (``same_person_name``, as CES-ACL-04
    compares them). Account names are identifiers, compared as written: ``wang-sec`` and
    ``wang-sys`` may be two people named Wang."""
    if _text(a.get("name")) and fold(a.get("name")) == fold(b.get("name")):
        return True
    id_a, id_b = _text(a.get("employee_id")), _text(b.get("employee_id"))
    if id_a and id_b:
        return fold(id_a) == fold(id_b)
    name_a, name_b = _text(a.get("full_name")), _text(b.get("full_name"))
    return bool(name_a and name_b and same_person_name(name_a, name_b))


def self_approved(waiver: Waiver, finding: Finding, spec: Mapping[str, Any]) -> str | None:
    """The approver's name when a finding the waiver covers concerns the approver: the
    security administrator the approver names is one of the people in the finding (same
    account, employee_id or name, see ``_same_person``). An approver naming no security
    administrator is refused anyway."""
    concerned = concerned_admins(finding, spec)
    if not concerned or not waiver.approver.strip():
        return None
    key = approver_key(waiver.approver)
    approvers = [
        a for a in _admin_entries(spec) if isinstance(a, dict) and a.get("role") == "security"
        and key in {fold(a.get(k)) for k in ("name", "full_name") if _text(a.get(k))}]
    if any(_same_person(a, c) for a in approvers for c in concerned):
        return waiver.approver
    return None


def max_waiver_days(spec: Mapping[str, Any]) -> int:
    """``exceptions.max_waiver_days`` of the spec, never more than MAX_WAIVER_DAYS."""
    policy = spec.get("exceptions")
    days = policy.get("max_waiver_days") if isinstance(policy, dict) else None
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        return MAX_WAIVER_DAYS
    return min(days, MAX_WAIVER_DAYS)


def policy_problems(waiver: Waiver, cat: Catalog, today: date, spec: Mapping[str, Any],
                    level: int) -> list[str]:
    """Why a well-formed waiver still cannot be used: legal minimum, life, approver."""
    problems: list[str] = []
    control = cat.get(waiver.control) if waiver.control else None
    minimums = control.legal_minimums_at(level) if control else []
    for pointer, law in minimums:
        if not pointer or waiver.covers_pointer(pointer):
            what = f"{waiver.control} at {pointer}" if pointer else waiver.control
            problems.append(f"{what} is a legal minimum ({law.get('law')}, "
                            f"{law.get('article')}) and cannot be waived; fix the finding instead")
            break
    if waiver.approved and waiver.approved > today:
        problems.append(f"approved {waiver.approved.isoformat()} is a day still to come")
    limit = max_waiver_days(spec)
    start = waiver.approved or today
    if waiver.expires and (waiver.expires - start).days > limit:
        since = (f"its approval on {start.isoformat()}" if waiver.approved
                 else f"today ({start.isoformat()}; no approved date given)")
        problems.append(f"expires {waiver.expires.isoformat()} is more than {limit} days after "
                        f"{since}; a waiver lasts at most {limit} days: set an earlier expires")
    admins = security_administrators(spec)
    if waiver.approver.strip() and approver_key(waiver.approver) not in admins:
        known = ", ".join(sorted(set(admins.values()))) or "none"
        problems.append(f"approver {waiver.approver!r} is not one of the spec's security "
                        f"administrators (admins with role security: {known}); have one of "
                        "them approve it")
    return problems


def current_date() -> date:
    """The day waivers are judged on: a waiver holds through its ``expires`` day."""
    return date.today()


def _unusable(meta: Any, level: int, waiver: Waiver, problems: list[str]) -> Finding:
    """The MLPS-WAIVER-01 finding of a waiver that cannot be used, with every reason."""
    text = "; ".join(problems)
    return Finding(
        control=meta.id, clause=meta.clause_at(level), severity="medium", checkpoint="spec",
        pointer=f"/waivers/{waiver.index}",
        message_zh=f"{meta.title.zh}：第 {waiver.index + 1} 条豁免不可用（{text}）",
        message_en=f"{meta.title.en}: waiver {waiver.index + 1} cannot be used ({text})",
        remediation_zh=meta.remediation.zh, remediation_en=meta.remediation.en,
        file=waiver.file, line=waiver.line)


def apply_waivers(findings: list[Finding], waivers: list[Waiver], cat: Catalog,
                  today: date | None = None, *, level: int,
                  spec: Mapping[str, Any]) -> list[Finding]:
    """Mark covered findings waived and add a finding for every unusable waiver, citing the
    clause of ``level``; approvers and the longest life come from ``spec`` (with defaults)."""
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
        problems += policy_problems(waiver, cat, today, spec, level)
        if problems:
            out.append(_unusable(meta, level, waiver, problems))
        else:
            usable.append(waiver)
    for waiver in list(usable):
        own = next((f for f in findings if waiver.covers(f) and self_approved(waiver, f, spec)),
                   None)
        if own is None:
            continue
        usable.remove(waiver)
        out.append(_unusable(meta, level, waiver, [
            f"approver {waiver.approver!r} is a person the finding at {own.pointer} concerns "
            "and cannot approve a waiver of it; another security administrator must approve"]))
    for finding in findings:
        match = next((w for w in usable if w.covers(finding)), None)
        out.append(dataclasses.replace(finding, status="waived", waiver=match.as_dict())
                   if match else finding)
    return sorted(out, key=Finding.sort_key)
