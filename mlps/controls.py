"""The control catalog: the data in mlps/catalog/ as typed objects."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mlps.errors import InputError
from mlps.resources import CATALOG_DIR, load_schema
from mlps.safe_input import read_text
from mlps.safe_output import replace_file
from mlps.schema_engine import compile_schema

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

LEVELS = (2, 3, 4)
_CACHE_MAX = 64 * 1024 * 1024
FAMILY_TITLES = {
    "communication_network": ("安全通信网络", "Communication network"),
    "area_boundary": ("安全区域边界", "Area boundary"),
    "computing_environment": ("安全计算环境", "Computing environment"),
    "management_centre": ("安全管理中心", "Security management centre"),
    "cloud": ("云计算安全扩展", "Cloud computing extension"),
    "physical": ("安全物理环境", "Physical environment"),
    "organisation": ("安全管理", "Security management"),
}


@dataclass(frozen=True)
class Text:
    zh: str
    en: str


@dataclass(frozen=True)
class SpecRule:
    levels: tuple[int, ...]
    schema: dict[str, Any]
    pointer: str = ""
    message: Text | None = None
    legal_minimum: dict[str, str] | None = None


@dataclass(frozen=True)
class SpecCheck:
    levels: tuple[int, ...]
    name: str


@dataclass(frozen=True)
class Control:
    """One requirement: what it asks, where it applies, and what checks it."""

    id: str
    clause: str
    clauses: dict[int, str]
    levels: tuple[int, ...]
    family: str
    control_point: str
    severity: str
    title: Text
    description: Text
    remediation: Text
    checkpoints: tuple[str, ...]
    spec_rules: tuple[SpecRule, ...] = ()
    spec_checks: tuple[SpecCheck, ...] = ()
    plan: tuple[str, ...] = ()
    host_roles: tuple[str, ...] = ()
    level_notes: Text | None = None
    references: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    legal_minimum: dict[str, str] | None = None
    """``{law, article}`` when the control restates a legal minimum; such a control is never
    waived."""

    @property
    def manual(self) -> bool:
        return self.checkpoints == ("manual",)

    def applies(self, level: int) -> bool:
        return level in self.levels

    def clause_at(self, level: int) -> str:
        """The clause number in the chapter of ``level`` (7, 8 or 9)."""
        return self.clauses.get(level, self.clause)

    def rules_at(self, level: int) -> list[SpecRule]:
        return [r for r in self.spec_rules if level in r.levels]

    def checks_at(self, level: int) -> list[SpecCheck]:
        return [c for c in self.spec_checks if level in c.levels]

    def legal_minimums_at(self, level: int) -> list[tuple[str, dict[str, str]]]:
        """(pointer, {law, article}) of what no waiver may cover at ``level``: the whole control
        (pointer ``""``) or one rule's pointer."""
        whole = [("", self.legal_minimum)] if self.legal_minimum else []
        return whole + [(r.pointer, r.legal_minimum) for r in self.rules_at(level)
                        if r.legal_minimum]


