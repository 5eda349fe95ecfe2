"""Host evidence written by the roles' verify steps, turned into findings per control."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlps.controls import Catalog
from mlps.errors import InputError
from mlps.findings import Finding
from mlps.resources import load_schema
from mlps.safe_input import read_json
from mlps.schema_engine import compile_schema

MAX_BYTES = 16 * 1024 * 1024


@dataclass
class HostEvidence:
    """All verify results of one evidence directory."""

    files: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    by_control: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def load_evidence(directory: Path, cat: Catalog, level: int) -> HostEvidence:
    """Read ``<dir>/<host>/<role>.json``; an unreadable or foreign file is an InputError."""
    name = str(directory)
    if not directory.is_dir():
        raise InputError(name, "evidence directory not found",
                         "run playbooks/verify.yml with -e evidence_dir=DIR first")
    files = sorted(directory.glob("*/*.json"))
    if not files:
        raise InputError(name, "holds no evidence (<host>/<role>.json)",
                         "run playbooks/verify.yml with -e evidence_dir=DIR first")
    validator = compile_schema(load_schema("evidence"))
    out = HostEvidence(files=files)
    for path in files:
        doc = read_json(path, MAX_BYTES, "run the role's verify step again", below=directory)
        errors = list(validator.iter_errors(doc))
        if errors:
            raise InputError(str(path), f"not valid evidence: {errors[0].message}",
                             "see schemas/evidence.schema.json", where=errors[0].pointer or "/")
        for index, result in enumerate(doc["results"]):
            _add(out, cat, level, path, doc, index, result)
    return out


def _add(out: HostEvidence, cat: Catalog, level: int, path: Path, doc: dict[str, Any],
         index: int, result: dict[str, Any]) -> None:
    control = cat.get(result["control"])
    if control is None:
        raise InputError(str(path), f"control {result['control']} is not in the catalog",
                         "use an id from `mlps controls`", where=f"/results/{index}/control")
    if not control.applies(level):
        return
    entry = {"host": doc["host"], "role": doc["role"], "collected_at": doc["collected_at"],
             **result}
    out.by_control.setdefault(control.id, []).append(entry)
    status = result["status"]
    if status in ("pass", "fail"):
        out.checked.add(control.id)
    if status != "fail":
        return
    observed = json.dumps(result.get("observed"), ensure_ascii=False)
    expected = json.dumps(result.get("expected"), ensure_ascii=False)
    detail = f" ({result['detail']})" if result.get("detail") else ""
    out.findings.append(Finding(
        control=control.id, clause=control.clause_at(level),
        severity=control.severity,  # type: ignore[arg-type]
        checkpoint="host", pointer=f"host:{doc['host']}",
        message_zh=f"{control.title.zh}：主机 {doc['host']} 上 {result['check']} 为 {observed}，"
                   f"要求 {expected}{detail}",
        message_en=f"{control.title.en}: on host {doc['host']}, {result['check']} is {observed}; "
                   f"required: {expected}{detail}",
        remediation_zh=control.remediation.zh, remediation_en=control.remediation.en,
        file=str(path)))
