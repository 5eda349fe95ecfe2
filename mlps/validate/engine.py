"""Check a loaded spec against the level schema and the named checks of the catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from mlps.checks import REGISTRY
from mlps.controls import Catalog, Control, catalog
from mlps.errors import InputError
from mlps.findings import Finding
from mlps.levels import CONTROL_KEY, level_schema
from mlps.resources import load_schema
from mlps.schema_engine import DEFAULT_ENGINE, Engine, compile_schema
from mlps.spec import LoadedSpec
from mlps.validate.messages import describe
from mlps.waivers import Waiver, apply_waivers


@dataclass
class ValidationResult:
    """Findings of one spec at one level; ``checked`` are the controls the spec checkpoint ran."""

    spec: LoadedSpec
    level: int
    findings: list[Finding] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    @property
    def failed(self) -> bool:
        return any(f.status == "fail" for f in self.findings)


Compiled = tuple[Engine, tuple[tuple[str, int, str], ...]]


def _compile(schema: dict[str, Any], engine: str) -> Compiled:
    """The compiled level schema and, per allOf entry, (control id, rule index, pointer)."""
    entries = tuple((e[CONTROL_KEY], int(e.get("x-mlps-rule", 0)), e.get("x-mlps-pointer", ""))
                    for e in schema.get("allOf", []))
    return compile_schema(schema, engine), entries


@cache
def _project_level(level: int, engine: str) -> Compiled:
    return _compile(load_schema(f"level-{level}"), engine)


def _level_engine(cat: Catalog, level: int, engine: str) -> Compiled:
    """The committed schemas/level-N.schema.json for the project's catalog, else built here."""
    if cat.builtin:
        return _project_level(level, engine)
    return _compile(level_schema(cat, level), engine)


def check_level(level: int | None, file: str) -> int:
    if level not in (2, 3, 4):
        raise InputError(file, f"level {level} is not a 等保 level mlps checks",
                         "use --level 2, 3 or 4")
    return level


def validate(
    spec: LoadedSpec,
    level: int | None = None,
    waivers: list[Waiver] | None = None,
    cat: Catalog | None = None,
    today: date | None = None,
    engine: str = DEFAULT_ENGINE,
) -> ValidationResult:
    """All findings of ``spec`` at ``level`` (default: the spec's own level)."""
    cat = cat or catalog()
    level = check_level(spec.level if level is None else level, spec.file)
    found: dict[tuple[str, str], Finding] = {}

    compiled, entries = _level_engine(cat, level, engine)
    if not compiled.is_valid(spec.effective):
        for err in compiled.iter_errors(spec.effective):
            control_id, rule_index, rule_pointer = entries[int(err.schema_path[1])]
            control = cat.controls[control_id]
            pointer = err.pointer or rule_pointer
            rule = control.rules_at(level)[rule_index]
            zh, en = (rule.message.zh, rule.message.en) if rule.message else describe(err, pointer)
            _add(found, spec, control, level, pointer, zh, en)

    for control, name in cat.named_checks(level):
        for pointer, zh, en in REGISTRY[name](spec.effective, level):
            _add(found, spec, control, level, pointer, zh, en)

    findings = sorted(found.values(), key=Finding.sort_key)
    if waivers:
        findings = apply_waivers(findings, waivers, cat, today, level=level,
                                 spec=spec.effective)
    checked = set(cat.spec_checked(level))
    return ValidationResult(spec=spec, level=level, findings=findings, checked=checked)


def _add(found: dict[tuple[str, str], Finding], spec: LoadedSpec, control: Control, level: int,
         pointer: str, zh: str, en: str) -> None:
    key = (control.id, pointer)
    if key in found:
        return
    found[key] = Finding(
        control=control.id,
        clause=control.clause_at(level),
        severity=control.severity,  # type: ignore[arg-type]
        checkpoint="spec",
        pointer=pointer,
        message_zh=f"{control.title.zh}：{zh}",
        message_en=f"{control.title.en}: {en}",
        remediation_zh=control.remediation.zh,
        remediation_en=control.remediation.en,
        file=spec.file,
        line=spec.pointer_line(pointer),
    )