@dataclass(frozen=True)
class Catalog:
    """Controls by id; ``builtin`` marks the project's own catalog (its level schemas are files)."""

    controls: dict[str, Control]
    builtin: bool = False
    _levels: dict[int, tuple[Control, ...]] = field(default_factory=dict, repr=False, compare=False)
    _checks: dict[int, tuple[tuple[Control, str], ...]] = field(
        default_factory=dict, repr=False, compare=False)
    _checked: dict[int, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for level in LEVELS:
            chosen = tuple(c for c in self.controls.values() if c.applies(level))
            self._levels[level] = chosen
            self._checks[level] = tuple((c, k.name) for c in chosen for k in c.checks_at(level))
            self._checked[level] = frozenset(c.id for c in chosen
                                             if c.rules_at(level) or c.checks_at(level))

    def __iter__(self) -> Iterator[Control]:
        return iter(self.controls.values())

    def __len__(self) -> int:
        return len(self.controls)

    def get(self, control_id: str) -> Control | None:
        return self.controls.get(control_id)

    def at_level(self, level: int) -> tuple[Control, ...]:
        return self._levels.get(level, ())

    def named_checks(self, level: int) -> tuple[tuple[Control, str], ...]:
        """(control, check name) of every named check that runs at ``level``."""
        return self._checks.get(level, ())

    def spec_checked(self, level: int) -> frozenset[str]:
        """Ids of the controls the spec checkpoint examines at ``level``."""
        return self._checked.get(level, frozenset())


def _text(raw: dict[str, str] | None) -> Text | None:
    return Text(zh=raw["zh"], en=raw["en"]) if raw else None


def _control(raw: dict[str, Any], path: Path) -> Control:
    spec = raw.get("spec") or {}
    host = raw.get("host") or {}
    roles = tuple(host.get("roles") or ([host["role"]] if "role" in host else []))
    return Control(
        id=raw["id"],
        clause=raw["clause"],
        clauses={int(k): v for k, v in raw["clauses"].items()},
        levels=tuple(sorted(raw["levels"])),
        family=raw["family"],
        control_point=raw["control_point"],
        severity=raw["severity"],
        title=Text(**raw["title"]),
        description=Text(**raw["description"]),
        remediation=Text(**raw["remediation"]),
        checkpoints=tuple(raw["checkpoints"]),
        spec_rules=tuple(
            SpecRule(levels=tuple(r["levels"]), schema=r["schema"], pointer=r.get("pointer", ""),
                     message=_text(r.get("message")), legal_minimum=r.get("legal_minimum"))
            for r in spec.get("rules", [])
        ),
        spec_checks=tuple(SpecCheck(levels=tuple(c["levels"]), name=c["name"])
                          for c in spec.get("checks", [])),
        plan=tuple(raw.get("plan", [])),
        host_roles=roles,
        level_notes=_text(raw.get("level_notes")),
        references=raw.get("references", {}),
        path=str(path),
        legal_minimum=raw.get("legal_minimum"),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            raw = yaml.load(fh, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise InputError(str(path), f"invalid YAML: {exc.problem}", "fix the catalog file",
                         where=f"line {mark.line + 1}" if mark else "") from None
    if not isinstance(raw, dict):
        raise InputError(str(path), "a catalog file must hold one mapping", "see docs/catalog.md")
    if isinstance(raw.get("clauses"), dict):
        raw["clauses"] = {str(k): v for k, v in raw["clauses"].items()}
    return raw


def _raw_controls(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every control file, read and checked; cached as JSON keyed by the files' stat data."""
    paths = sorted(directory.rglob("*.yaml"))
    stats = [(str(p), st.st_mtime_ns, st.st_size) for p in paths for st in (p.stat(),)]
    stamp = hashlib.sha256(repr(stats).encode()).hexdigest()[:32]
    cache_file = _cache_dir() / f"catalog-{stamp}.json"
    try:
        cached = json.loads(read_text(cache_file, _CACHE_MAX))
        return [(Path(p), raw) for p, raw in cached]
    except (InputError, ValueError, TypeError, RecursionError):
        pass  # missing, foreign or damaged: rebuilt below
    validator = compile_schema(load_schema("control"))
    out = []
    for path in paths:
        raw = _read(path)
        errors = list(validator.iter_errors(raw))
        if errors:
            err = errors[0]
            raise InputError(str(path), f"not a valid control: {err.message}",
                             "see docs/catalog.md", where=err.pointer or "/")
        out.append((path, raw))
    _write_cache(cache_file, [(str(p), raw) for p, raw in out])
    return out


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlps"


def _write_cache(path: Path, data: Any) -> None:
    """Best effort: a read-only home only costs start-up time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("catalog-*.json"):
            if old.is_file() and not old.is_symlink():
                old.unlink(missing_ok=True)  # an earlier cache of ours
        replace_file(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except (OSError, InputError):
        pass


def load_catalog(directory: Path = CATALOG_DIR, builtin: bool = False) -> Catalog:
    """Read and check every control file under ``directory``; ids must be unique."""
    controls: dict[str, Control] = {}
    for path, raw in _raw_controls(directory):
        if raw["id"] != path.stem:
            raise InputError(str(path), f"id {raw['id']} differs from the file name",
                             "name the file <id>.yaml")
        if raw["id"] in controls:
            raise InputError(str(path), f"duplicate control id {raw['id']}",
                             f"also in {controls[raw['id']].path}")
        controls[raw["id"]] = _control(raw, path)
    return Catalog(controls=dict(sorted(controls.items())), builtin=builtin)


@cache
def catalog() -> Catalog:
    """The project's catalog, read once per process."""
    return load_catalog(builtin=True)
