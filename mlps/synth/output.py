"""What ``mlps synth`` writes: resources.json, manifests/*.yaml, inventory.yml, files/, findings.

Everything is sorted and free of times and random ids, so a second run writes the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from mlps.plan_findings import SYNTH
from mlps.safe_output import output_dir, write_files
from mlps.synth.mockrun import Registration

SECRET = "[secret]"  # noqa: S105  the mask shown in place of a secret, not a secret
UNKNOWN = "[unknown]"
_SIG = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105  Pulumi's public secret-value tag
_UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
_INTERNAL = "__"


def clean(value: Any) -> Any:
    """Inputs as plain data: secrets masked, unknowns marked, integral numbers as ints."""
    if isinstance(value, dict):
        if value.get(_SIG) == _SECRET_SIG:
            return SECRET
        return {k: clean(v) for k, v in value.items() if not k.startswith(_INTERNAL)}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == _UNKNOWN_VALUE:
        return UNKNOWN
    return value


def pointer(reg: Registration) -> str:
    return f"{reg.type}::{reg.name}"


def resource_rows(regs: list[Registration]) -> list[dict[str, Any]]:
    """One row per resource: type, name, parent (``type::name``), inputs."""
    by_urn = {r.urn: r for r in regs}
    rows = []
    for r in regs:
        parent = by_urn.get(r.parent)
        rows.append(
            {
                "type": r.type,
                "name": r.name,
                "parent": pointer(parent) if parent else None,
                "inputs": clean(r.inputs),
            }
        )
    return sorted(rows, key=lambda row: (row["type"], row["name"]))


def is_manifest(reg: Registration) -> bool:
    return reg.custom and reg.type.startswith("kubernetes:") and "apiVersion" in reg.inputs


def manifest(reg: Registration) -> dict[str, Any]:
    body: dict[str, Any] = clean(reg.inputs)
    for key in ("data", "stringData"):
        if body.get(key) == SECRET:
            body[key] = {}
            notes = body["metadata"].setdefault("annotations", {})
            notes["mlps.dev/synth-masked"] = f"{key} is secret and left out of this file"
    ordered: dict[str, Any] = {k: body[k] for k in ("apiVersion", "kind", "metadata") if k in body}
    ordered.update({k: v for k, v in sorted(body.items()) if k not in ordered})
    return ordered


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_tree(out: Path, files: dict[str, str]) -> None:
    """Publish exactly ``files`` (relative path → text) at ``out``, replacing only an earlier
    synth output there (mlps.safe_output refuses anything else)."""
    with output_dir(out, SYNTH) as staging:
        write_files(staging, files, SYNTH)


def render_files(regs: list[Registration]) -> dict[str, str]:
    files = {
        "resources.json": json.dumps(resource_rows(regs), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    }
    for reg in regs:
        if is_manifest(reg):
            files[f"manifests/{reg.name}.yaml"] = dump_yaml(manifest(reg))
    return files
